// Stage 3 of a cycle (docs/policy.md, "One cycle"): the caps a job must fit
// under before it may take GPUs: its queue's `max` GPUs and its array's
// `%N` running tasks. Counts what runs now plus what this cycle placed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scheduler/core/snapshot.h"

namespace muster::core {

class QuotaGate {
 public:
  // Keeps a reference to `q`, which must outlive the gate.
  QuotaGate(const ClusterSnapshot& cluster, const QueueSnapshot& q);

  // The Quota verdict's detail if placing `job` would break a cap, else
  // nullopt. The job's queue must exist.
  std::optional<std::string> Refusal(const PendingJob& job) const;

  // A job of this queue (and array) got `gpus` GPUs this cycle.
  void Charge(const PendingJob& job, int32_t gpus) {
    used_[job.queue] += gpus;
    if (job.array >= 0 && job.array < static_cast<int64_t>(array_running_.size()))
      ++array_running_[job.array];
  }

  // GPUs of the queue in use: running plus placed this cycle.
  int32_t used(int32_t queue) const { return used_[queue]; }
  // Above its guarantee, a queue runs on borrowed GPUs that preemption may
  // reclaim.
  bool Borrows(int32_t queue) const { return used_[queue] > q_.queues[queue].guaranteed_gpus; }
  int32_t array_running(int64_t array) const { return array_running_[array]; }

 private:
  const QueueSnapshot& q_;
  std::vector<int32_t> used_;           // by queue index
  std::vector<int32_t> array_running_;  // by array index
};

}  // namespace muster::core
