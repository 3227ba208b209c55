// Read-only commands: jobs, show, nodes.
#include "scheduler/cli/command_args.h"
#include "scheduler/cli/commands.h"
#include "scheduler/cli/format.h"
#include "scheduler/cli/job_refs.h"
#include "scheduler/cli/rpc.h"

namespace muster::cli {

int RunJobs(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseJobsArgs(args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, "jobs");
  const auto& a = std::get<JobsArgs>(parsed);
  auto rpc = ctx.connect(ctx.global);
  int exit_code = kExitOk;
  auto reply = CallFor<wire::JobList>(*rpc, a.request, ctx.err, &exit_code);
  if (!reply) return exit_code;
  if (a.json) {
    ctx.out << DumpJson(JobsToJson(std::move(reply->jobs))) << "\n";
  } else {
    ctx.out << FormatJobsTable(std::move(reply->jobs), ctx.clock.Now());
  }
  return kExitOk;
}

int RunShow(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseShowArgs(args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, "show");
  const auto& a = std::get<ShowArgs>(parsed);
  auto rpc = ctx.connect(ctx.global);
  int exit_code = kExitOk;
  auto job = FetchJob(*rpc, a.job, ctx.err, &exit_code);
  if (!job) return exit_code;
  if (a.json) {
    ctx.out << DumpJson(JobToJson(*job)) << "\n";
  } else {
    ctx.out << FormatJobDetails(*job, ctx.clock.Now());
  }
  return kExitOk;
}

int RunHistory(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseHistoryArgs(args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, "history");
  const auto& a = std::get<ShowArgs>(parsed);
  auto rpc = ctx.connect(ctx.global);
  int exit_code = kExitOk;
  auto id = ResolveJobRef(*rpc, a.job, ctx.err, &exit_code);
  if (!id) return exit_code;
  auto reply = CallFor<wire::EventList>(*rpc, wire::ListEvents{*id}, ctx.err, &exit_code);
  if (!reply) return exit_code;
  ctx.out << (a.json ? DumpJson(EventsToJson(reply->events)) + "\n" : FormatEventsTable(reply->events));
  return kExitOk;
}

int RunNodes(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseNodesArgs(args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, "nodes");
  auto rpc = ctx.connect(ctx.global);
  int exit_code = kExitOk;
  // A page at a time (a large cluster does not fit one reply).
  std::vector<wire::NodeStatus> nodes;
  wire::ListNodes page;
  while (true) {
    auto reply = CallFor<wire::NodeList>(*rpc, page, ctx.err, &exit_code);
    if (!reply) return exit_code;
    const bool more = reply->more && !reply->nodes.empty();
    if (!reply->nodes.empty()) page.after = reply->nodes.back().node.name;
    for (auto& n : reply->nodes) nodes.push_back(std::move(n));
    if (!more) break;
  }
  if (std::get<NodesArgs>(parsed).json) {
    ctx.out << DumpJson(NodesToJson(std::move(nodes))) << "\n";
  } else if (std::get<NodesArgs>(parsed).gpus) {
    ctx.out << FormatGpusTable(std::move(nodes));
  } else {
    ctx.out << FormatNodesTable(std::move(nodes), ctx.clock.Now());
  }
  return kExitOk;
}

}  // namespace muster::cli
