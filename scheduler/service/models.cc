#include "scheduler/service/models.h"

#include <algorithm>

#include "common/base/job_spec.h"
#include "common/base/log.h"
#include "scheduler/core/retrain.h"
#include "scheduler/service/admission.h"

namespace muster::service {
namespace {

constexpr size_t kMaxReasonBytes = 4096;
constexpr size_t kMaxMetricNameBytes = 128;
constexpr size_t kMaxMetricValueBytes = 256;
constexpr size_t kMaxSourceBytes = 256;
constexpr const char* kAnyTeam = "*";  // an HTTP token that may trigger every model
// A model keeps its newest triggers; older ones are dropped as new ones come.
constexpr uint64_t kTriggerRetention = 10000;
// A ModelList reply stays well under the 8 MiB frame limit.
constexpr size_t kMaxTriggerReplyBytes = 4 * 1024 * 1024;

size_t ApproxBytes(const TriggerRecord& t) {
  size_t n = 64 + t.source.size() + t.reason.size();
  for (const EnvVar& m : t.metrics) n += 16 + m.name.size() + m.value.size();
  return n;
}

Status ValidateTrigger(const wire::TriggerModel& m) {
  if (m.reason.size() > kMaxReasonBytes) return Status::InvalidArgument("reason is longer than 4 KiB");
  if (m.source.size() > kMaxSourceBytes) return Status::InvalidArgument("source is longer than 256 bytes");
  if (m.metrics.size() > wire::kMaxMetrics)
    return Status::InvalidArgument("too many metrics (max " + std::to_string(wire::kMaxMetrics) + ")");
  for (const EnvVar& v : m.metrics) {
    if (v.name.empty() || v.name.size() > kMaxMetricNameBytes || v.name.find('=') != std::string::npos ||
        v.name.find('\0') != std::string::npos)
      return Status::InvalidArgument("bad metric name '" + v.name.substr(0, 64) +
                                     "': 1-128 bytes, no '=' (give --metric NAME=VALUE)");
    if (v.value.size() > kMaxMetricValueBytes || v.value.find('\0') != std::string::npos)
      return Status::InvalidArgument("metric '" + v.name + "' has a bad value (at most 256 bytes)");
  }
  auto has_control = [](const std::string& s) {
    return std::any_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x20 && c != '\t'; });
  };
  if (has_control(m.reason) || has_control(m.source))
    return Status::InvalidArgument("reason and source are one line of text (no control characters)");
  return Status::Ok();
}

}  // namespace

void Models::Recover(std::vector<Model> models) {
  for (Model& m : models) {
    // Every change to a model commits with the job change that caused it, so
    // an active job that is not active any more means a store written by
    // hand or by a different version; free the model rather than block it.
    if (m.active_job != kNoJob && !jobs_.Active(m.active_job)) {
      MLOG(Warning) << "model " << m.spec.name << ": its retrain " << m.active_job
                    << " is not active; releasing the model";
      m.active_job = kNoJob;
      Persist(m);
    }
    models_.emplace(m.spec.name, std::move(m));
  }
}

void Models::OnPut(const Caller& from, const wire::PutModel& m) {
  ModelSpec spec = m.spec;
  if (spec.job.queue.empty()) spec.job.queue = "default";
  if (spec.job.team.empty()) spec.job.team = spec.job.user;
  if (Status st = ValidateModelSpec(spec); !st.ok())
    return fx_.Error(from, wire::ErrorCode::kInvalidSpec, st.message());
  if (!queues_.Find(spec.job.queue))
    return fx_.Error(from, wire::ErrorCode::kInvalidSpec, "unknown queue '" + spec.job.queue + "'");
  auto it = models_.find(spec.name);
  if (m.create && it != models_.end())
    return fx_.Error(from, wire::ErrorCode::kFailedPrecondition,
                     "model '" + spec.name + "' exists (use: muster model update)");
  if (!m.create && it == models_.end())
    return fx_.Error(from, wire::ErrorCode::kNotFound, "no model '" + spec.name + "'");
  if (it == models_.end()) {
    Model model;
    model.created = clock_.Now();
    it = models_.emplace(spec.name, std::move(model)).first;
  }
  it->second.spec = std::move(spec);  // the state (active job, warm start, history) stays
  Persist(it->second);
  fx_.Reply(from, wire::Ok{});
}

void Models::OnDelete(const Caller& from, const wire::DeleteModel& m) {
  auto it = models_.find(m.name);
  if (it == models_.end()) return fx_.Error(from, wire::ErrorCode::kNotFound, "no model '" + m.name + "'");
  // A retrain already submitted keeps running; it just no longer updates a model.
  models_.erase(it);
  fx_.ForgetModel(m.name);
  fx_.writes().DeleteModelNamed(m.name);
  fx_.Reply(from, wire::Ok{});
}

