#include "scheduler/service/client_api.h"

#include <algorithm>

#include "common/proto/wire_errors.h"
#include "scheduler/service/admission.h"

namespace muster::service {

JobEntry* ClientApi::ActiveOrReply(const Caller& from, JobId id) {
  auto e = jobs_.ActiveOr(id);
  if (e.ok()) return *e;
  fx_.Reply(from, wire::ErrorOf(e.status()));
  return nullptr;
}

void ClientApi::OnSubmit(const Caller& from, wire::SubmitJob& m) {
  Result<JobId> id = AdmitJob(std::move(m.spec), m.token, clock_.Now(), jobs_, queues_, arrays_);
  if (!id.ok()) return fx_.Error(from, wire::ErrorCode::kInvalidSpec, id.status().message());
  fx_.Reply(from, wire::SubmitReply{*id});
}

void ClientApi::OnListEvents(const Caller& from, const wire::ListEvents& m) {
  if (m.job == kNoJob || m.job >= jobs_.next_id() || !jobs_.Find(m.job))
    return fx_.Error(from, wire::ErrorCode::kNotFound, "no job " + std::to_string(m.job));
  auto events = store_.Events(m.job);
  if (!events.ok()) return fx_.Error(from, wire::ErrorCode::kInternal, events.status().message());
  // This turn's own events are not on disk yet; they come with the next ask.
  fx_.Reply(from, wire::EventList{std::move(*events)});
}

void ClientApi::OnListJobs(const Caller& from, const wire::ListJobs& m) {
  auto matches = [&](const Job& j) {
    if (!m.team.empty() && j.spec.team != m.team) return false;
    if (!m.queue.empty() && j.spec.queue != m.queue) return false;
    if (!m.states.empty() && std::find(m.states.begin(), m.states.end(), j.state) == m.states.end())
      return false;
    if (m.array_job != kNoJob && j.array_job != m.array_job) return false;
    return true;
  };
  if (m.array_task >= 0 && m.array_job == kNoJob)
    return fx_.Error(from, wire::ErrorCode::kBadRequest, "array_task needs array_job");
  wire::JobList out;
  if (m.array_task >= 0 && m.ids.empty()) {  // one task, as `muster show 42_7` names it
    auto task = arrays_.FindTask(m.array_job, m.array_task);
    if (!task.ok()) return fx_.Error(from, wire::ErrorCode::kNotFound, task.status().message());
    if (matches(*task)) out.jobs.push_back(std::move(*task));
    return fx_.Reply(from, std::move(out));
  }
  if (!m.ids.empty()) {
    for (JobId id : m.ids) {
      auto j = jobs_.Find(id);
      if (!j) return fx_.Error(from, wire::ErrorCode::kNotFound, "no job " + std::to_string(id));
      out.jobs.push_back(std::move(*j));
    }
    return fx_.Reply(from, std::move(out));
  }
  for (const auto& [id, e] : jobs_.active())
    if (matches(e.job)) out.jobs.push_back(e.job);
  bool wants_final = m.states.empty() ||
                     std::any_of(m.states.begin(), m.states.end(), [](JobState s) { return IsFinal(s); });
  if (wants_final) {
    // Finished jobs held in memory (the newest ones); older history is read
    // through `ids`.
    for (const auto& [id, j] : jobs_.recent())
      if (matches(j)) out.jobs.push_back(j);
    std::sort(out.jobs.begin(), out.jobs.end(), [](const Job& a, const Job& b) { return a.id < b.id; });
  }
  fx_.Reply(from, std::move(out));
}

void ClientApi::OnCancel(const Caller& from, const wire::CancelJob& m) {
  JobEntry* e = ActiveOrReply(from, m.id);
  if (!e) return;
  if (Arrays::IsParent(e->job)) {
    arrays_.Cancel(*e);
  } else if (e->job.state == JobState::kPending) {
    e->job.end_time = clock_.Now();
    e->job.reason = PendingReason::kNone;
    e->job.reason_detail = "cancelled by user while pending";
    jobs_.Transition(*e, JobState::kCancelled, "cancelled by user while pending");
    jobs_.Finish(m.id);
  } else if (!e->job.ending || *e->job.ending != JobState::kCancelled) {
    gangs_.TearDown(*e, JobState::kCancelled, /*requeue=*/false, "cancelled by user");
  }
  fx_.Reply(from, wire::Ok{});
}

void ClientApi::OnJobAction(const Caller& from, const wire::JobAction& m) {
  JobEntry* e = ActiveOrReply(from, m.id);
  if (!e) return;
  Job& j = e->job;
  switch (m.op) {
    case wire::JobOp::kHold:
      if (j.state != JobState::kPending)
        return fx_.Error(
            from, wire::ErrorCode::kFailedPrecondition,
            "only a pending job can be held; " + JobTable::NameOf(j) + " is " + JobStateName(j.state));
      j.held = true;
      j.reason = PendingReason::kHeld;
      j.reason_detail = "held; `muster release` lets it run";
      break;
    case wire::JobOp::kRelease:
      if (!j.held)
        return fx_.Error(from, wire::ErrorCode::kFailedPrecondition, JobTable::NameOf(j) + " is not held");
      j.held = false;
      break;
    case wire::JobOp::kSetPriority:
      j.spec.priority = m.priority;
      break;
    case wire::JobOp::kRequeue:
      if (j.placement.empty())
        return fx_.Error(from, wire::ErrorCode::kFailedPrecondition, JobTable::NameOf(j) + " is not running");
      // The teardown persists the job and may requeue it at once.
      gangs_.TearDown(*e, JobState::kPreempted, /*requeue=*/true, "requeued by an operator");
      fx_.ScheduleSoon();
      return fx_.Reply(from, wire::Ok{});
  }
  jobs_.Reindex(j);  // held, released or reprioritised: its place in the order moved
  jobs_.Persist(j);
  fx_.ScheduleSoon();
  fx_.Reply(from, wire::Ok{});
}

}  // namespace muster::service
