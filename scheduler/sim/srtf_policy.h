// `srtf`: an oracle, not a product. Shortest remaining GPU-time first
// (remaining run time x GPUs, from the trace's true duration plus work lost
// to preemptions), preemptive; ties by submission. A lower bound on what a
// scheduler without duration knowledge can reach on average JCT.
#pragma once

#include "scheduler/sim/priority_policy.h"

namespace muster::sim {

class SrtfPolicy final : public PriorityPolicy {
 public:
  std::string name() const override { return "srtf"; }

 protected:
  PriorityKey KeyOf(const SimView& view, int32_t job, Time now) const override;
};

}  // namespace muster::sim
