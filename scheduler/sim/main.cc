// muster-sim: replays a GPU-cluster job trace against the production policy
// (scheduler/core, the same library musterd links) and baselines, with a
// manual clock and simulated agents, and compares them side by side.
#include <fstream>
#include <iostream>
#include <memory>

#include "scheduler/sim/progress.h"
#include "scheduler/sim/report.h"
#include "scheduler/sim/runner.h"
#include "scheduler/sim/sim_args.h"

namespace {

bool WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  out.close();
  if (!out) {
    std::cerr << "muster-sim: cannot write '" << path << "'\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace muster::sim;
  SimOptions options;
  OutputOptions output;
  switch (ParseSimArgs(argc, argv, &options, &output)) {
    case ArgsOutcome::kExitOk:
      return 0;
    case ArgsOutcome::kUsageError:
      return 2;
    case ArgsOutcome::kRun:
      break;
  }
  auto inputs = LoadInputs(options);
  if (!inputs.ok()) {
    std::cerr << "muster-sim: " << inputs.status().message() << "\n";
    return inputs.status().code() == muster::StatusCode::kIoError ? 1 : 2;
  }
  if (inputs->trace.skipped_rows) {
    std::cerr << "muster-sim: skipped " << inputs->trace.skipped_rows << " malformed rows, e.g.:\n";
    for (const auto& e : inputs->trace.skipped_examples) std::cerr << "  " << e << "\n";
  }
  if (inputs->workload.unplaceable) {
    std::cerr << "muster-sim: set aside " << inputs->workload.unplaceable
              << " jobs no shape of this cluster can hold, e.g. "
              << inputs->workload.unplaceable_examples.front() << "\n";
  }
  std::unique_ptr<TtyProgress> progress;
  if (WantProgress(output.progress)) progress = std::make_unique<TtyProgress>(stderr);
  SimNotes notes;
  auto results = RunPolicies(*inputs, progress.get(), &notes);
  if (!results.ok()) {
    std::cerr << "muster-sim: " << results.status().message() << "\n";
    return 2;
  }
  if (!output.quiet) std::cout << RenderTable(*inputs, *results) << std::flush;
  bool ok = true;
  if (!output.json.empty()) ok &= WriteFile(output.json, RenderJson(*inputs, *results));
  if (!output.csv.empty()) ok &= WriteFile(output.csv, RenderCsv(*results));
  if (!output.svg.empty()) ok &= WriteFile(output.svg, RenderSvg(*inputs, *results));
  if (!output.team_csv.empty()) ok &= WriteFile(output.team_csv, RenderTeamCsv(*results));
  if (!output.jobs_csv.empty()) ok &= WriteFile(output.jobs_csv, RenderJobsCsv(*inputs, *results));
  std::cerr << RenderSpeed(*inputs, *results);
  if (!notes.muster_pruning.empty())
    std::cerr << "muster: pending-list pruning " << notes.muster_pruning << "\n";
  return ok ? 0 : 1;
}
