// Arguments of the operator commands: queue create|update|delete|pause|
// resume|list, node drain|resume, hold, release, requeue, priority, usage.
// Pure parsers, each also accepting --help and the global flags.
#pragma once

#include <string>
#include <vector>

#include "common/proto/messages.h"
#include "scheduler/cli/args.h"

namespace muster::cli {

extern const CommandHelp kQueueCreateHelp;
extern const CommandHelp kQueueUpdateHelp;
extern const CommandHelp kQueueDeleteHelp;
extern const CommandHelp kQueuePauseHelp;
extern const CommandHelp kQueueResumeHelp;
extern const CommandHelp kQueueListHelp;
extern const CommandHelp kNodeDrainHelp;
extern const CommandHelp kNodeResumeHelp;
extern const CommandHelp kHoldHelp;
extern const CommandHelp kReleaseHelp;
extern const CommandHelp kRequeueHelp;
extern const CommandHelp kPriorityHelp;
extern const CommandHelp kUsageHelp;

// `queue create NAME [flags]` (create = true: every field is sent, defaults
// for those not given) and `queue update NAME [flags]` (only the given fields:
// their QueueField bits are set; at least one is needed).
Parsed<wire::PutQueue> ParseQueuePutArgs(bool create, const std::vector<std::string>& args,
                                         GlobalOptions* global);
// `queue pause NAME` / `queue resume NAME`: an update of kQueuePaused.
Parsed<wire::PutQueue> ParseQueuePauseArgs(bool pause, const std::vector<std::string>& args,
                                           GlobalOptions* global);
Parsed<wire::DeleteQueue> ParseQueueDeleteArgs(const std::vector<std::string>& args, GlobalOptions* global);

struct ListArgs {
  bool json = false;
};
Parsed<ListArgs> ParseQueueListArgs(const std::vector<std::string>& args, GlobalOptions* global);
Parsed<ListArgs> ParseUsageArgs(const std::vector<std::string>& args, GlobalOptions* global);

// `node drain NAME` / `node resume NAME`.
Parsed<wire::NodeAction> ParseNodeActionArgs(wire::NodeOp op, const std::vector<std::string>& args,
                                             GlobalOptions* global);

// `hold|release|requeue ID...`: the jobs ("42" or array task "42_7"), in order.
Parsed<std::vector<JobRef>> ParseJobActionArgs(wire::JobOp op, const std::vector<std::string>& args,
                                               GlobalOptions* global);
// `priority ID P` (P may be negative: `muster priority 7 -5`).
struct PriorityArgs {
  JobRef job;
  int32_t priority = 0;
  bool operator==(const PriorityArgs&) const = default;
};
Parsed<PriorityArgs> ParsePriorityArgs(const std::vector<std::string>& args, GlobalOptions* global);

}  // namespace muster::cli
