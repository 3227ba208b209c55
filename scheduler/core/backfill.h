// Stage 6 of a cycle (docs/policy.md, "One cycle"): EASY backfill. The first
// blocked job that can be reserved gets a reservation, the place and time it
// will start at (planner.h); the reserved GPUs free now are held back, and a
// later job may use them only if it ends by the reservation's start. So a
// large gang never starves behind a stream of small jobs.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "scheduler/core/free_index.h"
#include "scheduler/core/planner.h"
#include "scheduler/core/snapshot.h"

namespace muster::core {

class Backfill {
 public:
  // Jobs whose GPUs are held by jobs without time limits cannot be reserved
  // and pass the turn to the next; this many try per cycle, for its cost.
  static constexpr int32_t kMaxReservationAttempts = 8;

  // Takes from and gives back to `index`, the cycle's free GPUs. All must
  // outlive the stage.
  Backfill(const ClusterSnapshot& cluster, const QueueSnapshot& q, FreeIndex& index, Time now);

  // The checks below run for every job of a cycle, so their cheap refusals
  // are inline; the work is in backfill.cc.

  // Would a job of this time limit (0: unknown) end by the reservation's start?
  bool EndsBeforeReservation(Duration limit) const {
    return reservation_ && limit > 0 && now_ + limit <= reservation_->start;
  }
  // For a job that did not fit in the free GPUs: its place if it ends before
  // the reservation and fits with the held-back GPUs too. What it takes is no
  // longer held back; the caller takes its GPUs out of the index on commit.
  std::optional<std::vector<NodeAllocation>> PlaceWithReservedGpus(const PendingJob& job, Duration limit) {
    if (!EndsBeforeReservation(limit) || reserved_free_.empty()) return std::nullopt;
    return PlaceOnHeldBack(job);
  }

  // The cycle placed a job (placement i of the plan, in order) with this
  // time limit (0: unknown, it never ends as far as the planner knows).
  void RecordPlacement(Duration limit) { placed_ends_.push_back(limit > 0 ? now_ + limit : kNoTime); }
  // A blocked job asks for the reservation: only while none is held, backfill
  // is on and attempts are left. True when `job` now holds it. `placed` are
  // the cycle's placements so far, as recorded with RecordPlacement.
  bool TryReserve(const PendingJob& job, const std::vector<Placement>& placed) {
    if (reservation_ || attempts_ >= kMaxReservationAttempts || !q_.policy.backfill) return false;
    ++attempts_;
    Reserve(job, placed);
    return reservation_ && reservation_->job == job.id;
  }

  const std::optional<Reservation>& reservation() const { return reservation_; }
  // The reserved GPUs that were free and are held back from other jobs.
  const std::vector<NodeAllocation>& held_back() const { return reserved_free_; }

 private:
  std::optional<std::vector<NodeAllocation>> PlaceOnHeldBack(const PendingJob& job);
  void Reserve(const PendingJob& job, const std::vector<Placement>& placed);

  const ClusterSnapshot& cluster_;
  const QueueSnapshot& q_;
  FreeIndex& index_;
  Time now_;
  std::vector<Time> placed_ends_;  // by placement index; kNoTime: unknown
  std::optional<Reservation> reservation_;
  std::vector<NodeAllocation> reserved_free_;
  int32_t attempts_ = 0;
};

}  // namespace muster::core
