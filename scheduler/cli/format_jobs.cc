// Jobs as a table, a detail view and JSON.
#include <algorithm>

#include "common/base/strings.h"
#include "scheduler/cli/args.h"
#include "scheduler/cli/format.h"

namespace muster::cli {
namespace {

bool IsActive(JobState s) { return s == JobState::kStarting || s == JobState::kRunning; }

std::string Dash(std::string s) { return s.empty() ? "-" : s; }

std::string TimeText(Time t) { return t == kNoTime ? "-" : FormatRfc3339(t); }

std::string JoinInts(const std::vector<int32_t>& v) {
  std::vector<std::string> parts;
  for (int32_t i : v) parts.push_back(std::to_string(i));
  return Join(parts, ",");
}

const char* RanksPerNodeName(RanksPerNode r) { return r == RanksPerNode::kOne ? "1" : "gpus"; }
const char* KindName(JobKind k) { return k == JobKind::kRetrain ? "retrain" : "train"; }

void SortById(std::vector<Job>& jobs) {
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.id < b.id; });
}

}  // namespace

JobShape ShapeOf(const Job& job) {
  JobShape shape;
  shape.gpus = TotalGpus(job.spec);
  // A pending job is not placed, whatever an earlier attempt left behind.
  if (job.state != JobState::kPending && !job.placement.empty()) {
    shape.nodes = job.NodeCount();
    if (job.spec.nodes > 0) {
      shape.gpus_per_node = job.spec.gpus_per_node;
    } else {
      for (const auto& a : job.placement)
        shape.gpus_per_node = std::max(shape.gpus_per_node, static_cast<int32_t>(a.gpus.size()));
    }
  } else if (job.spec.nodes > 0) {
    shape.nodes = job.spec.nodes;
    shape.gpus_per_node = job.spec.gpus_per_node;
  }
  return shape;
}

Duration RunTime(const Job& job, Time now) {
  if (job.state == JobState::kPending || job.start_time == kNoTime) return 0;
  if (IsActive(job.state)) return std::max<Duration>(0, now - job.start_time);
  if (job.end_time == kNoTime || job.end_time < job.start_time) return 0;
  return job.end_time - job.start_time;
}

std::string NodeListText(const Job& job) {
  std::vector<std::string> names;
  for (const auto& a : job.placement) names.push_back(a.node);
  return Join(names, ",");
}

std::string ReasonText(const Job& job) {
  std::string text = PendingReasonName(job.reason);
  if (!job.reason_detail.empty()) text += ": " + job.reason_detail;
  return text;
}

std::string DisplayId(const Job& job) {
  if (job.array_job == kNoJob || job.array_task < 0) return std::to_string(job.id);
  return JobRefText({job.array_job, job.array_task});
}

std::string FormatJobsTable(std::vector<Job> jobs, Time now) {
  SortById(jobs);
  std::vector<std::vector<std::string>> rows;
  for (const Job& job : jobs) {
    JobShape shape = ShapeOf(job);
    bool placed = job.state != JobState::kPending && !job.placement.empty();
    rows.push_back({DisplayId(job), Dash(job.spec.name), Dash(job.spec.team), Dash(job.spec.queue),
                    JobStateName(job.state), FormatElapsed(RunTime(job, now)),
                    shape.nodes > 0 ? std::to_string(shape.nodes) : "-", std::to_string(shape.gpus),
                    placed ? NodeListText(job) : "(" + ReasonText(job) + ")"});
  }
  return RenderTable({"JOBID", "NAME", "TEAM", "QUEUE", "STATE", "TIME", "NODES", "GPUS", "NODELIST(REASON)"},
                     rows);
}

