// Gang placement as a pipeline of small stages (STYLE.md 4):
//   filter (which nodes can host one rank group) -> score (order them)
//   -> select (take `nodes` of them, all or nothing).
#pragma once

#include <optional>
#include <vector>

#include "scheduler/core/snapshot.h"

namespace muster::core {

struct Shape {
  int32_t nodes = 0;
  int32_t gpus_per_node = 0;
};

// The shapes a job may take, preferred first: the asked one, or for a
// flexible request every even split from the fewest nodes up that fits the
// largest node of the cluster.
std::vector<Shape> CandidateShapes(const PendingJob& job, const ClusterSnapshot& cluster);

// Filter: indices of nodes that can host `gpus_per_node` GPUs now.
std::vector<size_t> FeasibleNodes(const ClusterSnapshot& cluster, int32_t gpus_per_node);

// Score + select: first fit in snapshot order. All `shape.nodes` nodes or
// nothing; GPUs lowest index first.
std::optional<std::vector<NodeAllocation>> SelectFirstFit(const ClusterSnapshot& cluster,
                                                          const std::vector<size_t>& feasible,
                                                          const Shape& shape);

// Take the allocation's GPUs out of the snapshot's free lists.
void Reserve(ClusterSnapshot& cluster, const std::vector<NodeAllocation>& alloc);

}  // namespace muster::core
