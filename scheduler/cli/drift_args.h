// Arguments of `muster drift check`: a pure parser that also accepts --help
// and the global flags.
#pragma once

#include <string>
#include <vector>

#include "common/drift/drift.h"
#include "scheduler/cli/args.h"

namespace muster::cli {

// `drift check` found drift (0: none; 2: bad flags or input).
constexpr int kExitDrift = 10;

extern const CommandHelp kDriftCheckHelp;

struct DriftCheckArgs {
  std::string model;      // empty when not given (required with --trigger)
  std::string reference;  // file paths, as given
  std::string current;
  drift::DriftOptions options;  // --threshold, --columns
  bool trigger = false;
  bool json = false;
};

// `drift check --reference REF.csv --current CUR.csv [--model NAME]
// [--threshold PSI] [--columns A,B] [--trigger] [--json]`.
Parsed<DriftCheckArgs> ParseDriftCheckArgs(const std::vector<std::string>& args, GlobalOptions* global);

}  // namespace muster::cli
