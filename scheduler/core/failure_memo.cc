#include "scheduler/core/failure_memo.h"

#include <algorithm>
#include <climits>

namespace muster::core {

FailureMemo::FailureMemo(int32_t max_gpus_per_node)
    : max_gpus_per_node_(max_gpus_per_node), min_nodes_(std::max(max_gpus_per_node, 0) + 1, INT32_MAX) {}

bool FailureMemo::Fails(const Shape& s) const {
  if (s.gpus_per_node < 0 || s.gpus_per_node >= static_cast<int32_t>(min_nodes_.size())) return false;
  return min_nodes_[s.gpus_per_node] <= s.nodes;
}

void FailureMemo::Record(const Shape& s) {
  for (size_t g = std::max(s.gpus_per_node, 0); g < min_nodes_.size(); ++g)
    min_nodes_[g] = std::min(min_nodes_[g], s.nodes);
}

bool FailureMemo::FailsAll(const PendingJob& j) const {
  for (const Shape& s : ShapesFor(j, max_gpus_per_node_))
    if (!Fails(s)) return false;
  return true;
}

void FailureMemo::RecordAll(const PendingJob& j) {
  if (j.topology != Topology::kAny) return;
  for (const Shape& s : ShapesFor(j, max_gpus_per_node_)) Record(s);
}

}  // namespace muster::core
