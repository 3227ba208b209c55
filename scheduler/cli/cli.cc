// Top-level dispatch: global flags, the command table, the top-level help.
#include <sstream>

#include "scheduler/cli/commands.h"

#ifndef MUSTER_VERSION
#define MUSTER_VERSION "unknown"
#endif

namespace muster::cli {
namespace {

std::string TopLevelHelp() {
  std::ostringstream os;
  os << "usage: muster [--scheduler ENDPOINT] [--timeout-ms MS] <command> [args...]\n\n"
        "The command-line client of the Muster GPU scheduler (musterd).\n\nCommands:\n";
  for (const Command& c : AllCommands()) {
    std::string name = c.name;
    os << "  " << name << std::string(name.size() < 10 ? 10 - name.size() : 1, ' ') << c.summary << "\n";
  }
  os << "\n"
     << GlobalOptionsDescription(/*with_version=*/true) << "\n"
     << "Run 'muster <command> --help' for a command's flags. Read commands take --json.\n"
        "Exit codes: 0 ok, 1 refused by musterd, 2 usage error, 3 musterd unreachable.\n";
  return os.str();
}

const Command* FindCommand(const std::string& name) {
  for (const Command& c : AllCommands())
    if (name == c.name) return &c;
  return nullptr;
}

}  // namespace

const std::vector<Command>& AllCommands() {
  static const std::vector<Command> kCommands = {
      {"submit", "queue a job: muster submit [flags] -- CMD ARGS...", RunSubmit},
      {"jobs", "list jobs (squeue-like)", RunJobs},
      {"show", "every field of one job", RunShow},
      {"cancel", "cancel jobs", RunCancel},
      {"logs", "print (or follow) a rank's output", RunLogs},
      {"nodes", "list GPU nodes", RunNodes},
  };
  return kCommands;
}

int RunCli(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseInvocation(args, ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, "");
  Invocation inv = std::get<Invocation>(std::move(parsed));
  ctx.global = inv.global;
  if (inv.version && inv.command.empty()) {
    ctx.out << "muster " << MUSTER_VERSION << "\n";
    return kExitOk;
  }
  if (inv.command == "help") {  // `muster help [COMMAND]`
    if (inv.args.empty())
      inv.command.clear();
    else
      inv.command = inv.args.front();
    inv.args.clear();
    inv.help = true;
  }
  if (inv.command.empty()) {
    ctx.out << TopLevelHelp();
    return kExitOk;
  }
  const Command* command = FindCommand(inv.command);
  if (!command) {
    ctx.err << "muster: unknown command '" << inv.command << "' (try: muster --help)\n";
    return kExitUsage;
  }
  if (inv.help) inv.args.insert(inv.args.begin(), "--help");
  return command->run(ctx, inv.args);
}

}  // namespace muster::cli
