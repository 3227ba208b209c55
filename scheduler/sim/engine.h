// The discrete-event engine: a manual clock (docs/architecture.md principles 6, 14), a queue of
// timed events (arrival, completion, time limit, end of a preemption's grace
// period, policy wake-up), and one policy decision per batch of events that
// share a timestamp. Deterministic: events at the same time are ordered by
// kind, then by the order they were scheduled in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "scheduler/sim/cluster_spec.h"
#include "scheduler/sim/job_run.h"
#include "scheduler/sim/offpeak_timeline.h"
#include "scheduler/sim/policy.h"
#include "scheduler/sim/sim_options.h"
#include "scheduler/sim/workload.h"

namespace muster::sim {

// Told how far a run is, for a progress bar; never part of the results.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void Update(const std::string& policy, int64_t done, int64_t total) = 0;
  virtual void Done(const std::string& policy) = 0;
};

// Counters of the engine's own work (the speed figures).
struct EngineStats {
  int64_t events = 0;        // events processed (arrivals, completions, ...)
  int64_t batches = 0;       // distinct timestamps
  int64_t decisions = 0;     // batches in which the policy did real work
  int64_t stale_starts = 0;  // starts refused by the re-check (a policy bug if > 0)
};

struct RunOutcome {
  std::vector<JobRun> runs;  // by job index
  Time first_submit = kNoTime;
  Time last_finish = kNoTime;
  int32_t total_gpus = 0;
  double busy_gpu_us = 0;              // GPUs held x time (grace periods included)
  std::vector<double> busy_by_bucket;  // GPU-µs held per util bucket from first_submit
  Duration bucket = 0;
  double deferrable_run_gpu_us = 0;      // deferrable jobs' executed GPU-time
  double deferrable_offpeak_gpu_us = 0;  // ... of it inside off-peak windows
  int64_t preemptions = 0;
  int64_t timeouts = 0;
  int64_t unfinished = 0;  // jobs still not done when no event was left
  EngineStats stats;
};

class Engine {
 public:
  Engine(const Workload& workload, const std::vector<NodeSpec>& nodes, const EngineOptions& options);
  RunOutcome Run(SimPolicy& policy, ProgressSink* progress);

 private:
  const Workload& workload_;
  const std::vector<NodeSpec>& nodes_;
  EngineOptions options_;
};

}  // namespace muster::sim
