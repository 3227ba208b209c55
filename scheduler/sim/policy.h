// The interface every simulated policy implements: `muster` (the production
// core, muster_policy.h) and the baselines `fifo`, `las`, `srtf`, which live
// here in the simulator and nowhere else.
//
// The engine calls Decide once per batch of same-time events; a policy
// returns the jobs to start (with their GPUs) and the jobs to preempt, and
// may ask to be called again at a later time (a window boundary, a LAS
// demotion). It may plan on the cluster's scratch index (rolled back after).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "muster/types.h"
#include "scheduler/sim/cluster_state.h"
#include "scheduler/sim/job_run.h"
#include "scheduler/sim/workload.h"

namespace muster::sim {

// Read access to the run for policies. `pending` lists PENDING jobs (indices
// into workload.jobs) in id order, i.e. submit order.
struct SimView {
  const Workload& workload;
  const std::vector<JobRun>& runs;
  ClusterState& cluster;  // mutable only through BeginScratch()
  const std::vector<int32_t>& pending;
  Time now = kNoTime;
};

// What happened since the last Decide.
struct Changes {
  bool arrivals = false;  // new or requeued jobs became pending
  bool freed = false;     // GPUs were released
  bool wakeup = false;    // a time the policy asked for came
};

struct Start {
  int32_t job = -1;  // index into workload.jobs
  std::vector<NodeAllocation> placement;
};

struct Actions {
  std::vector<int32_t> preempt;  // running jobs to tear down (they requeue after the grace period)
  std::vector<Start> starts;
  // When set, replaces the pending wake-up: call Decide again at this time
  // even if nothing else happens (kNoTime: no wake-up). Unset: keep it.
  std::optional<Time> wakeup;
  bool consulted = false;  // the policy did real work (counted as a decision)
};

class SimPolicy {
 public:
  virtual ~SimPolicy() = default;
  virtual std::string name() const = 0;

  // Before the events at `view.now` are applied (the running set is still
  // the one that ran since the previous batch).
  virtual void BeforeBatch(const SimView& view) {}
  // A job became pending (submitted, or requeued after its grace period).
  virtual void OnPending(const SimView& view, int32_t job) {}
  virtual void OnStarted(const SimView& view, int32_t job) {}
  // The job stopped running (finished, timed out or preempted).
  virtual void OnStopped(const SimView& view, int32_t job) {}
  // Its GPUs were released (at the end, or after the grace period).
  virtual void OnReleased(const SimView& view, int32_t job) {}

  virtual void Decide(const SimView& view, const Changes& changes, Actions* out) = 0;
};

}  // namespace muster::sim
