#include "scheduler/sim/muster_policy.h"

#include <map>

#include "scheduler/core/policy.h"
#include "scheduler/sim/sim_core.h"

namespace muster::sim {
namespace {
constexpr Duration kWindowHorizon = 8 * kDay;  // as musterd (scheduling.cc)
}

MusterPolicy::MusterPolicy(const Workload& w, const MusterOptions& o)
    : workload_(w), ledger_(o.fair_share_half_life) {
  q_.queues.clear();
  q_.queue_usage_gpu_hours.clear();
  q_.teams.clear();
  for (const auto& name : w.queues) {
    core::QueueConfig c;
    c.name = name;
    for (const auto& qo : o.queues) {
      if (qo.name != name) continue;
      c.weight = qo.weight;
      c.guaranteed_gpus = qo.guaranteed;
      c.max_gpus = qo.max;
      c.tier = qo.tier;
    }
    q_.queues.push_back(c);
    q_.queue_usage_gpu_hours.push_back(0.0);
  }
  // One team entry per (queue, team) pair, in sorted order, as musterd keys
  // fair share by queue and team.
  std::map<std::pair<int32_t, int32_t>, int32_t> slots;
  for (const auto& j : w.jobs) slots.emplace(std::make_pair(j.queue, j.team), 0);
  for (auto& [key, idx] : slots) {
    idx = static_cast<int32_t>(q_.teams.size());
    q_.teams.push_back({w.teams[key.second], key.first, 0.0});
    slot_queue_.push_back(w.queues[key.first]);
  }
  slot_gpus_.assign(q_.teams.size(), 0);
  jobs_.reserve(w.jobs.size());
  slot_.reserve(w.jobs.size());
  bool all_limited = true, none_limited = true;
  for (const auto& j : w.jobs) {
    core::PendingJob p = PendingFor(j);
    p.team = slots.at({j.queue, j.team});
    slot_.push_back(p.team);
    jobs_.push_back(p);
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
      charges_.push_back({slot_queue_[s], q_.teams[s].name, static_cast<int32_t>(slot_gpus_[s])});
  ledger_.Advance(view.now, charges_);
}

void MusterPolicy::OnStarted(const SimView& view, int32_t job) {
  slot_gpus_[slot_[job]] += view.workload.jobs[job].gpus;
}

void MusterPolicy::OnReleased(const SimView& view, int32_t job) {
  slot_gpus_[slot_[job]] -= view.workload.jobs[job].gpus;
}

const std::vector<TimeInterval>& MusterPolicy::Windows(Time now) {
  // As musterd: recomputed at most daily.
  const auto& cal = workload_.calendar;
  if (cal && (windows_until_ == kNoTime || now + kWindowHorizon - kDay > windows_until_)) {
    windows_until_ = now + kWindowHorizon;
    windows_ = cal->Windows(now - kDay, windows_until_);
  }
  return windows_;
}

void MusterPolicy::Decide(const SimView& view, const Changes& changes, Actions* out) {
  if (view.pending.empty()) return;
  if (!changes.arrivals && !changes.freed && !changes.wakeup) return;
  Time now = view.now;
  q_.policy.offpeak = Windows(now);
  order_.clear();
  for (int32_t j : view.pending) order_.push_back(&jobs_[j]);
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
  for (size_t q = 0; q < q_.queues.size(); ++q)
    q_.queue_usage_gpu_hours[q] = ledger_.Queue(q_.queues[q].name);
  for (size_t s = 0; s < q_.teams.size(); ++s)
    q_.teams[s].usage_gpu_hours = ledger_.Team(slot_queue_[s], q_.teams[s].name);

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
