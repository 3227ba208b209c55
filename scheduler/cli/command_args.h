// Arguments of the commands other than submit (submit_args.h): pure parsers,
// one per command, each also accepting --help and the global flags.
#pragma once

#include <string>
#include <vector>

#include "common/proto/messages.h"
#include "scheduler/cli/args.h"

namespace muster::cli {

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
  JobId id = kNoJob;
  bool json = false;
};
Parsed<ShowArgs> ParseShowArgs(const std::vector<std::string>& args, GlobalOptions* global);

struct CancelArgs {
  std::vector<JobId> ids;  // one or more
};
Parsed<CancelArgs> ParseCancelArgs(const std::vector<std::string>& args, GlobalOptions* global);

struct LogsArgs {
  JobId id = kNoJob;
  int32_t rank = 0;
  bool follow = false;
};
Parsed<LogsArgs> ParseLogsArgs(const std::vector<std::string>& args, GlobalOptions* global);

struct NodesArgs {
  bool json = false;
};
Parsed<NodesArgs> ParseNodesArgs(const std::vector<std::string>& args, GlobalOptions* global);

}  // namespace muster::cli
