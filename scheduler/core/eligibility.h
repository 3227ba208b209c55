// Stage 1 of a cycle (docs/policy.md, "One cycle"): may a pending job compete
// for GPUs this cycle at all? Judged on the job alone, before any GPU is
// handed out, so the answer does not depend on the order of the queue.
#pragma once

#include <cstdint>
#include <string>

#include "scheduler/core/snapshot.h"

namespace muster::core {

struct Eligibility {
  enum class Outcome : uint8_t {
    kEligible,       // goes on to the fair-share order
    kPending,        // stays pending this cycle: reason, detail, eta say why
    kNeverRunnable,  // its dependencies can never be met: the job fails
  };
  Outcome outcome = Outcome::kEligible;
  PendingReason reason = PendingReason::kNone;
  std::string detail;
  Time eta = kNoTime;  // when it becomes eligible, if known

  bool eligible() const { return outcome == Outcome::kEligible; }
};

// Checks, first failing wins: the queue exists, dependencies (never / still
// waiting), held, queue paused, off-peak window, and a node large enough for
// one of its shapes (`max_gpus_per_node` of the schedulable nodes; 0: none).
Eligibility CheckEligibility(const PendingJob& job, const QueueSnapshot& q, int32_t max_gpus_per_node,
                             Time now);

}  // namespace muster::core
