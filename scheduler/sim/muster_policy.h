// `muster`: the production policy, core::Decide, called the way musterd
// calls it (scheduler/service/scheduling.cc): queues with their default time
// limits, teams with decayed fair-share usage from the core's UsageLedger,
// off-peak windows for the coming week from the shared calendar, then the
// plan applied (preemptions, then placements, each re-checked).
//
// Differences from musterd, none of which changes a plan:
//  - the usage ledger advances at every batch of events, not only when
//    Decide runs, so a job that ends is charged up to its end;
//  - Decide is not called when it provably cannot start or preempt
//    anything (no preemption configured and fewer free GPUs than the
//    smallest window-eligible pending job needs);
//  - it sees the pending subset PendingFilter proves sufficient.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "scheduler/core/fair_share.h"
#include "scheduler/core/snapshot.h"
#include "scheduler/sim/pending_filter.h"
#include "scheduler/sim/policy.h"
#include "scheduler/sim/sim_options.h"

namespace muster::sim {

class MusterPolicy final : public SimPolicy {
 public:
  MusterPolicy(const Workload& workload, const MusterOptions& options);
  std::string name() const override { return "muster"; }
  void BeforeBatch(const SimView& view) override;
  void OnStarted(const SimView& view, int32_t job) override;
  void OnReleased(const SimView& view, int32_t job) override;
  void Decide(const SimView& view, const Changes& changes, Actions* out) override;

  // Whether PendingFilter's soundness conditions hold for this workload and
  // configuration (and, if not, why), for the run's notes.
  bool pruning() const { return prune_; }
  const std::string& pruning_note() const { return prune_note_; }

 private:
  const std::vector<TimeInterval>& Windows(Time now);

  const Workload& workload_;
  core::QueueSnapshot q_;                // queues and teams fixed; the rest refreshed per call
  std::vector<core::PendingJob> jobs_;   // by job index
  std::vector<int32_t> slot_;            // job index -> (queue, team) slot = index into q_.teams
  std::vector<std::string> slot_queue_;  // slot -> queue name (ledger key)
  std::vector<int64_t> slot_gpus_;       // GPUs held per slot (charged to fair share)
  core::UsageLedger ledger_;
  PendingFilter filter_;
  std::vector<const core::PendingJob*> order_;
  std::vector<core::UsageLedger::Charge> charges_;
  bool may_preempt_ = false;
  bool prune_ = false;
  std::string prune_note_;
  Time windows_until_ = kNoTime;
  std::vector<TimeInterval> windows_;
};

}  // namespace muster::sim
