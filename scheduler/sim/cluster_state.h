// The simulated cluster's GPUs: who holds which, the snapshot the policy
// core reads (maintained incrementally, as snapshot.h allows, instead of
// rebuilt per decision), and a scratch free index that the baseline
// policies may change while they plan and that rolls back afterwards.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "muster/types.h"
#include "scheduler/core/free_index.h"
#include "scheduler/core/snapshot.h"
#include "scheduler/sim/cluster_spec.h"

namespace muster::sim {

class ClusterState;

// Take/Give on the cluster's scratch index, undone in reverse order when the
// object goes away: a policy plans on it freely and leaves nothing behind.
class ScratchIndex {
 public:
  ~ScratchIndex();
  ScratchIndex(const ScratchIndex&) = delete;
  ScratchIndex& operator=(const ScratchIndex&) = delete;

  const core::FreeIndex& index() const { return *index_; }
  // Only GPUs that are free in the scratch index are taken / only busy ones
  // given, so undo is exact.
  void Take(const std::vector<NodeAllocation>& alloc);
  void Give(const std::vector<NodeAllocation>& alloc);

 private:
  friend class ClusterState;
  ScratchIndex(ClusterState& owner, core::FreeIndex& index) : owner_(owner), index_(&index) {}
  struct Op {
    bool take;
    int32_t node;
    std::vector<int32_t> gpus;
  };
  ClusterState& owner_;
  core::FreeIndex* index_;
  std::vector<Op> log_;
};

class ClusterState {
 public:
  explicit ClusterState(const std::vector<NodeSpec>& nodes);
  ClusterState(const ClusterState&) = delete;
  ClusterState& operator=(const ClusterState&) = delete;

  const core::ClusterSnapshot& snapshot() const { return snapshot_; }
  int32_t total_gpus() const { return total_gpus_; }
  int32_t free_gpus() const { return free_gpus_; }
  int32_t max_gpus_per_node() const { return max_gpus_per_node_; }
  int32_t NodeIndex(const std::string& name) const;

  // Every GPU of `alloc` exists and nobody holds it (the plan re-check,
  // docs/architecture.md principle 2).
  bool AllFree(const std::vector<NodeAllocation>& alloc) const;
  // Gives `r.placement` to job `r.id` and lists it as running.
  void Allocate(core::RunningJob r);
  // The job is being torn down: its GPUs stay busy until Release.
  void MarkEnding(JobId id);
  // Frees the job's GPUs and drops it from the running list.
  void Release(JobId id);
  const core::RunningJob* Running(JobId id) const;

  // One scratch plan at a time; it rolls back when destroyed.
  std::unique_ptr<ScratchIndex> BeginScratch();

 private:
  friend class ScratchIndex;
  void SetOwner(const std::vector<NodeAllocation>& alloc, JobId owner);

  core::ClusterSnapshot snapshot_;
  std::unordered_map<std::string, int32_t> by_name_;  // lookups only, never iterated
  std::vector<std::vector<JobId>> owner_;             // [node][gpu]
  std::unique_ptr<core::FreeIndex> scratch_;          // equals the free GPUs whenever no scratch is open
  std::map<JobId, size_t> running_pos_;               // id -> index in snapshot_.running
  int32_t total_gpus_ = 0;
  int32_t free_gpus_ = 0;
  int32_t max_gpus_per_node_ = 0;
  bool scratch_open_ = false;
};

}  // namespace muster::sim
