// Operator commands on nodes and jobs: node drain|resume, hold, release,
// requeue, priority.
#include "scheduler/cli/commands.h"
#include "scheduler/cli/job_refs.h"
#include "scheduler/cli/ops_args.h"
#include "scheduler/cli/rpc.h"

namespace muster::cli {
namespace {

int RunNodeAction(Context& ctx, const std::vector<std::string>& args, wire::NodeOp op) {
  bool drain = op == wire::NodeOp::kDrain;
  auto parsed = ParseNodeActionArgs(op, args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, drain ? "node drain" : "node resume");
  const auto& action = std::get<wire::NodeAction>(parsed);
  auto rpc = ctx.connect(ctx.global);
  int exit_code = kExitOk;
  if (!CallFor<wire::Ok>(*rpc, action, ctx.err, &exit_code)) return exit_code;
  ctx.out << (drain ? "Draining node " : "Resumed node ") << action.node << "\n";
  return kExitOk;
}

int RunDrain(Context& ctx, const std::vector<std::string>& args) {
  return RunNodeAction(ctx, args, wire::NodeOp::kDrain);
}
int RunNodeResume(Context& ctx, const std::vector<std::string>& args) {
  return RunNodeAction(ctx, args, wire::NodeOp::kResume);
}

int RunJobAction(Context& ctx, const std::vector<std::string>& args, wire::JobOp op, const char* command,
                 const char* done) {
  auto parsed = ParseJobActionArgs(op, args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, command);
  return ForEachJob(
      ctx, std::get<std::vector<JobRef>>(parsed),
      [op](JobId id) {
        return wire::JobAction{id, op, 0};
      },
      done);
}

}  // namespace

int RunNode(Context& ctx, const std::vector<std::string>& args) {
  static const std::vector<Command> kSubcommands = {
      {"drain", "start nothing new on a node; running work finishes", RunDrain},
      {"resume", "return a drained node to service", RunNodeResume},
  };
  return RunGroup(ctx, "node", "Take GPU nodes out of service and back.", kSubcommands, args);
}

int RunHold(Context& ctx, const std::vector<std::string>& args) {
  return RunJobAction(ctx, args, wire::JobOp::kHold, "hold", "Held");
}
int RunRelease(Context& ctx, const std::vector<std::string>& args) {
  return RunJobAction(ctx, args, wire::JobOp::kRelease, "release", "Released");
}
int RunRequeue(Context& ctx, const std::vector<std::string>& args) {
  return RunJobAction(ctx, args, wire::JobOp::kRequeue, "requeue", "Requeued");
}

int RunPriority(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParsePriorityArgs(args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, "priority");
  const auto& a = std::get<PriorityArgs>(parsed);
  auto rpc = ctx.connect(ctx.global);
  int exit_code = kExitOk;
  auto id = ResolveJobRef(*rpc, a.job, ctx.err, &exit_code);
  if (!id) return exit_code;
  if (!CallFor<wire::Ok>(*rpc, wire::JobAction{*id, wire::JobOp::kSetPriority, a.priority}, ctx.err,
                         &exit_code))
    return exit_code;
  ctx.out << "Set priority of job " << JobRefText(a.job) << " to " << a.priority << "\n";
  return kExitOk;
}

}  // namespace muster::cli
