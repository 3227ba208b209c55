// muster-sim's command line (and --config file) -> SimOptions.
#pragma once

#include <string>

#include "scheduler/sim/sim_options.h"

namespace muster::sim {

struct OutputOptions {
  std::string json;
  std::string csv;
  std::string svg;
  std::string team_csv;
  std::string jobs_csv;
  std::string progress = "auto";  // auto (a bar when stderr is a terminal) | always | never
  bool quiet = false;             // no table on stdout
};

enum class ArgsOutcome { kRun, kExitOk, kUsageError };

// Prints --help to stdout, and errors (with the flag's name) to stderr.
ArgsOutcome ParseSimArgs(int argc, char** argv, SimOptions* options, OutputOptions* output);

// "NAME:weight=2,guaranteed=64,max=128,tier=1"
Result<QueueOption> ParseQueueOption(const std::string& text);
// "1.5" or "1.5,0.2"
Result<std::pair<double, double>> ParseFactorNoise(const std::string& text);
// "1,10" -> {1, 10}
Result<std::vector<double>> ParseNumberList(const std::string& text);

}  // namespace muster::sim
