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
  // --after array tasks (42_7): their ids join spec.after once musterd has
  // named them (RunSubmit).
  std::vector<JobRef> after_tasks;
  bool json = false;
};

extern const CommandHelp kSubmitHelp;

// The flags that describe a job and are shared by `submit` and `model
// register` (a retraining template): shape, queue, limits, env, window...
po::options_description JobTemplateOptions();
// A new spec from those flags and the process defaults (argv is left as it
// is; the default name comes from argv[0]). InvalidArgument for a value no
// spec can hold.
Status FillTemplateSpec(const po::variables_map& vm, const SubmitDefaults& defaults, JobSpec* spec);
// The flags that only make sense when changing an existing template: they
// undo what a template already has (--no-preemptible, --unset-env NAME).
po::options_description TemplateUpdateOptions();
// Applies only the flags present in `vm` to an existing spec (an update):
// a shape flag replaces the whole shape, --env adds or replaces variables and
// --unset-env removes them (NotFound for a name the spec does not set),
// --preemptible / --no-preemptible switch preemption on or off,
// --window-may-overrun can only be turned on.
Status ApplyTemplateFlags(const po::variables_map& vm, const std::string& cwd, JobSpec* spec);

// --export WHAT (sbatch's): ALL (default), NONE, or VAR[,VAR=value...] of
// `environment`, put before the job's own --env variables, which win.
Status ApplyExport(const std::string& what, const std::vector<std::string>& environment, JobSpec* spec);

// Everything after the first "--" is the job's command, verbatim. The spec is
// checked with ValidateJobSpec; what it rejects is a usage error. `now` is
// what a relative --deadline ("12h") counts from.
Parsed<SubmitArgs> ParseSubmitArgs(const std::vector<std::string>& args, const SubmitDefaults& defaults,
                                   Time now, GlobalOptions* global);

}  // namespace muster::cli
