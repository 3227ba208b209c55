// What the policy sees: plain values copied (or incrementally maintained) by
// the caller. No I/O, no clock: `now` is passed in (STYLE.md 1).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "muster/types.h"

namespace muster::core {

struct NodeView {
  std::string name;
  std::map<std::string, std::string> labels;
  int32_t gpus_total = 0;
  std::vector<int32_t> free_gpus;  // indices, ascending
  bool schedulable = true;         // UP and not draining
};

struct ClusterSnapshot {
  std::vector<NodeView> nodes;
};

enum class DependencyState : uint8_t { kMet = 0, kWaiting, kNeverSatisfied };

struct PendingJob {
  JobId id = kNoJob;
  int32_t priority = 0;
  Time submit_time = kNoTime;
  int32_t nodes = 0;          // 0: flexible shape of total_gpus
  int32_t gpus_per_node = 0;
  int32_t total_gpus = 0;
  DependencyState deps = DependencyState::kMet;
};

struct QueueSnapshot {
  std::vector<PendingJob> pending;
};

struct Placement {
  JobId job = kNoJob;
  std::vector<NodeAllocation> nodes;  // node order = node rank order
};

struct PendingVerdict {
  JobId job = kNoJob;
  PendingReason reason = PendingReason::kNone;
  std::string detail;
};

// A plan is a value; musterd re-checks it against current state, persists it,
// then dispatches (STYLE.md 2).
struct Plan {
  std::vector<Placement> placements;
  std::vector<PendingVerdict> pending;  // every job left pending, with why
  std::vector<JobId> never_runnable;    // dependencies can never be met
};

}  // namespace muster::core
