// Stage 2 of a cycle (docs/policy.md, "One cycle"): the order in which
// eligible jobs get their turn. Queue tier first; then weighted fair share
// per queue, counting what this cycle's placements already charged, so
// queues interleave in proportion to their weights; then the least-used
// team of that queue; within a team, priority, then age, then id.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "scheduler/core/snapshot.h"

namespace muster::core {

class FairShareOrder {
 public:
  // Keeps a reference to `q`, which must outlive the order.
  explicit FairShareOrder(const QueueSnapshot& q);

  // An eligible job (its queue exists); the job must outlive the order.
  void Add(const PendingJob& job);
  // Sorts each team's jobs; once, after the last Add and before Next.
  void Sort();
  // The next job to consider, or nullptr when every added job had its turn.
  const PendingJob* Next();

  // A placed job charges its queue and team GPUs x its time limit (the
  // policy's fair_share_horizon without one) for the rest of the cycle.
  void Charge(const PendingJob& job, int32_t gpus, Duration limit) {
    double hours = static_cast<double>(limit > 0 ? limit : q_.policy.fair_share_horizon) / kHour;
    queue_charge_[job.queue] += gpus * hours;
    if (job.team >= 0 && job.team < static_cast<int32_t>(team_charge_.size()))
      team_charge_[job.team] += gpus * hours;
  }

  // Inline, as Charge: asked for every queue and team on every turn.
  // Lower goes first (within a tier): (decayed usage + charges) / weight.
  double QueueKey(size_t q) const {
    double usage = q < q_.queue_usage_gpu_hours.size() ? q_.queue_usage_gpu_hours[q] : 0.0;
    return (usage + queue_charge_[q]) / std::max(q_.queues[q].weight, 1e-9);
  }
  // Lower goes first within a queue: decayed usage + charges.
  double TeamKey(int32_t t) const {
    double usage = t >= 0 && t < static_cast<int32_t>(q_.teams.size()) ? q_.teams[t].usage_gpu_hours : 0.0;
    return usage + (t >= 0 && t < static_cast<int32_t>(team_charge_.size()) ? team_charge_[t] : 0.0);
  }

 private:
  struct TeamList {
    int32_t team = 0;
    std::vector<const PendingJob*> jobs;
    size_t next = 0;
  };
  struct QueueList {
    std::vector<TeamList> teams;  // in order of first appearance
    std::vector<int32_t> slot;    // [team]: its index in `teams`, or -1
    size_t remaining = 0;
  };

  const QueueSnapshot& q_;
  std::vector<QueueList> lists_;  // by queue index
  std::vector<double> queue_charge_;
  std::vector<double> team_charge_;
};

}  // namespace muster::core
