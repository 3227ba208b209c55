#include "scheduler/sim/muster_policy.h"

#include "scheduler/core/policy.h"
#include "scheduler/sim/sim_core.h"

namespace muster::sim {

MusterPolicy::MusterPolicy(const Workload& w, const MusterOptions& o)
    : workload_(w),
      offpeak_(w.calendar),
      // Every simulated decision is at least a second after the last, so
      // each is a full cycle and looks full_queue_depth deep, as musterd's.
      queue_(input::PendingQueue::Options{}),
      ledger_(o.fair_share_half_life) {
  std::vector<core::QueueConfig> configs;
  for (const auto& name : w.queues) {  // sorted by name, as musterd's queues
    QueueSpec spec;
    spec.name = name;
    for (const auto& qo : o.queues) {
      if (qo.name != name) continue;
      spec.weight = qo.weight;
      spec.guaranteed_gpus = qo.guaranteed;
      spec.max_gpus = qo.max;
      spec.tier = qo.tier;
    }
    configs.push_back(input::QueueConfigOf(spec));
  }
  tables_.Reset(std::move(configs));
  for (const auto& j : w.jobs) tables_.Note(j.queue, w.teams[j.team]);
  tables_.Finish(ledger_, &q_);
  slot_gpus_.assign(q_.teams.size(), 0);
  jobs_.reserve(w.jobs.size());
  slot_.reserve(w.jobs.size());
  pending_.assign(w.jobs.size(), 0);
  bool all_limited = true, none_limited = true;
  for (const auto& j : w.jobs) {
    int32_t team = tables_.Team(j.queue, w.teams[j.team]);
    core::PendingJob p = PendingFor(w, static_cast<int32_t>(jobs_.size()));
    p.team = team;
    jobs_.push_back(p);
    slot_.push_back(team);
    (j.time_limit > 0 ? none_limited : all_limited) = false;
  }
  q_.policy.backfill = o.backfill;

  bool tiers_differ = false, guarantees = false, quotas = false;
  for (const auto& c : q_.queues) {
    tiers_differ |= c.tier != q_.queues.front().tier;
    guarantees |= c.guaranteed_gpus > 0;
    quotas |= c.max_gpus >= 0;
  }
  may_preempt_ = tiers_differ || guarantees;
  if (!o.prune) {
    prune_note_ = "off (--no-prune)";
  } else if (may_preempt_) {
    prune_note_ = "off: queues with tiers or guarantees may preempt";
  } else if (quotas) {
    prune_note_ = "off: a queue has a max quota";
  } else if (!all_limited && !none_limited) {
    prune_note_ = "off: some jobs have time limits and some do not";
  } else {
    prune_ = true;
    prune_note_ = "on";
  }
}

void MusterPolicy::BeforeBatch(const SimView& view) {
  // The running set has not changed since the previous batch: charge it for
  // the time in between (the ledger decays and charges in one step).
  charges_.clear();
  for (size_t s = 0; s < slot_gpus_.size(); ++s)
    if (slot_gpus_[s] > 0)
      charges_.push_back(
          {q_.queues[q_.teams[s].queue].name, q_.teams[s].name, static_cast<int32_t>(slot_gpus_[s])});
  ledger_.Advance(view.now, charges_);
}

void MusterPolicy::OnPending(const SimView& view, int32_t job) {
  pending_[job] = 1;
  const SimJob& j = workload_.jobs[job];
  queue_.Add(
      {workload_.queues[j.queue], workload_.teams[j.team], 0, j.submit, j.id, j.window == Window::kAnytime});
}

void MusterPolicy::OnStarted(const SimView& view, int32_t job) {
  pending_[job] = 0;
  slot_gpus_[slot_[job]] += view.workload.jobs[job].gpus;
}

void MusterPolicy::OnReleased(const SimView& view, int32_t job) {
  slot_gpus_[slot_[job]] -= view.workload.jobs[job].gpus;
}

void MusterPolicy::Decide(const SimView& view, const Changes& changes, Actions* out) {
  if (view.pending.empty()) return;
  if (!changes.arrivals && !changes.freed && !changes.wakeup) return;
  Time now = view.now;
  q_.policy.offpeak = offpeak_.Windows(now);
  // The one pending-queue filter, as musterd's cycle uses it; then the
  // provably inert jobs are dropped (PendingFilter).
  auto selection = queue_.Select(
      now,
      [this](JobId id) -> std::optional<input::PendingEntry> {
        int32_t job = static_cast<int32_t>(id - 1);
        if (job < 0 || job >= static_cast<int32_t>(pending_.size()) || !pending_[job]) return std::nullopt;
        const SimJob& j = workload_.jobs[job];
        return input::PendingEntry{workload_.queues[j.queue],   workload_.teams[j.team], 0, j.submit, j.id,
                                   j.window == Window::kAnytime};
      },
      nullptr);
  order_.clear();
  for (JobId id : selection.jobs) order_.push_back(&jobs_[id - 1]);
  q_.pending.clear();
  int32_t free = view.cluster.free_gpus();
  SelectResult sel = filter_.Select(order_, q_, free, now, prune_, &q_.pending);
  // As musterd, the next wake-up is the earliest eta of the pending jobs:
  // when one becomes eligible for its window (these are the dropped
  // ineligible jobs' etas), or, below, when a reservation is due.
  out->wakeup = sel.next_eligible;
  // Nothing can start with fewer free GPUs than the smallest eligible job
  // needs, and without tiers or guarantees nothing can preempt either.
  if (!may_preempt_ && free < sel.min_eligible_need) return;
  out->consulted = true;
  tables_.Finish(ledger_, &q_);  // usage as of now; the tables themselves never change

  core::Plan plan = core::Decide(view.cluster.snapshot(), q_, now);
  for (const auto& p : plan.preemptions) {
    const core::RunningJob* r = view.cluster.Running(p.victim);
    if (!r || r->ending) continue;
    out->preempt.push_back(static_cast<int32_t>(p.victim - 1));
  }
  for (auto& p : plan.placements)
    out->starts.push_back({static_cast<int32_t>(p.job - 1), std::move(p.nodes)});
  Time wake = sel.next_eligible;
  for (const auto& v : plan.pending)
    if (v.eta != kNoTime && v.eta > now && (wake == kNoTime || v.eta < wake)) wake = v.eta;
  out->wakeup = wake;
}

}  // namespace muster::sim
