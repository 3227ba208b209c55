// Every knob of a simulation run, as plain values (docs/architecture.md principle 15: options
// structs, no globals). main.cc fills them from the command line; tests fill
// them directly. All of them are echoed in the JSON's "inputs".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "muster/time.h"
#include "scheduler/sim/cluster_spec.h"
#include "scheduler/sim/trace.h"

namespace muster::sim {

// How trace rows become jobs.
struct WorkloadOptions {
  TraceColumns columns;
  // The wall-clock instant of submit_time_s = 0: "auto" takes the trace's
  // submit_timestamp column (read as UTC) when it has one, else
  // 2020-01-06T00:00:00Z (a Monday). Matters for off-peak windows only.
  std::string trace_start = "auto";
  std::string start;     // keep jobs submitted at/after: a duration since the trace start or RFC 3339
  std::string end;       // ... and before
  int64_t max_jobs = 0;  // 0: all (after start/end)
  Duration default_time_limit = 24 * kHour;  // the queue default; 0: none
  double limit_factor = 0;  // > 0: time limit = duration x factor x (1 +- noise), a study knob
  double limit_noise = 0;
  std::vector<std::string> offpeak;  // weekly ranges ("Mon-Fri 20:00-07:00")
  std::string timezone = "UTC";
  double deferrable_fraction = 0;        // share of jobs marked offpeak-preferred with a deadline
  Duration deadline_slack = 48 * kHour;  // deadline = submit + duration + slack
  bool window_may_overrun = true;        // deferrable jobs may run past the window's end
  uint64_t seed = 1;
};

struct QueueOption {
  std::string name;
  double weight = 1.0;
  int32_t guaranteed = 0;
  int32_t max = -1;
  int32_t tier = 0;
};

// The production policy's configuration as musterd would have it.
struct MusterOptions {
  std::vector<QueueOption> queues;  // overrides by name; others get defaults
  bool backfill = true;
  Duration fair_share_half_life = 7 * kDay;
  bool prune = true;  // pass core::Decide a provably sufficient pending subset
};

struct LasOptions {
  std::vector<double> thresholds_gpu_hours = {1.0, 10.0};  // queue boundaries of attained service
};

// What every policy shares: the mechanics of the simulated cluster.
struct EngineOptions {
  Duration restart_overhead = 60 * kSecond;  // work lost by a preempted job (back to its checkpoint)
  Duration grace = 30 * kSecond;             // SIGTERM to SIGKILL: the victim's GPUs stay busy
  bool kill_at_time_limit = false;           // end jobs at their time limit (TIMEOUT), in every policy
  Duration util_bucket = kHour;              // width of the utilisation-over-time series
};

struct SimOptions {
  std::string trace_path;
  std::string cluster_path;  // empty: from `cluster`
  ClusterFlags cluster;
  std::vector<std::string> policies = {"muster", "fifo", "las", "srtf"};
  WorkloadOptions workload;
  MusterOptions muster;
  LasOptions las;
  EngineOptions engine;
  bool skip_bad_rows = false;
};

}  // namespace muster::sim
