// "This gang shape cannot be placed now", remembered for the rest of a cycle.
// Free GPUs only shrink while a cycle places jobs (docs/policy.md, "Speed"),
// so any shape at least as large in both dimensions fails too: 100,000
// blocked jobs become lookups instead of searches.
#pragma once

#include <cstdint>
#include <vector>

#include "scheduler/core/gang.h"
#include "scheduler/core/snapshot.h"

namespace muster::core {

class FailureMemo {
 public:
  // Shapes wider than `max_gpus_per_node` never place; they are not kept.
  explicit FailureMemo(int32_t max_gpus_per_node);

  bool Fails(const Shape& s) const;
  void Record(const Shape& s);

  // Every shape the job may take is known to fail.
  bool FailsAll(const PendingJob& job) const;
  // The job did not place: none of its shapes will this cycle. Only for
  // jobs without a hard topology, whose failure says nothing of other jobs.
  void RecordAll(const PendingJob& job);

 private:
  int32_t max_gpus_per_node_;
  std::vector<int32_t> min_nodes_;  // [g]: fewest nodes of >= g GPUs known not to fit
};

}  // namespace muster::core
