#include "scheduler/core/placement.h"

#include <algorithm>
#include <unordered_map>

namespace muster::core {

std::vector<Shape> CandidateShapes(const PendingJob& job, const ClusterSnapshot& cluster) {
  if (job.nodes > 0) return {Shape{job.nodes, job.gpus_per_node}};
  int32_t largest = 0;
  for (const auto& n : cluster.nodes) largest = std::max(largest, n.gpus_total);
  std::vector<Shape> shapes;
  if (largest == 0 || job.total_gpus <= 0) return shapes;
  // Fewest nodes first; only even splits so every node runs the same number
  // of ranks (what torchrun and NCCL launchers expect).
  for (int32_t n = (job.total_gpus + largest - 1) / largest; n <= job.total_gpus; ++n) {
    if (job.total_gpus % n == 0 && job.total_gpus / n <= largest) {
      shapes.push_back({n, job.total_gpus / n});
      if (shapes.size() >= 4) break;  // a bounded search; later splits fragment more
    }
  }
  return shapes;
}

std::vector<size_t> FeasibleNodes(const ClusterSnapshot& cluster, int32_t gpus_per_node) {
  std::vector<size_t> out;
  for (size_t i = 0; i < cluster.nodes.size(); ++i) {
    const auto& n = cluster.nodes[i];
    if (n.schedulable && static_cast<int32_t>(n.free_gpus.size()) >= gpus_per_node) out.push_back(i);
  }
  return out;
}

std::optional<std::vector<NodeAllocation>> SelectFirstFit(const ClusterSnapshot& cluster,
                                                          const std::vector<size_t>& feasible,
                                                          const Shape& shape) {
  if (static_cast<int32_t>(feasible.size()) < shape.nodes) return std::nullopt;
  std::vector<NodeAllocation> alloc;
  alloc.reserve(shape.nodes);
  for (int32_t k = 0; k < shape.nodes; ++k) {
    const auto& n = cluster.nodes[feasible[k]];
    NodeAllocation a;
    a.node = n.name;
    a.gpus.assign(n.free_gpus.begin(), n.free_gpus.begin() + shape.gpus_per_node);
    alloc.push_back(std::move(a));
  }
  return alloc;
}

void Reserve(ClusterSnapshot& cluster, const std::vector<NodeAllocation>& alloc) {
  std::unordered_map<std::string_view, NodeView*> by_name;
  for (auto& n : cluster.nodes) by_name[n.name] = &n;
  for (const auto& a : alloc) {
    auto it = by_name.find(a.node);
    if (it == by_name.end()) continue;
    auto& free = it->second->free_gpus;
    for (int32_t g : a.gpus) free.erase(std::remove(free.begin(), free.end(), g), free.end());
  }
}

}  // namespace muster::core
