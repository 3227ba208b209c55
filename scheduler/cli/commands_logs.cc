// `muster logs`: pages ReadLog until the end of the log (and, with --follow,
// until the job has finished).
#include "scheduler/cli/command_args.h"
#include "scheduler/cli/commands.h"
#include "scheduler/cli/job_refs.h"
#include "scheduler/cli/rpc.h"

namespace muster::cli {

int RunLogs(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseLogsArgs(args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, "logs");
  const auto& a = std::get<LogsArgs>(parsed);
  auto rpc = ctx.connect(ctx.global);
  int resolve_exit = kExitOk;
  auto id = ResolveJobRef(*rpc, a.job, ctx.err, &resolve_exit);
  if (!id) return resolve_exit;
  wire::ReadLog request{*id, a.rank, 0, kLogChunkBytes};
  while (true) {
    int exit_code = kExitOk;
    auto chunk = CallFor<wire::LogChunk>(*rpc, request, ctx.err, &exit_code);
    if (!chunk) {
      ctx.out.flush();
      return exit_code;
    }
    ctx.out.write(chunk->data.data(), static_cast<std::streamsize>(chunk->data.size()));
    // A chunk that moved nowhere is the end for now, whatever it says: never spin.
    bool stuck = chunk->data.empty() && chunk->next_offset == request.offset;
    request.offset = chunk->next_offset;
    if (!chunk->eof && !stuck) continue;
    ctx.out.flush();
    if (!a.follow || chunk->job_finished) return kExitOk;
    ctx.sleep_ms(kFollowPollMs);
  }
}

}  // namespace muster::cli
