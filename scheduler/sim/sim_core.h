// How a simulated job looks to the policy core: the PendingJob musterd would
// build for it (scheduling.cc), with the trace's GPU count as a flexible
// `--gpus N` request (the core picks the shape with the fewest nodes).
#pragma once

#include "scheduler/core/snapshot.h"
#include "scheduler/sim/workload.h"

namespace muster::sim {

inline core::PendingJob PendingFor(const SimJob& j) {
  core::PendingJob p;
  p.id = j.id;
  p.submit_time = j.submit;
  p.total_gpus = j.gpus;
  p.queue = j.queue;
  p.team = j.team;
  p.time_limit = j.time_limit;
  p.window = j.window;
  p.deadline = j.deadline;
  p.window_may_overrun = j.window_may_overrun;
  p.preemptible = true;  // every simulated job checkpoints (the restart-overhead model)
  return p;
}

}  // namespace muster::sim
