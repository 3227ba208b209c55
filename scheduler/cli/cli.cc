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

std::string GroupHelp(const std::string& group, const std::string& summary,
                      const std::vector<Command>& subcommands) {
  std::ostringstream os;
  os << "usage: muster " << group << " <subcommand> [args...]\n\n" << summary << "\n\nSubcommands:\n";
  for (const Command& c : subcommands) {
    std::string name = c.name;
    os << "  " << name << std::string(name.size() < 8 ? 8 - name.size() : 1, ' ') << c.summary << "\n";
  }
  os << "\nRun 'muster " << group << " <subcommand> --help' for its flags.\n";
  return os.str();
}

const Command* FindIn(const std::vector<Command>& commands, const std::string& name) {
  for (const Command& c : commands)
    if (name == c.name) return &c;
  return nullptr;
}

}  // namespace

int RunGroup(Context& ctx, const std::string& group, const std::string& summary,
             const std::vector<Command>& subcommands, const std::vector<std::string>& args) {
  std::string choices;
  for (const Command& c : subcommands) choices += std::string(choices.empty() ? "" : ", ") + c.name;
  if (args.empty()) {
    ctx.err << "muster: missing " << group << " subcommand: one of " << choices << "\n(try: muster " << group
            << " --help)\n";
    return kExitUsage;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  std::string name = args.front();
  if (name == "--help" || name == "-h") {
    const Command* sub = rest.empty() ? nullptr : FindIn(subcommands, rest.front());
    if (!sub) {
      ctx.out << GroupHelp(group, summary, subcommands);
      return kExitOk;
    }
    return sub->run(ctx, {"--help"});
  }
  const Command* sub = FindIn(subcommands, name);
  if (!sub) {
    ctx.err << "muster: unknown " << group << " subcommand '" << name << "': one of " << choices
            << "\n(try: muster " << group << " --help)\n";
    return kExitUsage;
  }
  return sub->run(ctx, rest);
}

const std::vector<Command>& AllCommands() {
  static const std::vector<Command> kCommands = {
      {"submit", "queue a job: muster submit [flags] -- CMD ARGS...", RunSubmit},
      {"jobs", "list jobs (squeue-like)", RunJobs},
      {"show", "every field of one job", RunShow},
      {"history", "every state change of one job, with its cause", RunHistory},
      {"cancel", "cancel jobs", RunCancel},
      {"logs", "print (or follow) a rank's output", RunLogs},
      {"nodes", "list GPU nodes", RunNodes},
      {"queue", "manage queues: create, update, delete, pause, resume, list", RunQueue},
      {"node", "drain a node (running work finishes, nothing new starts) or resume it", RunNode},
      {"hold", "keep pending jobs from starting", RunHold},
      {"release", "let held jobs start", RunRelease},
      {"requeue", "stop running jobs and queue them again", RunRequeue},
      {"priority", "set a job's priority", RunPriority},
      {"usage", "fair-share standing per queue and team", RunUsage},
      {"model", "retraining templates: register, update, list, show, delete", RunModel},
      {"trigger", "ask for a retrain of a registered model", RunTrigger},
      {"drift", "data drift of a model's input: drift check (PSI, KS)", RunDrift},
      {"keygen", "make a CURVE key pair (yours, a node's or musterd's) for musterd's access file", RunKeygen},
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
  if (inv.command == "help") {  // `muster help [COMMAND [SUBCOMMAND]]`
    if (inv.args.empty()) {
      inv.command.clear();
    } else {
      inv.command = inv.args.front();
      inv.args.erase(inv.args.begin());
    }
    inv.help = true;
  }
  if (inv.command.empty()) {
    ctx.out << TopLevelHelp();
    return kExitOk;
  }
  const Command* command = FindIn(AllCommands(), inv.command);
  if (!command) {
    ctx.err << "muster: unknown command '" << inv.command << "' (try: muster --help)\n";
    return kExitUsage;
  }
  if (inv.help) inv.args.insert(inv.args.begin(), "--help");
  return command->run(ctx, inv.args);
}

}  // namespace muster::cli
