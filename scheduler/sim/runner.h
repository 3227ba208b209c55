// One simulation from options to results: read the trace and the cluster,
// build the workload, run each policy on a fresh engine, summarise. main.cc
// and the tests both go through here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "muster/status.h"
#include "scheduler/sim/cluster_spec.h"
#include "scheduler/sim/engine.h"
#include "scheduler/sim/metrics.h"
#include "scheduler/sim/policy.h"
#include "scheduler/sim/sim_options.h"
#include "scheduler/sim/trace.h"
#include "scheduler/sim/workload.h"

namespace muster::sim {

struct SimInputs {
  SimOptions options;
  std::string trace_name;  // the file's base name (paths differ between machines)
  std::string trace_sha256;
  int64_t trace_bytes = 0;
  Trace trace;
  std::string cluster_name;    // base name of --cluster, if any
  std::string cluster_sha256;  // of --cluster, if any
  std::vector<NodeSpec> nodes;
  Workload workload;
};

// Reads options.trace_path (and options.cluster_path).
Result<SimInputs> LoadInputs(const SimOptions& options);
// The same from trace bytes already in memory (tests); `name` stands for the file.
Result<SimInputs> PrepareInputs(const SimOptions& options, const std::string& trace_bytes,
                                const std::string& name);

// "muster", "fifo", "las", "srtf"; an error names the known ones.
Result<std::unique_ptr<SimPolicy>> MakePolicy(const std::string& name, const SimInputs& inputs);

struct SimNotes {
  std::string muster_pruning;  // whether PendingFilter was sound, and why not
};

// Runs every policy in options.policies, in that order.
Result<std::vector<PolicyResult>> RunPolicies(const SimInputs& inputs, ProgressSink* progress,
                                              SimNotes* notes);

}  // namespace muster::sim
