// FreeIndex: the free GPUs of a cluster, indexed for gang placement.
//
// Placement asks two questions many times per cycle: "which nodes have at
// least g free GPUs" and "does some switch (rack) hold n such nodes". Each
// node sits in one bucket per level (the whole cluster, its rack, its
// switch), keyed by its free GPU count, so both are answered in O(G log N)
// instead of a scan of every node.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler/core/snapshot.h"

namespace muster::core {

enum class Level : uint8_t { kCluster = 0, kRack = 1, kSwitch = 2 };

class FreeIndex {
 public:
  explicit FreeIndex(const ClusterSnapshot& cluster);

  size_t node_count() const { return free_.size(); }
  int32_t max_gpus_per_node() const { return max_gpus_; }
  int32_t total_free() const { return total_free_; }
  const std::string& name(int32_t node) const { return (*nodes_)[node].name; }
  // Free GPU indices of a node, ascending.
  const std::vector<int32_t>& free(int32_t node) const { return free_[node]; }
  int32_t free_count(int32_t node) const { return static_cast<int32_t>(free_[node].size()); }
  int32_t NodeIndex(const std::string& name) const;

  // Groups of a level: every rack (switch) named by a label; nodes without
  // the label belong to no group of that level. The cluster is group 0.
  int32_t group_count(Level level) const { return static_cast<int32_t>(groups_[int(level)].size()); }
  int32_t group_of(int32_t node, Level level) const { return node_group_[int(level)][node]; }
  // Nodes of a group with at least `g` free GPUs.
  int32_t CountAtLeast(Level level, int32_t group, int32_t g) const;
  // Up to `n` nodes of a group with at least `g` free GPUs, tightest fit
  // first (fewest free GPUs, then lowest index): whole nodes stay whole.
  std::vector<int32_t> TightestFit(Level level, int32_t group, int32_t g, int32_t n) const;
  // Free GPUs of a group.
  int32_t GroupFree(Level level, int32_t group) const { return groups_[int(level)][group].free; }

  // Take specific GPUs (must be free) / give them back. Giving to a node that
  // cannot be scheduled on does nothing.
  void Take(int32_t node, const std::vector<int32_t>& gpus);
  void Give(int32_t node, const std::vector<int32_t>& gpus);

 private:
  struct Group {
    std::vector<std::set<int32_t>> by_free;  // by_free[k]: nodes with exactly k free GPUs
    int32_t free = 0;
  };
  void Move(int32_t node, int32_t from_count, int32_t to_count);

  const std::vector<NodeView>* nodes_;
  std::vector<std::vector<int32_t>> free_;
  std::vector<bool> schedulable_;
  std::vector<Group> groups_[3];
  std::vector<int32_t> node_group_[3];
  // Sorted, for NodeIndex. Views of the snapshot's names: the index never
  // outlives the snapshot it was built from (it keeps a pointer to it too).
  std::vector<std::pair<std::string_view, int32_t>> by_name_;
  int32_t max_gpus_ = 0;
  int32_t total_free_ = 0;
};

}  // namespace muster::core
