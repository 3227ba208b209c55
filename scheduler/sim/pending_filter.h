// Which pending jobs core::Decide needs to see. Decide is O(pending) per
// call, and a busy cluster has thousands of jobs queued; most of them
// provably cannot start and change nothing. This filter passes a subset for
// which Decide returns the same placements and preemptions as for the full
// list, and says whether a call can place anything at all.
//
// Soundness (when `SelectOptions::prune` is set; the caller sets it only
// when these hold for the whole run): no job may preempt (all queue tiers
// equal, no guarantees), no queue has a max quota, no holds, dependencies or
// arrays, every job fits the empty cluster, topology is kAny, and either
// every job has a time limit (the queue default counts) or none has. Then:
//
//  (a) A job the window rules make ineligible only gets a verdict.
//  (b) Take a team's list in Decide's order (priority, submit, id) and a GPU
//      count n. With F GPUs free, at most k = F / n jobs of n GPUs can start
//      this cycle. Let d be a job of n GPUs with at least k + 1 earlier jobs
//      of n GPUs in its team list whose time limits are <= d's. One of those
//      failed to place before d is considered. The first job that fails in a
//      cycle gets the EASY reservation (every running job has an end, so the
//      planner always finds one), or there never is one (no limits, no
//      backfill). Free GPUs plus GPUs held for the reservation only shrink
//      during a cycle, so d fails both plain placement and the
//      "ends before the reservation" path (which, with a limit no shorter,
//      the earlier job tried too), and then only gets a verdict.
//  (c) Removing jobs that only get a verdict changes neither the order in
//      which Decide visits the others (queue and team keys move only when a
//      job is placed) nor the team order, as long as each team's first
//      eligible job in list order stays, which the filter keeps.
// So every dropped job is inert, and the plan's placements and preemptions
// are unchanged; only verdicts of dropped jobs are missing.
#pragma once

#include <climits>
#include <cstdint>
#include <vector>

#include "scheduler/core/snapshot.h"

namespace muster::sim {

struct SelectResult {
  int32_t min_eligible_need = INT32_MAX;  // smallest GPU count among window-eligible jobs
  int64_t eligible = 0;
  Time next_eligible = kNoTime;  // earliest window eta of an ineligible job (Decide's verdict eta)
  bool pruned = false;           // false when the order check made it pass everything
};

class PendingFilter {
 public:
  // `jobs`: the pending jobs in the order they will be given to Decide.
  // Appends the ones Decide must see to `out` (all of them unless `prune`).
  SelectResult Select(const std::vector<const core::PendingJob*>& jobs, const core::QueueSnapshot& q,
                      int32_t free_gpus, Time now, bool prune, std::vector<core::PendingJob>* out);

 private:
  // The k + 1 smallest time limits seen in one (team, GPU count) class, as a
  // max-heap.
  std::vector<Duration>& Heap(int32_t team, int32_t need);

  std::vector<std::vector<Duration>> heaps_;  // pool, reused between calls
  size_t heaps_used_ = 0;
  std::vector<std::vector<std::pair<int32_t, size_t>>> team_heaps_;  // team -> (need, pool index)
  std::vector<char> team_seen_;
  std::vector<const core::PendingJob*> team_last_;
};

}  // namespace muster::sim
