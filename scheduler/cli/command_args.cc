#include "scheduler/cli/command_args.h"

namespace muster::cli {

Positionals::Positionals() {
  hidden.add_options()("args", po::value<std::vector<std::string>>());
  positional.add("args", -1);
}

std::vector<std::string> PositionalArgs(const po::variables_map& vm) {
  return vm.count("args") ? vm["args"].as<std::vector<std::string>>() : std::vector<std::string>{};
}

Parsed<po::variables_map> ParseNoPositionals(const CommandHelp& help, const po::options_description& own,
                                             const std::vector<std::string>& args, GlobalOptions* global) {
  Positionals p;
  auto vm = ParseCommandArgs(help, own, p.hidden, p.positional, args, global);
  if (IsValue(vm)) {
    auto extra = PositionalArgs(std::get<po::variables_map>(vm));
    if (!extra.empty()) return UsageError{"unexpected argument '" + extra[0] + "'"};
  }
  return vm;
}

po::options_description JsonOnly(const char* title) {
  po::options_description d(title);
  d.add_options()("json", "print JSON");
  return d;
}

Parsed<std::vector<JobRef>> JobRefArgs(const po::variables_map& vm) {
  std::vector<JobRef> out;
  for (const std::string& a : PositionalArgs(vm)) {
    auto ref = ParseJobRef(a);
    if (!ref.ok()) return UsageError{ref.status().message()};
    out.push_back(*ref);
  }
  if (out.empty()) return UsageError{"missing job ID"};
  return out;
}

namespace {

// Exactly one job as the positional argument.
Parsed<JobRef> OneJob(const po::variables_map& vm) {
  auto args = PositionalArgs(vm);
  if (args.size() > 1) return UsageError{"unexpected argument '" + args[1] + "'"};
  auto jobs = JobRefArgs(vm);
  if (!IsValue(jobs)) return Forward<JobRef>(jobs);
  return std::get<std::vector<JobRef>>(jobs).front();
}

}  // namespace

const CommandHelp kJobsHelp{"jobs", "[--state S[,S]] [--team T] [--queue Q] [--json]",
                            "List jobs (default: active and recently finished ones). For pending jobs\n"
                            "NODELIST(REASON) says why they wait; TIME is the run time."};
const CommandHelp kShowHelp{"show", "ID [--json]",
                            "Show every field of one job. ID is a job id (42) or an array task (42_7)."};
const CommandHelp kHistoryHelp{
    "history", "ID [--json]",
    "Every state change of one job (42, or array task 42_7), oldest first, with its\n"
    "cause (like sacct)."};
const CommandHelp kCancelHelp{"cancel", "ID...",
                              "Cancel jobs: pending ones end at once, running ones get SIGTERM, "
                              "then SIGKILL after their grace.\nAn array job (42) is cancelled with all its "
                              "tasks; an array task (42_7) alone."};
const CommandHelp kLogsHelp{
    "logs", "ID [--rank R] [-f|--follow]",
    "Print a rank's output (stdout and stderr) of a job (42) or array task (42_7). --follow keeps\n"
    "printing until the job ends."};
const CommandHelp kNodesHelp{"nodes", "[--gpus] [--json]",
                             "List the GPU nodes (--gpus: one row per GPU with its use and health)."};

Parsed<JobsArgs> ParseJobsArgs(const std::vector<std::string>& args, GlobalOptions* global) {
  po::options_description d("Jobs flags");
  // clang-format off
  d.add_options()
      ("state", po::value<std::string>()->value_name("S[,S]"),
       "only these states (PENDING, RUNNING, ... or all)")
      ("team", po::value<std::string>()->value_name("T"), "only this team's jobs")
      ("queue", po::value<std::string>()->value_name("Q"), "only this queue's jobs")
      ("json", "print a JSON array of jobs");
  // clang-format on
  auto vm = ParseNoPositionals(kJobsHelp, d, args, global);
  if (!IsValue(vm)) return Forward<JobsArgs>(vm);
  const auto& v = std::get<po::variables_map>(vm);
  JobsArgs out;
  out.json = v.count("json") > 0;
  if (v.count("state")) {
    auto states = ParseStates(v["state"].as<std::string>());
    if (!states.ok()) return UsageError{states.status().message()};
    out.request.states = std::move(*states);
  }
  if (v.count("team")) out.request.team = v["team"].as<std::string>();
  if (v.count("queue")) out.request.queue = v["queue"].as<std::string>();
  return out;
}

Parsed<ShowArgs> ParseShowArgs(const std::vector<std::string>& args, GlobalOptions* global) {
  return ParseIdAndJson(kShowHelp, args, global);
}

Parsed<ShowArgs> ParseHistoryArgs(const std::vector<std::string>& args, GlobalOptions* global) {
  return ParseIdAndJson(kHistoryHelp, args, global);
}

Parsed<ShowArgs> ParseIdAndJson(const CommandHelp& help, const std::vector<std::string>& args,
                                GlobalOptions* global) {
  Positionals p;
  auto vm = ParseCommandArgs(help, JsonOnly("Flags"), p.hidden, p.positional, args, global);
  if (!IsValue(vm)) return Forward<ShowArgs>(vm);
  const auto& v = std::get<po::variables_map>(vm);
  auto job = OneJob(v);
  if (!IsValue(job)) return Forward<ShowArgs>(job);
  return ShowArgs{std::get<JobRef>(job), v.count("json") > 0};
}

Parsed<CancelArgs> ParseCancelArgs(const std::vector<std::string>& args, GlobalOptions* global) {
  Positionals p;
  po::options_description none("Cancel flags");
  auto vm = ParseCommandArgs(kCancelHelp, none, p.hidden, p.positional, args, global);
  if (!IsValue(vm)) return Forward<CancelArgs>(vm);
  auto jobs = JobRefArgs(std::get<po::variables_map>(vm));
  if (!IsValue(jobs)) return Forward<CancelArgs>(jobs);
  return CancelArgs{std::get<std::vector<JobRef>>(jobs)};
}

Parsed<LogsArgs> ParseLogsArgs(const std::vector<std::string>& args, GlobalOptions* global) {
  Positionals p;
  po::options_description d("Logs flags");
  // clang-format off
  d.add_options()
      ("rank", po::value<int32_t>()->value_name("R")->default_value(0), "which rank")
      ("follow,f", "keep printing new output until the job has finished");
  // clang-format on
  auto vm = ParseCommandArgs(kLogsHelp, d, p.hidden, p.positional, args, global);
  if (!IsValue(vm)) return Forward<LogsArgs>(vm);
  const auto& v = std::get<po::variables_map>(vm);
  auto job = OneJob(v);
  if (!IsValue(job)) return Forward<LogsArgs>(job);
  LogsArgs out{std::get<JobRef>(job), v["rank"].as<int32_t>(), v.count("follow") > 0};
  if (out.rank < 0) return UsageError{"--rank cannot be negative"};
  return out;
}

Parsed<NodesArgs> ParseNodesArgs(const std::vector<std::string>& args, GlobalOptions* global) {
  po::options_description d("Nodes flags");
  d.add_options()("gpus", "one row per GPU: model, memory, utilization, health, NVLink peers")(
      "json", "print a JSON array (GPUs with all their fields)");
  auto vm = ParseNoPositionals(kNodesHelp, d, args, global);
  if (!IsValue(vm)) return Forward<NodesArgs>(vm);
  const auto& m = std::get<po::variables_map>(vm);
  return NodesArgs{m.count("json") > 0, m.count("gpus") > 0};
}

}  // namespace muster::cli
