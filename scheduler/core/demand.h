// What a pending job asks for, as every stage of a cycle reads it: GPUs,
// time limit, and the words its pending reasons use for its size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scheduler/core/snapshot.h"

namespace muster::core {

inline int32_t GpusOf(const std::vector<NodeAllocation>& placement) {
  int32_t n = 0;
  for (const auto& a : placement) n += static_cast<int32_t>(a.gpus.size());
  return n;
}

// GPUs the job takes once placed, whichever shape it gets.
inline int32_t NeedOf(const PendingJob& j) { return j.nodes > 0 ? j.nodes * j.gpus_per_node : j.total_gpus; }

// "2x4 GPUs", "1 GPU", "3 GPUs".
inline std::string DescribeNeed(const PendingJob& j) {
  if (j.nodes > 0) return std::to_string(j.nodes) + "x" + std::to_string(j.gpus_per_node) + " GPUs";
  return std::to_string(j.total_gpus) + (j.total_gpus == 1 ? " GPU" : " GPUs");
}

// The job's own limit, else its queue's default; 0: unknown.
inline Duration TimeLimitOf(const PendingJob& j, const QueueSnapshot& q) {
  if (j.time_limit > 0) return j.time_limit;
  if (j.queue >= 0 && j.queue < static_cast<int32_t>(q.queues.size()))
    return q.queues[j.queue].default_time_limit;
  return 0;
}

}  // namespace muster::core
