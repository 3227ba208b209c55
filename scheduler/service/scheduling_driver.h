// The scheduling cycle (docs/architecture.md "Scheduling cycle"): builds the
// core's inputs from musterd's state through the one input builder
// (scheduler/input), calls core::Decide, and applies the plan, re-checking
// each placement against the state it changes (a stale one is retried next
// cycle, never forced). Also the pending index, so that a cycle does not
// walk every pending job.
#pragma once

#include <memory>
#include <optional>

#include "common/base/clock.h"
#include "common/timewin/offpeak.h"
#include "scheduler/core/snapshot.h"
#include "scheduler/input/core_input.h"
#include "scheduler/input/offpeak_horizon.h"
#include "scheduler/input/pending_queue.h"
#include "scheduler/service/arrays.h"
#include "scheduler/service/effects.h"
#include "scheduler/service/gang_coordinator.h"
#include "scheduler/service/job_table.h"
#include "scheduler/service/node_registry.h"
#include "scheduler/service/queues.h"
#include "scheduler/service/timers.h"

namespace muster::service {

class SchedulingDriver {
 public:
  struct Options {
    bool backfill = true;
    // The core sees at most this many plain pending jobs per queue and team
    // in a cycle, and `full_queue_depth` in the full cycle once a second;
    // 0: every job (queue_depth 0: every cycle is full).
    size_t queue_depth = input::PendingQueue::Options{}.depth;
    size_t full_queue_depth = input::PendingQueue::Options{}.full_depth;
  };
  SchedulingDriver(Options options, std::shared_ptr<const timewin::OffPeakCalendar> calendar, JobTable& jobs,
                   NodeRegistry& nodes, Queues& queues, Arrays& arrays, GangCoordinator& gangs, Effects& fx,
                   Timers& timers, const Clock& clock);
  SchedulingDriver(const SchedulingDriver&) = delete;
  SchedulingDriver& operator=(const SchedulingDriver&) = delete;

  // Every pending job into the pending queue (after a restart).
  void IndexAll();
  // A job became pending, or its place in the order changed.
  void Index(const Job& job);
  // One cycle; whether it was a full one.
  bool Cycle();

 private:
  std::optional<input::PendingEntry> Lookup(JobId id);
  core::DependencyState DependencyStateOf(const Job& job);
  void Apply(core::Plan& plan, Time now);
  void FailNeverRunnable(JobId id);

  Options options_;
  JobTable& jobs_;
  NodeRegistry& nodes_;
  Queues& queues_;
  Arrays& arrays_;
  GangCoordinator& gangs_;
  Effects& fx_;
  Timers& timers_;
  const Clock& clock_;
  input::OffpeakHorizon offpeak_;
  input::PendingQueue pending_;
  input::SnapshotTables tables_;
  bool full_cycle_owed_ = false;  // a cycle left plain jobs unseen
};

}  // namespace muster::service