void Models::OnList(const Caller& from, const wire::ListModels& m) {
  if (!m.name.empty() && !models_.count(m.name))
    return fx_.Error(from, wire::ErrorCode::kNotFound, "no model '" + m.name + "'");
  size_t limit = std::min(m.trigger_limit, wire::kMaxTriggerHistory);
  wire::ModelList out;
  for (const auto& [name, model] : models_) {
    if (!m.name.empty() && name != m.name) continue;
    wire::ModelInfo info{model, {}, core::CooldownEnd(model)};
    if (limit > 0) {
      auto triggers = store_.Triggers(name, limit);
      if (!triggers.ok())
        return fx_.Error(from, wire::ErrorCode::kInternal,
                         "reading triggers: " + triggers.status().message());
      info.recent_triggers = std::move(*triggers);
      // Newest first until the reply would grow too large.
      size_t bytes = 0, keep = 0;
      for (auto t = info.recent_triggers.rbegin(); t != info.recent_triggers.rend(); ++t, ++keep)
        if ((bytes += ApproxBytes(*t)) > kMaxTriggerReplyBytes) break;
      info.recent_triggers.erase(info.recent_triggers.begin(),
                                 info.recent_triggers.end() - static_cast<std::ptrdiff_t>(keep));
    }
    out.models.push_back(std::move(info));
  }
  fx_.Reply(from, std::move(out));
}

void Models::OnTrigger(const Caller& from, const wire::TriggerModel& m) {
  auto it = models_.find(m.model);
  if (it == models_.end()) return fx_.Error(from, wire::ErrorCode::kNotFound, "no model '" + m.model + "'");
  if (Status st = ValidateTrigger(m); !st.ok())
    return fx_.Error(from, wire::ErrorCode::kBadRequest, st.message());
  Model& model = it->second;
  // Checked here, on the loop, not by the caller: no delete and re-register
  // can slip between the check and the trigger.
  if (!m.team.empty() && m.team != kAnyTeam && model.spec.job.team != m.team)
    return fx_.Error(from, wire::ErrorCode::kPermissionDenied,
                     "model '" + m.model + "' is not a model of team '" + m.team + "'");
  Time now = clock_.Now();
  TriggerRecord t{
      model.spec.name, model.triggers, now, m.source, m.reason, m.metrics, core::DecideTrigger(model, now),
      kNoJob};
  switch (t.outcome) {
    case TriggerOutcome::kSubmitted: {
      Result<JobId> id = SubmitRetrain(model, m.reason, m.metrics);
      // The template was valid when registered (and its queue cannot be
      // deleted); should musterd refuse it now, nothing is recorded: the
      // sender can fix the model and retry.
      if (!id.ok())
        return fx_.Error(
            from, wire::ErrorCode::kFailedPrecondition,
            "model '" + model.spec.name + "' cannot submit its retrain: " + id.status().message());
      t.job = *id;
      break;
    }
    case TriggerOutcome::kCoalesced:
      t.job = model.active_job;
      break;
    case TriggerOutcome::kDeferred:
      model.due = true;
      model.due_reason = m.reason;
      model.due_metrics = m.metrics;
      break;
  }
  ++model.triggers;
  fx_.writes().Append(t);
  if (t.seq >= kTriggerRetention) fx_.writes().DropTriggerOf(model.spec.name, t.seq - kTriggerRetention);
  Persist(model);
  fx_.Reply(from, wire::TriggerReply{t.outcome, t.job, t.seq, core::CooldownEnd(model)});
}

Result<JobId> Models::SubmitRetrain(Model& model, const std::string& reason,
                                    const std::vector<EnvVar>& metrics) {
  Time now = clock_.Now();
  Result<JobId> id = AdmitJob(core::RetrainJobSpec(model, jobs_.next_id(), reason, metrics, now), "", now,
                              jobs_, queues_, arrays_);
  if (!id.ok()) return id;
  model.active_job = *id;
  model.due = false;
  model.due_reason.clear();
  model.due_metrics.clear();
  Persist(model);
  MLOG(Info) << "model " << model.spec.name << ": retrain job " << *id << " submitted (" << reason << ")";
  return id;
}

void Models::SubmitDue(Time now) {
  for (auto& [name, model] : models_) {
    if (!model.due || model.active_job != kNoJob) continue;
    Time end = core::CooldownEnd(model);
    if (end != kNoTime && now < end) continue;
    Result<JobId> id = SubmitRetrain(model, model.due_reason, model.due_metrics);
    if (!id.ok()) {
      // Dropped, not retried every second; the next trigger tries again.
      MLOG(Warning) << "model " << name
                    << ": deferred retrain cannot be submitted: " << id.status().message();
      model.due = false;
      Persist(model);
    }
  }
}

void Models::OnJobFinished(const Job& job) {
  if (job.spec.kind != JobKind::kRetrain) return;
  auto it = models_.find(job.spec.model);
  if (it == models_.end() || it->second.active_job != job.id) return;
  core::RecordRetrainEnd(it->second, job, checkpoint_root_, clock_.Now());
  Persist(it->second);
}

std::string Models::UsingQueue(const std::string& queue) const {
  for (const auto& [name, model] : models_)
    if (model.spec.job.queue == queue) return name;
  return "";
}

const Model* Models::DirtyRecord(const std::string& name) const {
  auto it = models_.find(name);
  return it == models_.end() ? nullptr : &it->second;
}

}  // namespace muster::service
