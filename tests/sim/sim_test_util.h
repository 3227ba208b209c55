// Helpers for the simulator tests: run a trace given as text through one
// policy and read back per-job outcomes.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scheduler/sim/engine.h"
#include "scheduler/sim/runner.h"

namespace muster::sim::testing {

// Options for a tiny cluster with the given mechanics; callers adjust.
inline SimOptions TinyOptions(int32_t nodes, int32_t gpus_per_node) {
  SimOptions o;
  o.cluster.nodes = nodes;
  o.cluster.gpus_per_node = gpus_per_node;
  o.workload.trace_start = "2024-01-01T00:00:00Z";  // a Monday
  return o;
}

inline SimInputs Prepare(const SimOptions& o, const std::string& csv) {
  auto in = PrepareInputs(o, csv, "scenario.csv");
  EXPECT_TRUE(in.ok()) << in.status().message();
  return std::move(*in);
}

inline RunOutcome RunOne(const SimInputs& in, const std::string& policy) {
  auto p = MakePolicy(policy, in);
  EXPECT_TRUE(p.ok()) << p.status().message();
  Engine engine(in.workload, in.nodes, in.options.engine);
  return engine.Run(**p, nullptr);
}

// Completion time minus submission, in seconds, per job (by trace order).
inline std::vector<double> Jcts(const SimInputs& in, const RunOutcome& out) {
  std::vector<double> v;
  for (size_t i = 0; i < in.workload.jobs.size(); ++i)
    v.push_back(out.runs[i].finish == kNoTime
                    ? -1
                    : static_cast<double>(out.runs[i].finish - in.workload.jobs[i].submit) / kSecond);
  return v;
}

}  // namespace muster::sim::testing
