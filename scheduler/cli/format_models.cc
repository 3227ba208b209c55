// Models (retraining templates) and their triggers as tables and JSON.
#include <algorithm>

#include "common/base/strings.h"
#include "scheduler/cli/format.h"

namespace muster::cli {
namespace {

std::string IdOrDash(JobId id) { return id == kNoJob ? "-" : std::to_string(id); }
std::string DurationOrDash(Duration d) { return d > 0 ? FormatDuration(d) : "-"; }
std::string TimeOrDash(Time t) { return t == kNoTime ? "-" : FormatRfc3339(t); }

std::string ShapeText(const JobSpec& s) {
  if (s.nodes > 0) return std::to_string(s.nodes) + "x" + std::to_string(s.gpus_per_node);
  return std::to_string(s.total_gpus);
}

std::string LastText(const Model& m) {
  if (m.last_job == kNoJob) return "-";
  return std::to_string(m.last_job) + " " + JobStateName(m.last_state);
}

std::string MetricsText(const std::vector<EnvVar>& metrics) {
  std::vector<std::string> parts;
  for (const EnvVar& v : metrics) parts.push_back(v.name + "=" + v.value);
  return Join(parts, ",");
}

// What a model is doing now: its active retrain, a deferred one, or nothing.
std::string RetrainText(const wire::ModelInfo& info) {
  const Model& m = info.model;
  if (m.active_job != kNoJob) return std::to_string(m.active_job);
  if (m.due) return "due " + TimeOrDash(info.cooldown_end);
  return "-";
}

nlohmann::json TriggerToJson(const TriggerRecord& t) {
  nlohmann::json metrics = nlohmann::json::object();
  for (const EnvVar& v : t.metrics) metrics[v.name] = v.value;
  return {{"seq", t.seq},
          {"time", TimeToJson(t.time)},
          {"source", t.source},
          {"reason", t.reason},
          {"metrics", metrics},
          {"outcome", TriggerOutcomeName(t.outcome)},
          {"job", t.job == kNoJob ? nlohmann::json(nullptr) : nlohmann::json(t.job)}};
}

// Names only, as `muster show` prints a job's: values may hold secrets.
std::vector<std::string> EnvNames(const JobSpec& s) {
  std::vector<std::string> names;
  for (const EnvVar& v : s.env) names.push_back(v.name);
  return names;
}

nlohmann::json JobIdJson(JobId id) { return id == kNoJob ? nlohmann::json(nullptr) : nlohmann::json(id); }

}  // namespace

std::string FormatModelsTable(std::vector<wire::ModelInfo> models) {
  std::sort(models.begin(), models.end(), [](const wire::ModelInfo& a, const wire::ModelInfo& b) {
    return a.model.spec.name < b.model.spec.name;
  });
  std::vector<std::vector<std::string>> rows;
  for (const auto& info : models) {
    const Model& m = info.model;
    const JobSpec& job = m.spec.job;
    rows.push_back({m.spec.name, job.queue, ShapeText(job), WindowName(job.window),
                    DurationOrDash(m.spec.cooldown), RetrainText(info), LastText(m),
                    m.warm_start.empty() ? "-" : m.warm_start, std::to_string(m.triggers)});
  }
  return RenderTable(
      {"NAME", "QUEUE", "GPUS", "WINDOW", "COOLDOWN", "RETRAIN", "LAST", "WARM_START", "TRIGGERS"}, rows);
}

std::string FormatModelDetails(const wire::ModelInfo& info) {
  const Model& m = info.model;
  const ModelSpec& s = m.spec;
  std::string out = RenderFields({
      {"Model", s.name},
      {"Command", ShellJoin(s.job.argv)},
      {"Team", s.job.team},
      {"Queue", s.job.queue},
      {"GPUs", ShapeText(s.job)},
      {"Window", WindowName(s.job.window)},
      {"Preemptible", s.job.preemptible ? "yes" : "no"},
      {"Env", s.job.env.empty() ? "-" : Join(EnvNames(s.job), ",")},
      {"Deadline", s.deadline > 0 ? FormatDuration(s.deadline) + " after the trigger" : "-"},
      {"Cooldown", DurationOrDash(s.cooldown)},
      {"CheckpointDir",
       s.checkpoint_dir.empty() ? "(musterd's checkpoint root)/<job id>" : s.checkpoint_dir + "/<job id>"},
      {"Created", TimeOrDash(m.created)},
      {"Retrain", RetrainText(info)},
      {"LastRetrain", LastText(m) + (m.last_end == kNoTime ? "" : " at " + FormatRfc3339(m.last_end))},
      {"CooldownEnds", TimeOrDash(info.cooldown_end)},
      {"WarmStart", m.warm_start.empty()
                        ? "- (no retrain has succeeded yet)"
                        : m.warm_start + " (job " + std::to_string(m.last_success_job) + ")"},
      {"Due", m.due ? "yes: " + m.due_reason : "no"},
      {"Triggers", std::to_string(m.triggers)},
  });
  if (info.recent_triggers.empty()) return out;
  std::vector<std::vector<std::string>> rows;
  for (const TriggerRecord& t : info.recent_triggers)
    rows.push_back({std::to_string(t.seq), FormatRfc3339(t.time), t.source, TriggerOutcomeName(t.outcome),
                    IdOrDash(t.job), t.reason, MetricsText(t.metrics)});
  out += "\nNewest triggers:\n";
  out += RenderTable({"SEQ", "TIME", "SOURCE", "OUTCOME", "JOB", "REASON", "METRICS"}, rows);
  return out;
}

nlohmann::json ModelToJson(const wire::ModelInfo& info) {
  const Model& m = info.model;
  const ModelSpec& s = m.spec;
  nlohmann::json triggers = nlohmann::json::array();
  for (const TriggerRecord& t : info.recent_triggers) triggers.push_back(TriggerToJson(t));
  return {{"name", s.name},
          {"argv", s.job.argv},
          {"team", s.job.team},
          {"queue", s.job.queue},
          {"gpus", TotalGpus(s.job)},
          {"nodes", s.job.nodes},
          {"window", WindowName(s.job.window)},
          {"preemptible", s.job.preemptible},
          {"env_names", EnvNames(s.job)},
          {"deadline_s", s.deadline / kSecond},
          {"cooldown_s", s.cooldown / kSecond},
          {"checkpoint_dir", s.checkpoint_dir},
          {"created", TimeToJson(m.created)},
          {"active_job", JobIdJson(m.active_job)},
          {"last_job", JobIdJson(m.last_job)},
          {"last_state",
           m.last_job == kNoJob ? nlohmann::json(nullptr) : nlohmann::json(JobStateName(m.last_state))},
          {"last_end", TimeToJson(m.last_end)},
          {"last_success_job", JobIdJson(m.last_success_job)},
          {"warm_start", m.warm_start.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.warm_start)},
          {"cooldown_end", TimeToJson(info.cooldown_end)},
          {"due", m.due},
          {"triggers", m.triggers},
          {"recent_triggers", triggers}};
}

