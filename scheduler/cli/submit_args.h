// `muster submit` arguments -> a validated JobSpec. Pure: the process facts
// it needs (user name, current directory) come in as SubmitDefaults.
#pragma once

#include <string>
#include <vector>

#include "muster/types.h"
#include "scheduler/cli/args.h"

namespace muster::cli {

// The submitting user: getpwuid(getuid()), else $USER; and the current directory.
SubmitDefaults SubmitDefaultsFromProcess();

struct SubmitArgs {
  JobSpec spec;
  bool json = false;
};

extern const CommandHelp kSubmitHelp;

// Everything after the first "--" is the job's command, verbatim. The spec is
// checked with ValidateJobSpec; what it rejects is a usage error. `now` is
// what a relative --deadline ("12h") counts from.
Parsed<SubmitArgs> ParseSubmitArgs(const std::vector<std::string>& args, const SubmitDefaults& defaults,
                                   Time now, GlobalOptions* global);

}  // namespace muster::cli
