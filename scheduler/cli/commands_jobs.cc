// Commands that change jobs: submit, cancel.
#include <algorithm>

#include "scheduler/cli/command_args.h"
#include "scheduler/cli/commands.h"
#include "scheduler/cli/job_refs.h"
#include "scheduler/cli/rpc.h"
#include "scheduler/cli/submit_args.h"

namespace muster::cli {

int RunSubmit(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseSubmitArgs(args, ctx.submit_defaults, ctx.clock.Now(), &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, "submit");
  const auto& a = std::get<SubmitArgs>(parsed);
  auto rpc = ctx.connect(ctx.global);
  int exit_code = kExitOk;
  JobSpec spec = a.spec;
  for (const JobRef& task : a.after_tasks) {
    auto id = ResolveJobRef(*rpc, task, ctx.err, &exit_code);
    if (!id) return exit_code;
    if (std::find(spec.after.begin(), spec.after.end(), *id) == spec.after.end()) spec.after.push_back(*id);
  }
  // A request token makes the submit safe to send again (rpc.cc).
  auto reply = CallFor<wire::SubmitReply>(*rpc, wire::SubmitJob{std::move(spec), NewRequestToken()}, ctx.err,
                                          &exit_code);
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
  // An array job's id cancels the array with its tasks (musterd does that);
  // an array task's (42_7) only that task.
  return ForEachJob(
      ctx, std::get<CancelArgs>(parsed).jobs, [](JobId id) { return wire::CancelJob{id}; }, "Cancelled");
}

}  // namespace muster::cli
