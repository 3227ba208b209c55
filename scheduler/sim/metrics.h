// Per-policy results from a run's raw outcome, and the statistics behind
// them (percentiles, Jain's fairness index), kept separate so they can be
// tested against hand-computed values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scheduler/sim/engine.h"
#include "scheduler/sim/workload.h"

namespace muster::sim {

// Nearest-rank percentile of ascending `sorted` (p in [0, 100]): the value at
// rank ceil(p/100 * n), 1-based; p = 0 gives the minimum. 0 when empty.
double Percentile(const std::vector<double>& sorted, double p);

// Jain's index (sum x)^2 / (n * sum x^2): 1 when all equal, 1/n when one
// takes everything. 1 for an empty list or all zeros.
double JainIndex(const std::vector<double>& x);

// One team's share of a run: what fairness is computed from.
struct TeamResult {
  std::string team;
  int64_t jobs = 0;
  double gpu_hours = 0;  // of true run time
  double avg_jct_s = 0;
  double avg_slowdown = 0;  // mean of JCT / run time
};

struct PolicyResult {
  std::string name;
  int64_t jobs = 0;  // jobs that finished
  double avg_jct_s = 0;
  double median_jct_s = 0;
  double p95_jct_s = 0;
  double p99_jct_s = 0;
  double avg_queue_s = 0;  // mean time spent PENDING
  double makespan_s = 0;   // first submission to last completion
  double utilization = 0;  // GPUs held x time / (GPUs x makespan)
  int64_t preemptions = 0;
  double offpeak_share = 0;  // deferrable jobs' executed GPU-time inside windows / all of it
  int64_t deadline_misses = 0;
  double fairness = 1;  // Jain's index over teams of mean slowdown (JCT / run time)

  // Not in the JSON's policy objects (the shape is fixed); in the table/SVG.
  int64_t timeouts = 0;
  int64_t unfinished = 0;
  std::vector<double> jct_sorted_s;  // for the CDF
  std::vector<double> util_series;   // per bucket, 0..1
  std::vector<TeamResult> teams;     // by team name
  // Per job (by workload index), for --jobs-csv: times since the job's
  // submission in seconds (-1: never), and preemptions suffered.
  struct JobRow {
    double start_s = -1;
    double finish_s = -1;
    double queue_s = 0;
    int32_t preemptions = 0;
    bool timed_out = false;
  };
  std::vector<JobRow> job_rows;
  double bucket_s = 0;
  EngineStats stats;
  double wall_s = 0;  // measured by the caller; stderr only
};

PolicyResult Summarize(const std::string& name, const Workload& workload, const RunOutcome& outcome);

}  // namespace muster::sim
