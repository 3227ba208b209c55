#include "scheduler/core/quota.h"

#include "scheduler/core/demand.h"

namespace muster::core {

QuotaGate::QuotaGate(const ClusterSnapshot& cluster, const QueueSnapshot& q)
    : q_(q), used_(q.queues.size(), 0), array_running_(q.arrays.size()) {
  // Running jobs of a queue deleted since still hold GPUs, but count nowhere.
  for (const auto& r : cluster.running)
    if (r.queue >= 0 && r.queue < static_cast<int32_t>(used_.size())) used_[r.queue] += GpusOf(r.placement);
  for (size_t a = 0; a < q.arrays.size(); ++a) array_running_[a] = q.arrays[a].running;
}

std::optional<std::string> QuotaGate::Refusal(const PendingJob& j) const {
  const QueueConfig& queue = q_.queues[j.queue];
  int32_t need = NeedOf(j);
  if (queue.max_gpus >= 0 && used_[j.queue] + need > queue.max_gpus)
    return "queue " + queue.name + " uses " + std::to_string(used_[j.queue]) + "/" +
           std::to_string(queue.max_gpus) + " GPUs; needs " + std::to_string(need);
  if (j.array >= 0 && j.array < static_cast<int64_t>(q_.arrays.size()) &&
      q_.arrays[j.array].max_running > 0 && array_running_[j.array] >= q_.arrays[j.array].max_running)
    return "array task limit: " + std::to_string(array_running_[j.array]) + "/" +
           std::to_string(q_.arrays[j.array].max_running) + " running";
  return std::nullopt;
}

}  // namespace muster::core
