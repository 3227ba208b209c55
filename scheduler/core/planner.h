// The time planner: "when will this gang fit?" (docs/architecture.md principle 5). Walks the
// running jobs' expected ends in order, giving their GPUs back to a copy of
// the free index, until the gang places. EASY backfill reserves that place
// and time for the first blocked job.
#pragma once

#include <optional>
#include <vector>

#include "scheduler/core/free_index.h"
#include "scheduler/core/snapshot.h"

namespace muster::core {

struct Reservation {
  JobId job = kNoJob;
  Time start = kNoTime;              // the shadow time: starts by then at the latest
  std::vector<NodeAllocation> gpus;  // where
};

struct Release {
  Time at = kNoTime;  // kNoTime: never (no time limit)
  const std::vector<NodeAllocation>* placement = nullptr;
};

// `releases` in any order; those with `at == kNoTime` never free their GPUs.
std::optional<Reservation> PlanReservation(const FreeIndex& free_now, std::vector<Release> releases,
                                           const PendingJob& job, Time now);

}  // namespace muster::core
