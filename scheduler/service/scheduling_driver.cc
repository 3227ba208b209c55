#include "scheduler/service/scheduling_driver.h"

#include <algorithm>
#include <map>

#include "common/base/log.h"
#include "scheduler/core/policy.h"

namespace muster::service {
namespace {

input::PendingEntry EntryOf(const Job& j) {
  const bool plain = j.spec.window == Window::kAnytime && j.spec.after.empty() && !j.held;
  return {j.spec.queue, j.spec.team, j.spec.priority, j.submit_time, j.id, plain};
}

// Converts a wall-clock instant into the loop's monotonic time.
int64_t MonotonicAt(const Clock& clock, Time at) {
  return clock.MonotonicNow() + std::max<Duration>(at - clock.Now(), 0);
}

}  // namespace

SchedulingDriver::SchedulingDriver(Options options, std::shared_ptr<const timewin::OffPeakCalendar> calendar,
                                   JobTable& jobs, NodeRegistry& nodes, Queues& queues, Arrays& arrays,
                                   GangCoordinator& gangs, Effects& fx, Timers& timers, const Clock& clock)
    : options_(options),
      jobs_(jobs),
      nodes_(nodes),
      queues_(queues),
      arrays_(arrays),
      gangs_(gangs),
      fx_(fx),
      timers_(timers),
      clock_(clock),
      offpeak_(std::move(calendar)),
      pending_({options.queue_depth, options.full_queue_depth, kSecond}) {}

void SchedulingDriver::IndexAll() {
  pending_.Clear();
  for (const auto& [id, e] : jobs_.active()) Index(e.job);
}

void SchedulingDriver::Index(const Job& j) {
  if (j.state != JobState::kPending || Arrays::IsParent(j)) return;
  pending_.Add(EntryOf(j));
}

std::optional<input::PendingEntry> SchedulingDriver::Lookup(JobId id) {
  const JobEntry* e = jobs_.Active(id);
  if (!e || e->job.state != JobState::kPending || Arrays::IsParent(e->job)) return std::nullopt;
  return EntryOf(e->job);
}

core::DependencyState SchedulingDriver::DependencyStateOf(const Job& job) {
  for (JobId dep : job.spec.after) {
    if (jobs_.Active(dep)) return core::DependencyState::kWaiting;
    auto d = jobs_.Find(dep);
    if (!d || d->state != JobState::kCompleted) return core::DependencyState::kNeverSatisfied;
  }
  return core::DependencyState::kMet;
}

bool SchedulingDriver::Cycle() {
  fx_.ClearSchedule();
  Time now = clock_.Now();
  queues_.AdvanceUsage(now, jobs_);
  arrays_.Expand();

  auto selection = pending_.Select(
      clock_.MonotonicNow(), [this](JobId id) { return Lookup(id); },
      [this](JobId id, const std::string& why) {
        JobEntry* e = jobs_.Active(id);
        e->job.reason = PendingReason::kPriority;  // derived, not persisted
        e->job.reason_detail = why;
      });
  full_cycle_owed_ = selection.unseen || (!selection.full && full_cycle_owed_);
  if (full_cycle_owed_)
    timers_.Arm(Timer::kFullCycle, 0, pending_.NextFullCycleUs());
  else
    timers_.Disarm(Timer::kFullCycle, 0);

  // The tables of this snapshot: every queue, and the teams in use.
  std::vector<core::QueueConfig> configs;
  for (const auto& [name, spec] : queues_.specs()) configs.push_back(input::QueueConfigOf(spec));
  tables_.Reset(std::move(configs));
  // Placed jobs with GPUs, looked up once for the two passes below.
  std::vector<const Job*> placed;
  placed.reserve(jobs_.placed().size());
  for (JobId id : jobs_.placed())
    if (const JobEntry* e = jobs_.Active(id); e && !e->job.placement.empty()) placed.push_back(&e->job);
  for (const Job* j : placed) tables_.Note(tables_.Queue(j->spec.queue), j->spec.team);
  for (JobId id : selection.jobs) {
    const Job& j = jobs_.Active(id)->job;
    tables_.Note(tables_.Queue(j.spec.queue), j.spec.team);
  }
  core::QueueSnapshot q;
  tables_.Finish(queues_.usage(), &q);

  core::ClusterSnapshot& cluster = nodes_.Snapshot();
  for (const Job* j : placed) {
    int32_t queue = tables_.Queue(j->spec.queue);
    cluster.running.push_back(input::RunningJobOf(j->id, j->spec, j->start_time, j->ending.has_value(),
                                                  j->placement, queue, tables_.Team(queue, j->spec.team)));
  }
  std::map<JobId, int32_t> array_index;
  arrays_.Limits(&q.arrays, &array_index);
  for (JobId id : selection.jobs) {
    const Job& j = jobs_.Active(id)->job;
    const JobSpec& s = j.spec;
    int32_t queue = tables_.Queue(s.queue);
    auto array = j.array_job == kNoJob ? array_index.end() : array_index.find(j.array_job);
    q.pending.push_back(input::PendingJobOf(
        id, s, j.submit_time, j.held, s.after.empty() ? core::DependencyState::kMet : DependencyStateOf(j),
        queue, tables_.Team(queue, s.team), array == array_index.end() ? -1 : array->second));
  }
  if (q.pending.empty()) return selection.full;
  q.policy.backfill = options_.backfill;
  q.policy.offpeak = offpeak_.Windows(now);

  core::Plan plan = core::Decide(cluster, q, now);
  Apply(plan, now);
  return selection.full;
}

void SchedulingDriver::Apply(core::Plan& plan, Time now) {
  for (JobId id : plan.never_runnable) FailNeverRunnable(id);
  for (const auto& p : plan.preemptions) {
    JobEntry* e = jobs_.Active(p.victim);
    if (!e || e->job.placement.empty() || e->job.ending) continue;
    gangs_.TearDown(*e, JobState::kPreempted, /*requeue=*/true, p.why);
  }
  for (auto& p : plan.placements) {
    JobEntry* e = jobs_.Active(p.job);
    if (!e || e->job.state != JobState::kPending) continue;
    // Re-check the plan against the state it will change (docs/architecture.md).
    if (!nodes_.AllFree(p.nodes)) {
      fx_.ScheduleSoon();  // stale: retry next turn
      continue;
    }
    gangs_.Launch(*e, std::move(p.nodes));
  }
  // Arrays create their tasks a few per cycle (Arrays::Expand): while this
  // cycle placed work and an array still has tasks to create, run another,
  // so a 10,000-task array dispatches as fast as GPUs allow rather than a
  // few tasks per event.
  if (!plan.placements.empty() && arrays_.expanding()) fx_.ScheduleSoon();
  Time wakeup = kNoTime;
  for (auto& v : plan.pending) {
    JobEntry* e = jobs_.Active(v.job);
    if (!e) continue;
    e->job.reason = v.reason;  // derived, recomputed each cycle: not persisted
    e->job.reason_detail = std::move(v.detail);
    if (v.eta != kNoTime && v.eta > now && (wakeup == kNoTime || v.eta < wakeup)) wakeup = v.eta;
  }
  // Windows opening and reservations falling due are boundaries too.
  if (wakeup != kNoTime)
    timers_.Arm(Timer::kWakeup, 0, MonotonicAt(clock_, wakeup));
  else
    timers_.Disarm(Timer::kWakeup, 0);
}

void SchedulingDriver::FailNeverRunnable(JobId id) {
  JobEntry* e = jobs_.Active(id);
  if (!e) return;
  e->job.reason = PendingReason::kDependencyNeverSatisfied;
  e->job.reason_detail = "a job it depends on (afterok) did not complete";
  e->job.end_time = clock_.Now();
  e->job.exit_code = 1;
  jobs_.Transition(*e, JobState::kFailed, "DependencyNeverSatisfied");
  jobs_.Finish(id);
  fx_.ScheduleSoon();  // its own dependents fail next
}

}  // namespace muster::service
