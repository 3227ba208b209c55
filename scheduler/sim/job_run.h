// What happens to one job during one policy's run: its phase, the work left,
// and the times the metrics are computed from.
#pragma once

#include <cstdint>
#include <vector>

#include "muster/time.h"
#include "muster/types.h"

namespace muster::sim {

enum class Phase : uint8_t {
  kFuture = 0,  // not submitted yet
  kPending,     // waiting (first time, or requeued after a preemption)
  kRunning,
  kStopping,  // preempted: its GPUs stay busy for the grace period
  kDone,
};

struct JobRun {
  Phase phase = Phase::kFuture;
  Duration remaining = 0;        // work left when the current attempt started (or now, if not running)
  Time attempt_start = kNoTime;  // of the current attempt
  int32_t attempt = 0;           // bumped at every start; stale events name an older one
  Duration attained = 0;         // GPU-µs executed so far, work later lost included (LAS's service)
  Time first_start = kNoTime;
  Time finish = kNoTime;
  Time pending_since = kNoTime;
  Duration pending_total = 0;  // time spent PENDING (queueing delay)
  int32_t preemptions = 0;
  bool timed_out = false;
  std::vector<NodeAllocation> placement;  // while running or stopping
};

}  // namespace muster::sim
