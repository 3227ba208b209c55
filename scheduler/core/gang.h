// Gang placement as a pipeline of small stages (docs/architecture.md principle 4):
//   shapes  : which nodes x gpus_per_node forms the job may take;
//   filter  : the groups (one node, one switch, one rack, the cluster) that
//             can host the whole gang now;
//   score   : prefer the tightest level, then the group with the fewest free
//             GPUs (best fit keeps large groups whole for large gangs);
//   select  : the tightest-fitting nodes inside the group, lowest GPU indices.
// All ranks or none: a gang is placed whole or not at all.
#pragma once

#include <optional>
#include <vector>

#include "scheduler/core/free_index.h"
#include "scheduler/core/snapshot.h"

namespace muster::core {

struct Shape {
  int32_t nodes = 0;
  int32_t gpus_per_node = 0;
  bool operator==(const Shape&) const = default;
};

// The asked shape, or for a flexible request the even splits that fit the
// largest node, fewest nodes first (what torchrun and NCCL launchers expect).
std::vector<Shape> ShapesFor(const PendingJob& job, int32_t max_gpus_per_node);

struct GangChoice {
  std::vector<int32_t> nodes;  // indices into the FreeIndex, node-rank order
  Level level = Level::kCluster;
};

// Filter + score + select for one shape. `hard` limits the levels tried.
std::optional<GangChoice> ChooseNodes(const FreeIndex& index, const Shape& shape, Topology hard);

// The GPUs the gang gets on its nodes (lowest free indices).
std::vector<NodeAllocation> Allocate(const FreeIndex& index, const GangChoice& choice, const Shape& shape);

// Shapes tried in order; the first that places wins.
std::optional<std::vector<NodeAllocation>> PlaceGang(const FreeIndex& index, const PendingJob& job);

}  // namespace muster::core
