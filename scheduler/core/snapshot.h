// What the policy sees: plain values built (or incrementally maintained) by
// the caller. No I/O, no clock: `now` is passed in (docs/architecture.md principle 1).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "muster/types.h"

namespace muster::core {

struct NodeView {
  std::string name;
  std::map<std::string, std::string> labels;  // "rack" and "switch" drive topology
  int32_t gpus_total = 0;
  std::vector<int32_t> free_gpus;  // indices, ascending
  bool schedulable = true;         // UP and not draining
};

// A job holding GPUs now: the time planner (when will GPUs be free) and
// preemption read these.
struct RunningJob {
  JobId id = kNoJob;
  int32_t queue = 0;  // index into QueueSnapshot::queues
  int32_t team = 0;   // index into QueueSnapshot::teams
  int32_t priority = 0;
  bool preemptible = false;
  bool ending = false;  // already being torn down (preempted, cancelled, ...)
  Time start_time = kNoTime;
  Time expected_end = kNoTime;  // start + time limit; kNoTime: unknown (no limit)
  std::vector<NodeAllocation> placement;
};

struct ClusterSnapshot {
  std::vector<NodeView> nodes;
  std::vector<RunningJob> running;
};

enum class DependencyState : uint8_t { kMet = 0, kWaiting, kNeverSatisfied };

enum class Topology : uint8_t { kAny = 0, kSameRack, kSameSwitch, kSameNode };

struct PendingJob {
  JobId id = kNoJob;
  int32_t priority = 0;
  Time submit_time = kNoTime;
  int32_t nodes = 0;  // 0: flexible shape of total_gpus
  int32_t gpus_per_node = 0;
  int32_t total_gpus = 0;
  DependencyState deps = DependencyState::kMet;
  // The full policy's inputs; defaults keep the simple cases simple.
  int32_t queue = 0;        // index into QueueSnapshot::queues
  int32_t team = 0;         // index into QueueSnapshot::teams
  Duration time_limit = 0;  // 0: the queue's default, else unknown
  Window window = Window::kAnytime;
  Time deadline = kNoTime;
  bool window_may_overrun = false;
  bool held = false;
  bool preemptible = false;
  Topology topology = Topology::kAny;
  int64_t array = -1;  // index into QueueSnapshot::arrays, or -1
};

struct QueueConfig {
  std::string name = "default";
  double weight = 1.0;
  int32_t guaranteed_gpus = 0;
  int32_t max_gpus = -1;  // -1: no cap
  int32_t tier = 0;       // higher tiers go first and may preempt lower ones
  Duration default_time_limit = 0;
  bool paused = false;
};

struct TeamUsage {
  std::string name;
  int32_t queue = 0;
  double usage_gpu_hours = 0;  // decayed
};

// A job array's concurrency cap (`--array 0-99%8`).
struct ArrayLimit {
  int32_t max_running = 0;  // 0: no cap
  int32_t running = 0;
};

struct PolicyOptions {
  bool backfill = true;
  int32_t max_preemption_attempts = 16;  // blocked jobs that may look for victims per cycle
  // Off-peak windows covering at least [now, now + a week], sorted, merged.
  std::vector<TimeInterval> offpeak;
  // Charged per placed GPU for fair share when a job has no time limit.
  Duration fair_share_horizon = kHour;
};

struct QueueSnapshot {
  std::vector<PendingJob> pending;
  std::vector<QueueConfig> queues = {QueueConfig{}};
  std::vector<double> queue_usage_gpu_hours = {0.0};  // decayed, by queue index
  std::vector<TeamUsage> teams = {TeamUsage{}};
  std::vector<ArrayLimit> arrays;
  PolicyOptions policy;
};

struct Placement {
  JobId job = kNoJob;
  std::vector<NodeAllocation> nodes;  // node order = node rank order
};

struct PendingVerdict {
  JobId job = kNoJob;
  PendingReason reason = PendingReason::kNone;
  std::string detail;
  Time eta = kNoTime;  // when it is expected to become eligible / start, if known
};

struct Preemption {
  JobId victim = kNoJob;
  JobId for_job = kNoJob;
  std::string why;
};

// A plan is a value; musterd re-checks it against current state, persists it,
// then dispatches (docs/architecture.md principle 2).
struct Plan {
  std::vector<Placement> placements;
  std::vector<PendingVerdict> pending;  // every job left pending, with why
  std::vector<JobId> never_runnable;    // dependencies can never be met
  std::vector<Preemption> preemptions;
};

}  // namespace muster::core
