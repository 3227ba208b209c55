// The outputs of a run: a table for people (stdout), JSON and CSV for
// programs, an SVG chart, and the speed note (stderr). All but the speed
// note are deterministic functions of the inputs and results.
#pragma once

#include <string>
#include <vector>

#include "scheduler/sim/metrics.h"
#include "scheduler/sim/runner.h"

namespace muster::sim {

std::string RenderTable(const SimInputs& inputs, const std::vector<PolicyResult>& results);
// {"inputs": {...every option...}, "policies": [{"name", "jobs", ...}]}
std::string RenderJson(const SimInputs& inputs, const std::vector<PolicyResult>& results);
// A header row, then one row per policy with the JSON's policy fields.
std::string RenderCsv(const std::vector<PolicyResult>& results);
// One row per policy and team: jobs, GPU-hours, mean JCT and slowdown (what
// the fairness index is computed from).
std::string RenderTeamCsv(const std::vector<PolicyResult>& results);
// One row per policy and job: when it started and finished (seconds after
// its submission), its queueing time and preemptions.
std::string RenderJobsCsv(const SimInputs& inputs, const std::vector<PolicyResult>& results);
// JCT CDF per policy (log-x) and utilisation over time, self-contained.
std::string RenderSvg(const SimInputs& inputs, const std::vector<PolicyResult>& results);
// Wall time, jobs/s, events/s, decisions per policy (not deterministic).
std::string RenderSpeed(const SimInputs& inputs, const std::vector<PolicyResult>& results);

}  // namespace muster::sim
