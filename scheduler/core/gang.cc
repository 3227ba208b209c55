#include "scheduler/core/gang.h"

#include <algorithm>

namespace muster::core {

std::vector<Shape> ShapesFor(const PendingJob& job, int32_t max_gpus_per_node) {
  if (job.nodes > 0) {
    if (job.gpus_per_node > max_gpus_per_node) return {};  // no node is that large
    return {Shape{job.nodes, job.gpus_per_node}};
  }
  std::vector<Shape> shapes;
  if (max_gpus_per_node <= 0 || job.total_gpus <= 0) return shapes;
  if (job.topology == Topology::kSameNode) {
    if (job.total_gpus <= max_gpus_per_node) shapes.push_back({1, job.total_gpus});
    return shapes;
  }
  for (int32_t n = (job.total_gpus + max_gpus_per_node - 1) / max_gpus_per_node; n <= job.total_gpus; ++n) {
    if (job.total_gpus % n == 0 && job.total_gpus / n <= max_gpus_per_node) {
      shapes.push_back({n, job.total_gpus / n});  // a handful: the divisors of total_gpus
    }
  }
  return shapes;
}

namespace {

// The group of `level` that fits the gang with the fewest free GPUs, or -1.
int32_t BestGroup(const FreeIndex& index, Level level, const Shape& shape) {
  int32_t best = -1, best_free = 0;
  for (int32_t g = 0; g < index.group_count(level); ++g) {
    if (index.GroupFree(level, g) < shape.nodes * shape.gpus_per_node) continue;
    if (index.CountAtLeast(level, g, shape.gpus_per_node) < shape.nodes) continue;
    int32_t free = index.GroupFree(level, g);
    if (best < 0 || free < best_free) {
      best = g;
      best_free = free;
    }
  }
  return best;
}

}  // namespace

std::optional<GangChoice> ChooseNodes(const FreeIndex& index, const Shape& shape, Topology hard) {
  if (shape.nodes <= 0 || shape.gpus_per_node <= 0) return std::nullopt;
  if (index.total_free() < shape.nodes * shape.gpus_per_node) return std::nullopt;
  if (index.CountAtLeast(Level::kCluster, 0, shape.gpus_per_node) < shape.nodes) return std::nullopt;
  if (shape.nodes == 1) {
    // One node is the tightest topology there is.
    return GangChoice{index.TightestFit(Level::kCluster, 0, shape.gpus_per_node, 1), Level::kCluster};
  }
  if (hard == Topology::kSameNode) return std::nullopt;
  for (Level level : {Level::kSwitch, Level::kRack}) {
    int32_t g = BestGroup(index, level, shape);
    if (g >= 0) return GangChoice{index.TightestFit(level, g, shape.gpus_per_node, shape.nodes), level};
    if (hard == Topology::kSameSwitch && level == Level::kSwitch) return std::nullopt;
    if (hard == Topology::kSameRack && level == Level::kRack) return std::nullopt;
  }
  return GangChoice{index.TightestFit(Level::kCluster, 0, shape.gpus_per_node, shape.nodes), Level::kCluster};
}

std::vector<NodeAllocation> Allocate(const FreeIndex& index, const GangChoice& choice, const Shape& shape) {
  std::vector<NodeAllocation> out;
  out.reserve(choice.nodes.size());
  for (int32_t node : choice.nodes) {
    const auto& f = index.free(node);
    out.push_back({index.name(node), std::vector<int32_t>(f.begin(), f.begin() + shape.gpus_per_node)});
  }
  return out;
}

std::optional<std::vector<NodeAllocation>> PlaceGang(const FreeIndex& index, const PendingJob& job) {
  for (const Shape& shape : ShapesFor(job, index.max_gpus_per_node())) {
    auto choice = ChooseNodes(index, shape, job.topology);
    if (choice) return Allocate(index, *choice, shape);
  }
  return std::nullopt;
}

}  // namespace muster::core
