// Stage 5 of a cycle (docs/policy.md, "One cycle"): a job that did not fit
// may take GPUs from preemptible running jobs: a higher-tier job from lower
// tiers, a job of a queue below its guarantee from queues that borrow. It
// takes the fewest victims that make it fit (borrowers first, then lowest
// priority, then youngest), counting first the GPUs of jobs already leaving.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "scheduler/core/free_index.h"
#include "scheduler/core/quota.h"
#include "scheduler/core/snapshot.h"

namespace muster::core {

class Preemptor {
 public:
  // Reads queue use from `quota` as the cycle goes on; takes from and gives
  // back to `index`, the cycle's free GPUs. All must outlive the preemptor.
  Preemptor(const ClusterSnapshot& cluster, const QueueSnapshot& q, const QuotaGate& quota, FreeIndex& index);

  // May `job` (needing `need` GPUs) preempt `victim`? Never a job that is
  // not preemptible, already ending, or promised to another job this cycle.
  bool MayPreempt(const PendingJob& job, const RunningJob& victim, int32_t need) const;
  // Cheap test before the search: could any running job be a victim of
  // `job` at all, and is the cycle's budget of attempts
  // (PolicyOptions::max_preemption_attempts) not spent?
  // Inline: asked for every job that did not fit.
  bool MayAttempt(const PendingJob& job, int32_t need) const {
    if (attempts_ >= q_.policy.max_preemption_attempts || preemptible_.empty()) return false;
    return AnyPreemptionRight(job, need);
  }

  struct Victims {
    std::vector<const RunningJob*> chosen;  // empty with !wait_for_leavers: no way to fit
    bool wait_for_leavers = false;          // jobs already ending free enough: no victim needed
  };
  // Spends one attempt. On success the victims, the leaving jobs whose GPUs
  // it will use, and the GPUs of its future place that are free now are
  // claimed for `job` for the rest of the cycle: no GPU is promised twice,
  // no victim chosen twice.
  Victims FindVictims(const PendingJob& job);

  bool claimed(JobId id) const { return claimed_.count(id) > 0; }
  int32_t attempts() const { return attempts_; }

 private:
  bool AnyPreemptionRight(const PendingJob& job, int32_t need) const;
  void GiveBack(const std::vector<NodeAllocation>& placement);
  void TakeIfFree(const std::vector<NodeAllocation>& placement);

  const ClusterSnapshot& cluster_;
  const QueueSnapshot& q_;
  const QuotaGate& quota_;
  FreeIndex& index_;
  std::set<JobId> claimed_;                     // victims and leaving jobs promised this cycle
  std::vector<const RunningJob*> preemptible_;  // candidates at all: preemptible, not ending
  int32_t min_preemptible_tier_ = INT32_MAX;
  int32_t attempts_ = 0;
};

}  // namespace muster::core