nlohmann::json ModelsToJson(std::vector<wire::ModelInfo> models) {
  std::sort(models.begin(), models.end(), [](const wire::ModelInfo& a, const wire::ModelInfo& b) {
    return a.model.spec.name < b.model.spec.name;
  });
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : models) out.push_back(ModelToJson(m));
  return out;
}

std::string FormatTriggerReply(const std::string& model, const wire::TriggerReply& r) {
  std::string seq = " (trigger #" + std::to_string(r.seq) + ")";
  switch (r.outcome) {
    case TriggerOutcome::kSubmitted:
      return "Submitted retrain job " + std::to_string(r.job) + " for model " + model + seq + "\n";
    case TriggerOutcome::kCoalesced:
      return "Recorded on retrain job " + std::to_string(r.job) + " of model " + model +
             ", already pending or running" + seq + "\n";
    case TriggerOutcome::kDeferred:
      return "Deferred: model " + model + " cools down until " + TimeOrDash(r.cooldown_end) +
             "; one retrain will be submitted then" + seq + "\n";
  }
  return "";
}

nlohmann::json TriggerReplyToJson(const wire::TriggerReply& r) {
  return {{"outcome", TriggerOutcomeName(r.outcome)},
          {"job", JobIdJson(r.job)},
          {"seq", r.seq},
          {"cooldown_end", TimeToJson(r.cooldown_end)}};
}

}  // namespace muster::cli
