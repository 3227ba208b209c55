// How a simulated job looks to the policy core: the JobSpec musterd would
// hold for it, turned into the core's PendingJob by the same function
// musterd's scheduling cycle uses (scheduler/input/core_input.h).
#pragma once

#include "scheduler/core/snapshot.h"
#include "scheduler/input/core_input.h"
#include "scheduler/sim/workload.h"

namespace muster::sim {

// The job spec musterd would hold for a trace job: the trace's GPU count as
// a flexible `--gpus N` request (the core picks the shape with the fewest
// nodes); every simulated job checkpoints, so every one is preemptible.
inline JobSpec SpecOf(const SimJob& j, const Workload& w) {
  JobSpec s;
  s.name = j.name;
  s.team = w.teams[j.team];
  s.queue = w.queues[j.queue];
  s.total_gpus = j.gpus;
  s.time_limit = j.time_limit;
  s.window = j.window;
  s.deadline = j.deadline;
  s.window_may_overrun = j.window_may_overrun;
  s.preemptible = true;
  return s;
}

// Job `index` of the workload as a pending job; queue and team are the
// workload's indices (the baselines place with it; `muster` maps teams
// through its snapshot tables).
inline core::PendingJob PendingFor(const Workload& w, int32_t index) {
  const SimJob& j = w.jobs[index];
  return input::PendingJobOf(j.id, SpecOf(j, w), j.submit, /*held=*/false, core::DependencyState::kMet,
                             j.queue, j.team);
}

}  // namespace muster::sim
