// `las`: Tiresias-style discretised two-dimensional least attained service
// (Gu et al., NSDI'19). A job's attained service is GPUs x time it has run
// (work later lost to a preemption included); thresholds (default 1 and 10
// GPU-hours) split jobs into queues; a lower queue always goes first and
// preempts; within a queue, FIFO by submission. No duration knowledge. A
// running job that crosses a threshold is demoted at that instant (the
// engine wakes the policy then). No starvation promotion.
#pragma once

#include <vector>

#include "scheduler/sim/priority_policy.h"
#include "scheduler/sim/sim_options.h"

namespace muster::sim {

class LasPolicy final : public PriorityPolicy {
 public:
  explicit LasPolicy(const LasOptions& options);
  std::string name() const override { return "las"; }

 protected:
  PriorityKey KeyOf(const SimView& view, int32_t job, Time now) const override;
  Time NextKeyChange(const SimView& view, int32_t job, Time now) const override;

 private:
  Duration AttainedNow(const SimView& view, int32_t job, Time now) const;  // GPU-µs
  std::vector<Duration> thresholds_;                                       // GPU-µs, ascending
};

}  // namespace muster::sim
