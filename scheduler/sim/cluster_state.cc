#include "scheduler/sim/cluster_state.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>

namespace muster::sim {

ScratchIndex::~ScratchIndex() {
  for (auto it = log_.rbegin(); it != log_.rend(); ++it) {
    if (it->take) {
      index_->Give(it->node, it->gpus);
    } else {
      index_->Take(it->node, it->gpus);
    }
  }
  owner_.scratch_open_ = false;
}

void ScratchIndex::Take(const std::vector<NodeAllocation>& alloc) {
  for (const auto& a : alloc) {
    int32_t node = owner_.NodeIndex(a.node);
    if (node < 0) continue;
    const auto& free = index_->free(node);
    Op op{true, node, {}};
    for (int32_t g : a.gpus)
      if (std::binary_search(free.begin(), free.end(), g)) op.gpus.push_back(g);
    if (op.gpus.empty()) continue;
    index_->Take(node, op.gpus);
    log_.push_back(std::move(op));
  }
}

void ScratchIndex::Give(const std::vector<NodeAllocation>& alloc) {
  for (const auto& a : alloc) {
    int32_t node = owner_.NodeIndex(a.node);
    if (node < 0) continue;
    const auto& free = index_->free(node);
    Op op{false, node, {}};
    for (int32_t g : a.gpus)
      if (!std::binary_search(free.begin(), free.end(), g)) op.gpus.push_back(g);
    if (op.gpus.empty()) continue;
    index_->Give(node, op.gpus);
    log_.push_back(std::move(op));
  }
}

ClusterState::ClusterState(const std::vector<NodeSpec>& nodes) {
  snapshot_.nodes.reserve(nodes.size());
  owner_.resize(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    core::NodeView v;
    v.name = nodes[i].name;
    v.labels = nodes[i].labels;
    v.gpus_total = nodes[i].gpus;
    for (int32_t g = 0; g < nodes[i].gpus; ++g) v.free_gpus.push_back(g);
    snapshot_.nodes.push_back(std::move(v));
    owner_[i].assign(nodes[i].gpus, kNoJob);
    by_name_[nodes[i].name] = static_cast<int32_t>(i);
    total_gpus_ += nodes[i].gpus;
    max_gpus_per_node_ = std::max(max_gpus_per_node_, nodes[i].gpus);
  }
  free_gpus_ = total_gpus_;
  // The index keeps a pointer to snapshot_.nodes, which never reallocates.
  scratch_ = std::make_unique<core::FreeIndex>(snapshot_);
}

int32_t ClusterState::NodeIndex(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? -1 : it->second;
}

bool ClusterState::AllFree(const std::vector<NodeAllocation>& alloc) const {
  for (const auto& a : alloc) {
    int32_t node = NodeIndex(a.node);
    if (node < 0) return false;
    for (int32_t g : a.gpus)
      if (g < 0 || g >= static_cast<int32_t>(owner_[node].size()) || owner_[node][g] != kNoJob) return false;
  }
  return true;
}

void ClusterState::SetOwner(const std::vector<NodeAllocation>& alloc, JobId owner) {
  for (const auto& a : alloc) {
    int32_t node = NodeIndex(a.node);
    auto& free = snapshot_.nodes[node].free_gpus;
    for (int32_t g : a.gpus) {
      owner_[node][g] = owner;
      auto it = std::lower_bound(free.begin(), free.end(), g);
      if (owner == kNoJob) {
        free.insert(it, g);
      } else {
        free.erase(it);
      }
    }
    if (owner == kNoJob) {
      scratch_->Give(node, a.gpus);
    } else {
      scratch_->Take(node, a.gpus);
    }
    int32_t n = static_cast<int32_t>(a.gpus.size());
    free_gpus_ += owner == kNoJob ? n : -n;
  }
}

void ClusterState::Allocate(core::RunningJob r) {
  // The engine re-checks with AllFree first; a double booking is a bug.
  if (scratch_open_ || !AllFree(r.placement)) std::abort();
  SetOwner(r.placement, r.id);
  running_pos_[r.id] = snapshot_.running.size();
  snapshot_.running.push_back(std::move(r));
}

void ClusterState::MarkEnding(JobId id) {
  auto it = running_pos_.find(id);
  if (it != running_pos_.end()) snapshot_.running[it->second].ending = true;
}

void ClusterState::Release(JobId id) {
  auto it = running_pos_.find(id);
  if (it == running_pos_.end() || scratch_open_) std::abort();
  size_t pos = it->second;
  SetOwner(snapshot_.running[pos].placement, kNoJob);
  running_pos_.erase(it);
  // Swap-remove: the core does not depend on the order of running jobs
  // (victims and releases are sorted there).
  if (pos + 1 != snapshot_.running.size()) {
    snapshot_.running[pos] = std::move(snapshot_.running.back());
    running_pos_[snapshot_.running[pos].id] = pos;
  }
  snapshot_.running.pop_back();
}

const core::RunningJob* ClusterState::Running(JobId id) const {
  auto it = running_pos_.find(id);
  return it == running_pos_.end() ? nullptr : &snapshot_.running[it->second];
}

std::unique_ptr<ScratchIndex> ClusterState::BeginScratch() {
  if (scratch_open_) std::abort();
  scratch_open_ = true;
  return std::unique_ptr<ScratchIndex>(new ScratchIndex(*this, *scratch_));
}

}  // namespace muster::sim
