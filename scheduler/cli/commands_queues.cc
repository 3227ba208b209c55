// Operator commands on queues: queue create|update|delete|pause|resume|list,
// and usage (fair-share standing).
#include "scheduler/cli/commands.h"
#include "scheduler/cli/format.h"
#include "scheduler/cli/ops_args.h"
#include "scheduler/cli/rpc.h"

namespace muster::cli {
namespace {

// Sends a request answered by Ok and prints `done` + " queue NAME".
int SendQueueChange(Context& ctx, const wire::Body& request, const char* done, const std::string& name) {
  auto rpc = ctx.connect(ctx.global);
  int exit_code = kExitOk;
  if (!CallFor<wire::Ok>(*rpc, request, ctx.err, &exit_code)) return exit_code;
  ctx.out << done << " queue " << name << "\n";
  return kExitOk;
}

int RunPut(Context& ctx, const std::vector<std::string>& args, bool create) {
  auto parsed = ParseQueuePutArgs(create, args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, create ? "queue create" : "queue update");
  const auto& put = std::get<wire::PutQueue>(parsed);
  return SendQueueChange(ctx, put, create ? "Created" : "Updated", put.spec.name);
}

int RunCreate(Context& ctx, const std::vector<std::string>& args) { return RunPut(ctx, args, true); }
int RunUpdate(Context& ctx, const std::vector<std::string>& args) { return RunPut(ctx, args, false); }

int RunPauseOrResume(Context& ctx, const std::vector<std::string>& args, bool pause) {
  auto parsed = ParseQueuePauseArgs(pause, args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, pause ? "queue pause" : "queue resume");
  const auto& put = std::get<wire::PutQueue>(parsed);
  return SendQueueChange(ctx, put, pause ? "Paused" : "Resumed", put.spec.name);
}

int RunPause(Context& ctx, const std::vector<std::string>& args) { return RunPauseOrResume(ctx, args, true); }
int RunResume(Context& ctx, const std::vector<std::string>& args) {
  return RunPauseOrResume(ctx, args, false);
}

int RunDelete(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseQueueDeleteArgs(args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, "queue delete");
  const auto& del = std::get<wire::DeleteQueue>(parsed);
  return SendQueueChange(ctx, del, "Deleted", del.name);
}

// ListQueues answers both `queue list` and `usage`.
std::optional<wire::QueueList> ListQueues(Context& ctx, int* exit_code) {
  auto rpc = ctx.connect(ctx.global);
  return CallFor<wire::QueueList>(*rpc, wire::ListQueues{}, ctx.err, exit_code);
}

int RunList(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseQueueListArgs(args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, "queue list");
  int exit_code = kExitOk;
  auto reply = ListQueues(ctx, &exit_code);
  if (!reply) return exit_code;
  if (std::get<ListArgs>(parsed).json) {
    ctx.out << DumpJson(QueuesToJson(std::move(reply->queues))) << "\n";
  } else {
    ctx.out << FormatQueuesTable(std::move(reply->queues));
  }
  return kExitOk;
}

}  // namespace

int RunQueue(Context& ctx, const std::vector<std::string>& args) {
  static const std::vector<Command> kSubcommands = {
      {"create", "create a queue", RunCreate},
      {"update", "change a queue's settings (only the flags given)", RunUpdate},
      {"delete", "delete a queue without active jobs", RunDelete},
      {"pause", "stop starting a queue's jobs", RunPause},
      {"resume", "start a paused queue's jobs again", RunResume},
      {"list", "list queues with their jobs, GPUs and usage", RunList},
  };
  return RunGroup(ctx, "queue",
                  "Manage queues: fair-share weight, guaranteed and max GPUs, priority tier, defaults.",
                  kSubcommands, args);
}

int RunUsage(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseUsageArgs(args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, "usage");
  int exit_code = kExitOk;
  auto reply = ListQueues(ctx, &exit_code);
  if (!reply) return exit_code;
  if (std::get<ListArgs>(parsed).json) {
    ctx.out << DumpJson(UsageToJson(*reply)) << "\n";
  } else {
    ctx.out << FormatUsage(*reply);
  }
  return kExitOk;
}

}  // namespace muster::cli
