// `muster`: the production policy, core::Decide, with its inputs built by
// the same code musterd uses (scheduler/input: queue and team tables,
// pending jobs, the pending-queue filter, off-peak windows), then the plan
// applied (preemptions, then placements, each re-checked).
//
// What differs from musterd, none of which changes a plan:
//  - the usage ledger advances at every batch of events, not only when
//    Decide runs, so a job that ends is charged up to its end;
//  - Decide is not called when it provably cannot start or preempt
//    anything (no preemption configured and fewer free GPUs than the
//    smallest window-eligible pending job needs);
//  - of the jobs the pending-queue filter chooses, it passes the subset
//    PendingFilter proves sufficient (pending_filter.h: the plan's
//    placements and preemptions are the same).
// tests/service/sim_equivalence_test.cc runs one workload through musterd
// and through this policy and compares the placements.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "scheduler/core/fair_share.h"
#include "scheduler/core/snapshot.h"
#include "scheduler/input/core_input.h"
#include "scheduler/input/offpeak_horizon.h"
#include "scheduler/input/pending_queue.h"
#include "scheduler/sim/pending_filter.h"
#include "scheduler/sim/policy.h"
#include "scheduler/sim/sim_options.h"

namespace muster::sim {

class MusterPolicy final : public SimPolicy {
 public:
  MusterPolicy(const Workload& workload, const MusterOptions& options);
  std::string name() const override { return "muster"; }
  void BeforeBatch(const SimView& view) override;
  void OnPending(const SimView& view, int32_t job) override;
  void OnStarted(const SimView& view, int32_t job) override;
  void OnReleased(const SimView& view, int32_t job) override;
  void Decide(const SimView& view, const Changes& changes, Actions* out) override;

  // Whether PendingFilter's soundness conditions hold for this workload and
  // configuration (and, if not, why), for the run's notes.
  bool pruning() const { return prune_; }
  const std::string& pruning_note() const { return prune_note_; }

 private:
  const Workload& workload_;
  input::SnapshotTables tables_;
  input::OffpeakHorizon offpeak_;
  input::PendingQueue queue_;
  core::QueueSnapshot q_;               // refreshed per call
  std::vector<core::PendingJob> jobs_;  // by job index
  std::vector<char> pending_;           // by job index: pending now
  std::vector<int32_t> slot_;           // job index -> team index in q_.teams
  std::vector<int64_t> slot_gpus_;      // GPUs held per team slot (charged to fair share)
  core::UsageLedger ledger_;
  PendingFilter filter_;
  std::vector<const core::PendingJob*> order_;
  std::vector<core::UsageLedger::Charge> charges_;
  bool may_preempt_ = false;
  bool prune_ = false;
  std::string prune_note_;
};

}  // namespace muster::sim
