// Requests from the CLI and other clients.
#include <algorithm>

#include "common/base/job_spec.h"
#include "common/base/log.h"
#include "common/base/strings.h"
#include "scheduler/service/server.h"

namespace muster::service {

void Server::OnSubmit(const std::string& from, uint64_t rid, wire::SubmitJob& m) {
  Result<JobId> id = AcceptJob(std::move(m.spec));
  if (!id.ok()) return ReplyError(from, rid, wire::ErrorCode::kInvalidSpec, id.status().message());
  Reply(from, rid, wire::SubmitReply{*id});
}

Result<JobId> Server::AcceptJob(JobSpec spec) {
  if (spec.queue.empty()) spec.queue = "default";
  if (spec.team.empty()) spec.team = spec.user;
  MUSTER_RETURN_IF_ERROR(ValidateJobSpec(spec));
  auto queue = queues_.find(spec.queue);
  if (queue == queues_.end()) {
    std::string names;
    for (const auto& [name, q] : queues_) names += (names.empty() ? "" : ", ") + name;
    return Status::InvalidArgument("unknown queue '" + spec.queue + "' (queues: " + names + ")");
  }
  // Slurm's DefaultTime: the queue's limit applies to jobs that give none;
  // likewise its window to jobs that name none.
  if (spec.time_limit == 0) spec.time_limit = queue->second.default_time_limit;
  if (!spec.window_set) spec.window = queue->second.default_window;
  if (spec.topology == TopologyConstraint::kSameNode && spec.nodes > 1)
    return Status::InvalidArgument("--topology same-node cannot span " + std::to_string(spec.nodes) + " nodes");
  for (JobId dep : spec.after) {
    if (dep >= next_job_id_ || !FindJob(dep))
      return Status::InvalidArgument("dependency on job " + std::to_string(dep) + ", which does not exist");
  }
  JobEntry e;
  e.job.id = next_job_id_++;
  e.job.spec = std::move(spec);
  e.job.state = JobState::kPending;
  e.job.submit_time = clock_.Now();
  e.job.held = e.job.spec.hold;
  if (!e.job.spec.array.empty()) {
    auto array = ParseArraySpec(e.job.spec.array);  // validated above
    e.job.array_pending = FormatRanges(array->ranges);
    e.job.reason_detail = "array job: tasks " + e.job.array_pending + " not started yet";
  }
  ws_.SetNextId(next_job_id_);
  ws_.Append({e.job.id, e.job.submit_time, JobState::kPending, JobState::kPending, "submitted"});
  Persist(e.job);
  JobId id = e.job.id;
  if (IsArrayParent(e.job)) array_parents_.insert(id);
  IndexPending(e.job);
  active_.emplace(id, std::move(e));
  schedule_needed_ = true;
  return id;
}

void Server::OnListEvents(const std::string& from, uint64_t rid, const wire::ListEvents& m) {
  if (m.job == kNoJob || m.job >= next_job_id_ || !FindJob(m.job))
    return ReplyError(from, rid, wire::ErrorCode::kNotFound, "no job " + std::to_string(m.job));
  auto events = store_->Events(m.job);
  if (!events.ok()) return ReplyError(from, rid, wire::ErrorCode::kInternal, events.status().message());
  // This turn's own events are not on disk yet; they come with the next ask.
  Reply(from, rid, wire::EventList{std::move(*events)});
}

std::optional<Job> Server::FindJob(JobId id) {
  if (auto it = active_.find(id); it != active_.end()) return it->second.job;
  if (auto it = recent_.find(id); it != recent_.end()) return it->second;
  auto r = store_->GetJob(id);
  if (!r.ok()) {
    MLOG(Error) << "reading job " << id << ": " << r.status().ToString();
    return std::nullopt;
  }
  return *r;
}

void Server::OnListJobs(const std::string& from, uint64_t rid, const wire::ListJobs& m) {
  auto matches = [&](const Job& j) {
    if (!m.team.empty() && j.spec.team != m.team) return false;
    if (!m.queue.empty() && j.spec.queue != m.queue) return false;
    if (!m.states.empty() && std::find(m.states.begin(), m.states.end(), j.state) == m.states.end())
      return false;
    if (m.array_job != kNoJob && j.array_job != m.array_job) return false;
    return true;
  };
  if (m.array_task >= 0 && m.array_job == kNoJob)
    return ReplyError(from, rid, wire::ErrorCode::kBadRequest, "array_task needs array_job");
  wire::JobList out;
  if (m.array_task >= 0 && m.ids.empty()) {  // one task, as `muster show 42_7` names it
    auto task = FindArrayTask(m.array_job, m.array_task);
    if (!task.ok()) return ReplyError(from, rid, wire::ErrorCode::kNotFound, task.status().message());
    if (matches(*task)) out.jobs.push_back(std::move(*task));
    return Reply(from, rid, std::move(out));
  }
  if (!m.ids.empty()) {
    for (JobId id : m.ids) {
      auto j = FindJob(id);
      if (!j) return ReplyError(from, rid, wire::ErrorCode::kNotFound, "no job " + std::to_string(id));
      out.jobs.push_back(std::move(*j));
    }
    return Reply(from, rid, std::move(out));
  }
  for (const auto& [id, e] : active_)
    if (matches(e.job)) out.jobs.push_back(e.job);
  bool wants_final = m.states.empty() ||
                     std::any_of(m.states.begin(), m.states.end(), [](JobState s) { return IsFinal(s); });
  if (wants_final) {
    // Finished jobs held in memory (the newest ones); older history is read
    // through `ids` or, later, paged from the store.
    for (const auto& [id, j] : recent_)
      if (matches(j)) out.jobs.push_back(j);
    std::sort(out.jobs.begin(), out.jobs.end(), [](const Job& a, const Job& b) { return a.id < b.id; });
  }
  Reply(from, rid, std::move(out));
}

Server::JobEntry* Server::ActiveJobOrReply(const std::string& from, uint64_t rid, JobId id) {
  if (auto it = active_.find(id); it != active_.end()) return &it->second;
  auto j = FindJob(id);
  if (!j) ReplyError(from, rid, wire::ErrorCode::kNotFound, "no job " + std::to_string(id));
  else
    ReplyError(from, rid, wire::ErrorCode::kFailedPrecondition,
               JobName(*j) + " already ended " + JobStateName(j->state));
  return nullptr;
}

std::string Server::JobName(const Job& job) {
  std::string name = "job " + std::to_string(job.id);
  if (job.array_job == kNoJob || job.array_task < 0) return name;
  return name + " (" + std::to_string(job.array_job) + "_" + std::to_string(job.array_task) + ")";
}

void Server::OnCancel(const std::string& from, uint64_t rid, const wire::CancelJob& m) {
  JobEntry* found = ActiveJobOrReply(from, rid, m.id);
  if (!found) return;
  JobEntry& e = *found;
  if (IsArrayParent(e.job)) {
    CancelArray(e);
  } else if (e.job.state == JobState::kPending) {
    e.job.end_time = clock_.Now();
    e.job.reason = PendingReason::kNone;
    e.job.reason_detail = "cancelled by user while pending";
    Transition(e, JobState::kCancelled, "cancelled by user while pending");
    Finish(m.id);
  } else if (!e.job.ending || *e.job.ending != JobState::kCancelled) {
    TearDown(e, JobState::kCancelled, /*requeue=*/false, "cancelled by user");
  }
  Reply(from, rid, wire::Ok{});
}

void Server::OnListNodes(const std::string& from, uint64_t rid, const wire::ListNodes& m) {
  const size_t limit = m.limit == 0 ? wire::kNodePage : std::min(m.limit, wire::kNodePage);
  wire::NodeList out;
  for (auto it = m.after.empty() ? nodes_.begin() : nodes_.upper_bound(m.after); it != nodes_.end(); ++it) {
    if (out.nodes.size() == limit) {
      out.more = true;
      break;
    }
    const NodeEntry& n = it->second;
    wire::NodeStatus s;
    s.node = n.node;
    std::set<JobId> jobs;
    std::vector<std::string> problems;
    for (size_t g = 0; g < n.gpu_owner.size(); ++g) {
      bool healthy = g >= n.node.gpus.size() || n.node.gpus[g].healthy;
      if (!healthy)
        problems.push_back("GPU " + std::to_string(g) + " unhealthy: " +
                           (n.node.gpus[g].health_reason.empty() ? "no reason given" : n.node.gpus[g].health_reason));
      if (n.gpu_owner[g] != kNoJob) jobs.insert(n.gpu_owner[g]);
      else if (healthy) ++s.gpus_free;
    }
    s.problem = Join(problems, "; ");
    if (n.node.state != NodeState::kUp) s.gpus_free = 0;
    s.jobs.assign(jobs.begin(), jobs.end());
    out.nodes.push_back(std::move(s));
  }
  Reply(from, rid, std::move(out));
}

void Server::OnReadLog(const std::string& from, uint64_t rid, const wire::ReadLog& m) {
  auto job = FindJob(m.job);
  if (!job) return ReplyError(from, rid, wire::ErrorCode::kNotFound, "no job " + std::to_string(m.job));
  if (job->placement.empty()) {
    if (IsFinal(job->state))  // ended without ever starting: there never will be a log
      return ReplyError(from, rid, wire::ErrorCode::kNotFound,
                        "job " + std::to_string(m.job) + " ended " + JobStateName(job->state) + " without starting: no log");
    // Not started yet: an empty chunk, so `logs -f` waits for it.
    return Reply(from, rid, wire::LogChunk{"", m.offset, true, false});
  }
  int32_t world = WorldSizeOf(*job);
  if (m.rank < 0 || m.rank >= world)
    return ReplyError(from, rid, wire::ErrorCode::kNotFound,
                      "job " + std::to_string(m.job) + " has ranks 0.." + std::to_string(world - 1));
  const std::string& node_name = job->placement[NodeIndexOfRank(*job, m.rank)].node;
  auto it = nodes_.find(node_name);
  if (it == nodes_.end() || it->second.identity.empty() || it->second.node.state == NodeState::kDown)
    return ReplyError(from, rid, wire::ErrorCode::kUnavailable,
                      "node " + node_name + ", which holds the log, is not connected");
  uint64_t agent_rid = next_agent_request_++;
  log_reads_[agent_rid] = {from, rid, MonotonicMs() + options_.log_forward_timeout / kMillisecond, m.job, m.offset};
  wire::ReadLog fwd = m;
  fwd.max_bytes = std::min<uint32_t>(m.max_bytes ? m.max_bytes : 64 * 1024, 1024 * 1024);
  Reply(it->second.identity, agent_rid, fwd);
}

void Server::OnLogReply(uint64_t rid, wire::Body body) {
  auto it = log_reads_.find(rid);
  if (it == log_reads_.end()) return;  // late: the client already got a timeout
  PendingLogRead p = it->second;
  log_reads_.erase(it);
  if (auto* chunk = std::get_if<wire::LogChunk>(&body)) {
    // "finished" for the reader means no more output will ever come: the job
    // is over, not merely absent from this node (it may be requeued).
    auto job = FindJob(p.job);
    chunk->job_finished = chunk->job_finished && job && IsFinal(job->state);
  } else if (auto* err = std::get_if<wire::Error>(&body); err && err->code == wire::ErrorCode::kNotFound) {
    // No log on the node yet, for a job that is not over: its node refused
    // or lost the start and the job is being requeued, so output may still
    // come. `logs -f` waits for it rather than failing.
    auto job = FindJob(p.job);
    if (job && !IsFinal(job->state)) body = wire::LogChunk{"", p.offset, true, false};
  }
  Reply(p.client, p.client_request, std::move(body));
}

void Server::ExpireLogReads(int64_t now_mono) {
  for (auto it = log_reads_.begin(); it != log_reads_.end();) {
    if (it->second.deadline_mono <= now_mono) {
      ReplyError(it->second.client, it->second.client_request, wire::ErrorCode::kUnavailable,
                 "the node holding the log did not answer");
      it = log_reads_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace muster::service