std::string FormatJobDetails(const Job& job, Time now) {
  const JobSpec& s = job.spec;
  JobShape shape = ShapeOf(job);
  std::vector<std::string> env_names, after;
  for (const auto& e : s.env) env_names.push_back(e.name);
  for (JobId id : s.after) after.push_back("afterok:" + std::to_string(id));
  std::vector<std::string> placement;
  for (const auto& a : job.placement) placement.push_back(a.node + " gpus=" + JoinInts(a.gpus));

  std::vector<std::pair<std::string, std::string>> f = {
      {"JobId", std::to_string(job.id)},
      {"Name", Dash(s.name)},
      {"User", Dash(s.user)},
      {"Team", Dash(s.team)},
      {"Queue", Dash(s.queue)},
      {"State", JobStateName(job.state)},
  };
  if (job.ending)
    f.push_back(
        {"Ending", std::string(JobStateName(*job.ending)) + (job.requeue_on_end ? " (requeue)" : "")});
  f.insert(f.end(), {
                        {"Reason", job.reason == PendingReason::kNone ? "-" : PendingReasonName(job.reason)},
                        {"ReasonDetail", Dash(job.reason_detail)},
                        {"Priority", std::to_string(s.priority)},
                        {"Nodes", shape.nodes > 0 ? std::to_string(shape.nodes) : "-"},
                        {"GpusPerNode", shape.gpus_per_node > 0 ? std::to_string(shape.gpus_per_node) : "-"},
                        {"Gpus", std::to_string(shape.gpus)},
                        {"RanksPerNode", RanksPerNodeName(s.ranks_per_node)},
                        {"TimeLimit", s.time_limit > 0 ? FormatDuration(s.time_limit) : "UNLIMITED"},
                        {"Window", WindowName(s.window)},
                        {"MayOverrun", s.window_may_overrun ? "yes" : "no"},
                        {"Deadline", TimeText(s.deadline)},
                        {"Topology", TopologyName(s.topology)},
                        {"Preemptible", s.preemptible ? "yes" : "no"},
                        {"Held", job.held ? "yes" : "no"},
                        {"Kind", KindName(s.kind)},
                    });
  if (!s.array.empty()) f.push_back({"Array", s.array});
  if (!job.array_pending.empty()) f.push_back({"ArrayPending", job.array_pending});
  f.insert(f.end(), {
                        {"ArrayJob", job.array_job != kNoJob ? std::to_string(job.array_job) : "-"},
                        {"ArrayTask", job.array_task >= 0 ? std::to_string(job.array_task) : "-"},
                    });
  if (s.kind == JobKind::kRetrain || !s.model.empty()) f.push_back({"Model", Dash(s.model)});
  f.insert(f.end(), {
                        {"Dependency", after.empty() ? "-" : Join(after, ",")},
                        {"MaxRestarts", std::to_string(s.max_restarts)},
                        {"Restarts", std::to_string(job.restarts)},
                        {"Attempt", std::to_string(job.attempt)},
                        {"ExitCode", std::to_string(job.exit_code)},
                        {"Grace", FormatDuration(static_cast<Duration>(s.grace_seconds) * kSecond)},
                        {"SubmitTime", TimeText(job.submit_time)},
                        {"StartTime", TimeText(job.start_time)},
                        {"EndTime", TimeText(job.end_time)},
                        {"RunTime", FormatElapsed(RunTime(job, now))},
                        {"Workdir", Dash(s.workdir)},
                        {"Command", Dash(ShellJoin(s.argv))},
                        {"Env", env_names.empty() ? "-" : Join(env_names, ",")},
                        {"MasterPort", job.master_port > 0 ? std::to_string(job.master_port) : "-"},
                        {"Placement", placement.empty() ? "-" : Join(placement, "\n")},
                    });
  return RenderFields(f);
}

nlohmann::json JobToJson(const Job& job) {
  using nlohmann::json;
  const JobSpec& s = job.spec;
  JobShape shape = ShapeOf(job);
  json env_names = json::array();
  for (const auto& e : s.env) env_names.push_back(e.name);
  json placement = json::array();
  for (const auto& a : job.placement) placement.push_back({{"node", a.node}, {"gpus", a.gpus}});
  return json{
      {"id", job.id},
      {"display_id", DisplayId(job)},
      {"name", s.name},
      {"team", s.team},
      {"queue", s.queue},
      {"user", s.user},
      {"state", JobStateName(job.state)},
      {"ending", job.ending ? json(JobStateName(*job.ending)) : json(nullptr)},
      {"reason", job.reason == PendingReason::kNone ? "" : PendingReasonName(job.reason)},
      {"reason_detail", job.reason_detail},
      {"nodes", shape.nodes},
      {"gpus_per_node", shape.gpus_per_node},
      {"gpus", shape.gpus},
      {"priority", s.priority},
      {"submit_time", TimeToJson(job.submit_time)},
      {"start_time", TimeToJson(job.start_time)},
      {"end_time", TimeToJson(job.end_time)},
      {"time_limit_s", s.time_limit / kSecond},
      {"exit_code", job.exit_code},
      {"restarts", job.restarts},
      {"max_restarts", s.max_restarts},
      {"attempt", job.attempt},
      {"argv", s.argv},
      {"env_names", env_names},
      {"workdir", s.workdir},
      {"after", s.after},
      {"preemptible", s.preemptible},
      {"window", WindowName(s.window)},
      {"window_may_overrun", s.window_may_overrun},
      {"deadline", TimeToJson(s.deadline)},
      {"topology", TopologyName(s.topology)},
      {"held", job.held},
      {"array", s.array},
      {"array_pending", job.array_pending},
      {"array_job", job.array_job != kNoJob ? json(job.array_job) : json(nullptr)},
      {"array_task", job.array_task >= 0 ? json(job.array_task) : json(nullptr)},
      {"kind", KindName(s.kind)},
      {"model", s.model},
      {"ranks_per_node", RanksPerNodeName(s.ranks_per_node)},
      {"grace_s", s.grace_seconds},
      {"master_port", job.master_port},
      {"placement", placement},
  };
}

nlohmann::json JobsToJson(std::vector<Job> jobs) {
  SortById(jobs);
  nlohmann::json out = nlohmann::json::array();
  for (const Job& job : jobs) out.push_back(JobToJson(job));
  return out;
}

std::string FormatEventsTable(const std::vector<JobEvent>& events) {
  std::vector<std::vector<std::string>> rows;
  for (const JobEvent& e : events)
    rows.push_back(
        {e.time == kNoTime ? "-" : FormatRfc3339(e.time), JobStateName(e.from), JobStateName(e.to), e.cause});
  return RenderTable({"TIME", "FROM", "TO", "CAUSE"}, rows);
}

nlohmann::json EventsToJson(const std::vector<JobEvent>& events) {
  nlohmann::json out = nlohmann::json::array();
  for (const JobEvent& e : events)
    out.push_back({{"time", TimeToJson(e.time)},
                   {"from", JobStateName(e.from)},
                   {"to", JobStateName(e.to)},
                   {"cause", e.cause}});
  return out;
}

}  // namespace muster::cli
