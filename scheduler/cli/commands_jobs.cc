// Commands that change jobs: submit, cancel.
#include "scheduler/cli/command_args.h"
#include "scheduler/cli/commands.h"
#include "scheduler/cli/rpc.h"
#include "scheduler/cli/submit_args.h"

namespace muster::cli {

int RunSubmit(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseSubmitArgs(args, ctx.submit_defaults, ctx.clock.Now(), &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, "submit");
  const auto& a = std::get<SubmitArgs>(parsed);
  auto rpc = ctx.connect(ctx.global);
  int exit_code = kExitOk;
  auto reply = CallFor<wire::SubmitReply>(*rpc, wire::SubmitJob{a.spec}, ctx.err, &exit_code);
  if (!reply) return exit_code;
  if (a.json) {
    ctx.out << "{\"id\": " << reply->id << "}\n";
  } else {
    ctx.out << "Submitted job " << reply->id << "\n";
  }
  return kExitOk;
}

int RunCancel(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseCancelArgs(args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, "cancel");
  auto rpc = ctx.connect(ctx.global);
  int worst = kExitOk;
  for (JobId id : std::get<CancelArgs>(parsed).ids) {
    int exit_code = kExitOk;
    if (CallFor<wire::Ok>(*rpc, wire::CancelJob{id}, ctx.err, &exit_code)) {
      ctx.out << "Cancelled job " << id << "\n";
      continue;
    }
    if (exit_code == kExitUnavailable || exit_code == kExitUsage)
      return exit_code;  // the rest would fail too
    worst = exit_code;
  }
  return worst;
}

}  // namespace muster::cli
