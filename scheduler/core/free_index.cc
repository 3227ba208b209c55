#include "scheduler/core/free_index.h"

#include <algorithm>
#include <cassert>
#include <map>

namespace muster::core {

FreeIndex::FreeIndex(const ClusterSnapshot& cluster) : nodes_(&cluster.nodes) {
  const auto& nodes = cluster.nodes;
  // Only nodes that can take work decide which shapes are possible.
  for (const auto& n : nodes)
    if (n.schedulable) max_gpus_ = std::max(max_gpus_, n.gpus_total);
  free_.resize(nodes.size());
  schedulable_.resize(nodes.size());
  std::map<std::string, int32_t> names[3];
  groups_[0].resize(1);
  for (int l = 0; l < 3; ++l) node_group_[l].assign(nodes.size(), -1);
  const char* kLabel[3] = {nullptr, "rack", "switch"};
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    schedulable_[i] = n.schedulable;
    if (n.schedulable) free_[i] = n.free_gpus;
    if (static_cast<int32_t>(free_[i].size()) > max_gpus_) free_[i].resize(max_gpus_);
    node_group_[0][i] = 0;
    for (int l = 1; l < 3; ++l) {
      auto it = n.labels.find(kLabel[l]);
      if (it == n.labels.end() || it->second.empty()) continue;
      // A switch name is only meaningful inside its rack.
      std::string key =
          l == 2 ? n.labels.count("rack") ? n.labels.at("rack") + "/" + it->second : it->second : it->second;
      auto [g, added] = names[l].emplace(key, static_cast<int32_t>(groups_[l].size()));
      if (added) groups_[l].emplace_back();
      node_group_[l][i] = g->second;
    }
    by_name_.emplace_back(n.name, static_cast<int32_t>(i));
  }
  // musterd's snapshot comes sorted by name already: skip the sort then.
  if (!std::is_sorted(by_name_.begin(), by_name_.end())) std::sort(by_name_.begin(), by_name_.end());
  for (int l = 0; l < 3; ++l)
    for (auto& g : groups_[l]) g.by_free.resize(max_gpus_ + 1);
  for (size_t i = 0; i < nodes.size(); ++i) {
    int32_t k = static_cast<int32_t>(free_[i].size());
    total_free_ += k;
    for (int l = 0; l < 3; ++l) {
      int32_t g = node_group_[l][i];
      if (g < 0) continue;
      groups_[l][g].by_free[k].insert(static_cast<int32_t>(i));
      groups_[l][g].free += k;
    }
  }
}

int32_t FreeIndex::NodeIndex(const std::string& name) const {
  auto it =
      std::lower_bound(by_name_.begin(), by_name_.end(), std::make_pair(std::string_view(name), INT32_MIN));
  return it != by_name_.end() && it->first == name ? it->second : -1;
}

int32_t FreeIndex::CountAtLeast(Level level, int32_t group, int32_t g) const {
  const Group& grp = groups_[int(level)][group];
  int32_t count = 0;
  for (int32_t k = std::max(g, 0); k <= max_gpus_; ++k) count += static_cast<int32_t>(grp.by_free[k].size());
  return count;
}

std::vector<int32_t> FreeIndex::TightestFit(Level level, int32_t group, int32_t g, int32_t n) const {
  std::vector<int32_t> out;
  const Group& grp = groups_[int(level)][group];
  for (int32_t k = std::max(g, 1); k <= max_gpus_ && static_cast<int32_t>(out.size()) < n; ++k)
    for (int32_t node : grp.by_free[k]) {
      out.push_back(node);
      if (static_cast<int32_t>(out.size()) == n) break;
    }
  return out;
}

void FreeIndex::Move(int32_t node, int32_t from_count, int32_t to_count) {
  for (int l = 0; l < 3; ++l) {
    int32_t g = node_group_[l][node];
    if (g < 0) continue;
    groups_[l][g].by_free[from_count].erase(node);
    groups_[l][g].by_free[to_count].insert(node);
    groups_[l][g].free += to_count - from_count;
  }
  total_free_ += to_count - from_count;
}

void FreeIndex::Take(int32_t node, const std::vector<int32_t>& gpus) {
  auto& f = free_[node];
  int32_t before = static_cast<int32_t>(f.size());
  for (int32_t gpu : gpus) {
    auto it = std::lower_bound(f.begin(), f.end(), gpu);
    assert(it != f.end() && *it == gpu && "taking a GPU that is not free");
    if (it != f.end() && *it == gpu) f.erase(it);
  }
  Move(node, before, static_cast<int32_t>(f.size()));
}

void FreeIndex::Give(int32_t node, const std::vector<int32_t>& gpus) {
  if (!schedulable_[node]) return;
  auto& f = free_[node];
  int32_t before = static_cast<int32_t>(f.size());
  for (int32_t gpu : gpus) {
    auto it = std::lower_bound(f.begin(), f.end(), gpu);
    if (it == f.end() || *it != gpu) f.insert(it, gpu);
  }
  if (static_cast<int32_t>(f.size()) > max_gpus_) f.resize(max_gpus_);  // never past the bucket range
  Move(node, before, static_cast<int32_t>(f.size()));
}

}  // namespace muster::core
