#include "scheduler/core/retrain.h"

#include <algorithm>
#include <cctype>

namespace muster::core {
namespace {

void SetEnv(std::vector<EnvVar>& env, const std::string& name, const std::string& value) {
  auto it = std::find_if(env.begin(), env.end(), [&](const EnvVar& v) { return v.name == name; });
  if (it != env.end())
    it->value = value;
  else
    env.push_back({name, value});
}

}  // namespace

Time CooldownEnd(const Model& model) {
  if (model.last_end == kNoTime || model.spec.cooldown <= 0) return kNoTime;
  return model.last_end + model.spec.cooldown;
}

TriggerOutcome DecideTrigger(const Model& model, Time now) {
  if (model.active_job != kNoJob) return TriggerOutcome::kCoalesced;
  Time end = CooldownEnd(model);
  if (end != kNoTime && now < end) return TriggerOutcome::kDeferred;
  return TriggerOutcome::kSubmitted;
}

JobSpec RetrainJobSpec(const Model& model, JobId id, const std::string& reason,
                       const std::vector<EnvVar>& metrics, Time now) {
  JobSpec spec = model.spec.job;
  spec.kind = JobKind::kRetrain;
  spec.model = model.spec.name;
  if (spec.name.empty()) spec.name = "retrain-" + model.spec.name;
  if (model.spec.deadline > 0) spec.deadline = now + model.spec.deadline;
  SetEnv(spec.env, "MUSTER_MODEL", model.spec.name);
  SetEnv(spec.env, "MUSTER_TRIGGER_REASON", reason);
  for (const EnvVar& m : metrics) {
    // A metric name becomes MUSTER_METRIC_<NAME> with [A-Za-z0-9_] only.
    std::string name = "MUSTER_METRIC_";
    for (char c : m.name)
      name += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
    SetEnv(spec.env, name, m.value);
  }
  if (!model.warm_start.empty()) SetEnv(spec.env, "MUSTER_WARM_START", model.warm_start);
  if (!model.spec.checkpoint_dir.empty())
    SetEnv(spec.env, "MUSTER_CHECKPOINT_DIR", model.spec.checkpoint_dir + "/" + std::to_string(id));
  return spec;
}

std::string CheckpointDirOf(const Job& job, const std::string& checkpoint_root) {
  for (const EnvVar& v : job.spec.env)
    if (v.name == "MUSTER_CHECKPOINT_DIR") return v.value;
  return checkpoint_root + "/" + std::to_string(job.id);
}

void RecordRetrainEnd(Model& model, const Job& job, const std::string& checkpoint_root, Time now) {
  if (model.active_job == job.id) model.active_job = kNoJob;
  model.last_job = job.id;
  model.last_state = job.state;
  model.last_end = now;
  if (job.state == JobState::kCompleted) {
    model.last_success_job = job.id;
    model.warm_start = CheckpointDirOf(job, checkpoint_root);
  }
}

}  // namespace muster::core
