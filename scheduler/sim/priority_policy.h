// The preemptive-priority mechanism the `las` and `srtf` baselines share;
// they differ only in the key (lower runs first).
//
// Each decision walks pending jobs best key first:
//  1. start now if the gang places on free GPUs;
//  2. else wait if it places on GPUs already being freed (jobs in their
//     grace period), claiming them so later jobs do not;
//  3. else preempt running jobs with a worse key, worst first, until it
//     places (then drop victims it turns out not to need); it starts when
//     their grace period ends;
//  4. else leave it (a smaller job behind it may still fit).
// The walk stops once no free GPU is left for any pending size and no
// running job has a worse key than the next pending one. Placement is the
// core's PlaceGang, as for every policy.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "scheduler/sim/policy.h"

namespace muster::sim {

struct PriorityKey {
  int64_t a = 0;
  int64_t b = 0;
  int64_t c = 0;
  auto operator<=>(const PriorityKey&) const = default;
};

class PriorityPolicy : public SimPolicy {
 public:
  void OnPending(const SimView& view, int32_t job) override;
  void OnStarted(const SimView& view, int32_t job) override;
  void Decide(const SimView& view, const Changes& changes, Actions* out) override;

 protected:
  // Lower runs first. For a job that is not running the key must not change
  // while it waits (it is computed once, when the job becomes pending).
  virtual PriorityKey KeyOf(const SimView& view, int32_t job, Time now) const = 0;
  // When a running job's key next changes (LAS demotion), or kNoTime.
  virtual Time NextKeyChange(const SimView& view, int32_t job, Time now) const { return kNoTime; }

 private:
  using Entry = std::pair<PriorityKey, int32_t>;
  std::set<Entry> pending_;
  std::map<int32_t, PriorityKey> pending_key_;
  std::map<int32_t, int64_t> need_count_;  // pending jobs by GPU count
  std::vector<Entry> candidates_;          // running jobs, max-heap on key (worst on top)
  // GPUs being freed (grace periods), one group per job, minus those claimed
  // by a better job in this decision.
  std::vector<std::vector<NodeAllocation>> ending_;
};

}  // namespace muster::sim
