// The commands of `muster`, each run with its arguments (after the command
// name) against an injected Context; each returns the process exit code.
#pragma once

#include <string>
#include <vector>

#include "scheduler/cli/args.h"
#include "scheduler/cli/context.h"

namespace muster::cli {

using CommandFn = int (*)(Context& ctx, const std::vector<std::string>& args);

struct Command {
  const char* name;
  const char* summary;  // for the top-level --help
  CommandFn run;
};
// In the order the top-level --help lists them.
const std::vector<Command>& AllCommands();

int RunSubmit(Context& ctx, const std::vector<std::string>& args);   // commands_jobs.cc
int RunCancel(Context& ctx, const std::vector<std::string>& args);   // commands_jobs.cc
int RunJobs(Context& ctx, const std::vector<std::string>& args);     // commands_query.cc
int RunShow(Context& ctx, const std::vector<std::string>& args);     // commands_query.cc
int RunHistory(Context& ctx, const std::vector<std::string>& args);  // commands_query.cc
int RunNodes(Context& ctx, const std::vector<std::string>& args);    // commands_query.cc
int RunLogs(Context& ctx, const std::vector<std::string>& args);     // commands_logs.cc
// Operators (commands_queues.cc, commands_ops.cc).
int RunQueue(Context& ctx, const std::vector<std::string>& args);  // queue create|update|...|list
int RunUsage(Context& ctx, const std::vector<std::string>& args);
int RunNode(Context& ctx, const std::vector<std::string>& args);  // node drain|resume
int RunHold(Context& ctx, const std::vector<std::string>& args);
int RunRelease(Context& ctx, const std::vector<std::string>& args);
int RunRequeue(Context& ctx, const std::vector<std::string>& args);
int RunPriority(Context& ctx, const std::vector<std::string>& args);
// Retraining (commands_models.cc).
int RunModel(Context& ctx, const std::vector<std::string>& args);  // model register|update|list|show|delete
int RunTrigger(Context& ctx, const std::vector<std::string>& args);
int RunDrift(Context& ctx, const std::vector<std::string>& args);   // drift check (commands_drift.cc)
int RunKeygen(Context& ctx, const std::vector<std::string>& args);  // commands_keys.cc

// A command made of subcommands (`muster queue create ...`): dispatches on
// the first argument; `GROUP --help` lists the subcommands and
// `GROUP --help SUB` is `GROUP SUB --help`.
int RunGroup(Context& ctx, const std::string& group, const std::string& summary,
             const std::vector<Command>& subcommands, const std::vector<std::string>& args);

// How often `logs --follow` asks for more output.
constexpr int kFollowPollMs = 250;
// Bytes asked for per ReadLog (the agent answers at most 1 MiB).
constexpr uint32_t kLogChunkBytes = 1024 * 1024;

// `muster [global flags] <command> [args...]`: parse, dispatch, exit code.
int RunCli(Context& ctx, const std::vector<std::string>& args);

// For a parse that ended without a value: prints help (kExitOk) or the usage
// error (kExitUsage).
template <typename T>
int ReportParseStop(const Parsed<T>& parsed, Context& ctx, const std::string& command) {
  if (auto* help = std::get_if<Help>(&parsed)) {
    ctx.out << help->text;
    return kExitOk;
  }
  ctx.err << "muster: " << std::get<UsageError>(parsed).message << "\n(try: muster "
          << (command.empty() ? "" : command + " ") << "--help)\n";
  return kExitUsage;
}

}  // namespace muster::cli
