// Arguments of the commands other than submit (submit_args.h): pure parsers,
// one per command, each also accepting --help and the global flags.
#pragma once

#include <string>
#include <vector>

#include "common/proto/messages.h"
#include "scheduler/cli/args.h"

namespace muster::cli {

// ---- helpers shared by the per-command parsers -----------------------------

// A hidden option that collects the positional arguments.
struct Positionals {
  po::options_description hidden;
  po::positional_options_description positional;
  Positionals();
};
std::vector<std::string> PositionalArgs(const po::variables_map& vm);
// A command that takes flags only: a positional argument is a usage error.
Parsed<po::variables_map> ParseNoPositionals(const CommandHelp& help, const po::options_description& own,
                                             const std::vector<std::string>& args, GlobalOptions* global);
// Flags "--json" only.
po::options_description JsonOnly(const char* title);
// Every positional argument as a job ("42" or "42_7"); at least one.
Parsed<std::vector<JobRef>> JobRefArgs(const po::variables_map& vm);

// ---- per-command parsers ---------------------------------------------------

extern const CommandHelp kJobsHelp;
extern const CommandHelp kShowHelp;
extern const CommandHelp kCancelHelp;
extern const CommandHelp kLogsHelp;
extern const CommandHelp kNodesHelp;

struct JobsArgs {
  wire::ListJobs request;
  bool json = false;
};
Parsed<JobsArgs> ParseJobsArgs(const std::vector<std::string>& args, GlobalOptions* global);

struct ShowArgs {
  JobRef job;
  bool json = false;
};
Parsed<ShowArgs> ParseShowArgs(const std::vector<std::string>& args, GlobalOptions* global);
extern const CommandHelp kHistoryHelp;
Parsed<ShowArgs> ParseHistoryArgs(const std::vector<std::string>& args, GlobalOptions* global);
// `ID [--json]`, with `help` for --help.
Parsed<ShowArgs> ParseIdAndJson(const CommandHelp& help, const std::vector<std::string>& args,
                                GlobalOptions* global);

struct CancelArgs {
  std::vector<JobRef> jobs;  // one or more
};
Parsed<CancelArgs> ParseCancelArgs(const std::vector<std::string>& args, GlobalOptions* global);

struct LogsArgs {
  JobRef job;
  int32_t rank = 0;
  bool follow = false;
};
Parsed<LogsArgs> ParseLogsArgs(const std::vector<std::string>& args, GlobalOptions* global);

struct NodesArgs {
  bool json = false;
  bool gpus = false;  // one row per GPU
};
Parsed<NodesArgs> ParseNodesArgs(const std::vector<std::string>& args, GlobalOptions* global);

}  // namespace muster::cli
