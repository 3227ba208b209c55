#include "scheduler/cli/ops_args.h"

#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>

#include "common/base/job_spec.h"
#include "common/base/strings.h"
#include "scheduler/cli/command_args.h"

namespace muster::cli {
namespace {

// Exactly `names.size()` positional arguments, named in the messages.
Parsed<std::vector<std::string>> ExactPositionals(const po::variables_map& vm,
                                                  const std::vector<std::string>& names) {
  auto args = PositionalArgs(vm);
  if (args.size() < names.size()) return UsageError{"missing " + names[args.size()]};
  if (args.size() > names.size()) return UsageError{"unexpected argument '" + args[names.size()] + "'"};
  return args;
}

// Parses with no flags of its own and returns the single positional NAME.
Parsed<std::string> OneName(const CommandHelp& help, const char* what, const std::vector<std::string>& args,
                            GlobalOptions* global) {
  Positionals p;
  po::options_description none("Flags");
  auto vm = ParseCommandArgs(help, none, p.hidden, p.positional, args, global);
  if (!IsValue(vm)) return Forward<std::string>(vm);
  auto pos = ExactPositionals(std::get<po::variables_map>(vm), {what});
  if (!IsValue(pos)) return Forward<std::string>(pos);
  return std::get<std::vector<std::string>>(pos)[0];
}

Status CheckQueueName(const std::string& name) {
  if (IsValidName(name)) return Status::Ok();
  return Status::InvalidArgument("bad queue name '" + name + "': 1-64 of letters, digits, . _ -");
}

Result<int32_t> ParseInt32(const std::string& flag, const std::string& s, int32_t min, const char* what) {
  int32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < min)
    return Status::InvalidArgument("bad --" + flag + " '" + s + "': " + what);
  return v;
}

po::options_description QueueOptions(bool create) {
  po::options_description d(create ? "Queue flags" : "Queue flags (only those given change)");
  // clang-format off
  d.add_options()
      ("weight", po::value<std::string>()->value_name("W"),
       create ? "fair-share weight, a number > 0 (default 1)" : "fair-share weight, a number > 0")
      ("guaranteed", po::value<std::string>()->value_name("G"),
       create ? "GPUs guaranteed to the queue (default 0)" : "GPUs guaranteed to the queue")
      ("max", po::value<std::string>()->value_name("M"),
       create ? "most GPUs the queue may use, borrowing included, or none (default none)"
              : "most GPUs the queue may use, borrowing included, or none")
      ("tier", po::value<std::string>()->value_name("T"),
       create ? "priority tier: higher goes first and may preempt lower (default 0)"
              : "priority tier: higher goes first and may preempt lower")
      ("default-time-limit", po::value<std::string>()->value_name("DUR"),
       create ? "time limit of jobs that give none, e.g. 4h, or none (default none)"
              : "time limit of jobs that give none, e.g. 4h, or none")
      ("default-window", po::value<std::string>()->value_name("W"),
       create ? "anytime | offpeak | offpeak-preferred (default anytime)"
              : "anytime | offpeak | offpeak-preferred")
      ("paused", create ? "create it paused: jobs queue but none starts" : "pause it (queue resume undoes)");
  // clang-format on
  return d;
}

// Applies the queue flags given in `vm` to `put`, setting their field bits.
Status FillQueue(const po::variables_map& vm, wire::PutQueue* put) {
  QueueSpec& q = put->spec;
  auto given = [&](const char* flag) { return vm.count(flag) > 0; };
  auto value = [&](const char* flag) { return vm[flag].as<std::string>(); };
  if (given("weight")) {
    const std::string s = value("weight");
    double w = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), w);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(w) || w <= 0)
      return Status::InvalidArgument("bad --weight '" + s + "': a number > 0, e.g. 1 or 2.5");
    q.weight = w;
    put->fields |= wire::kQueueWeight;
  }
  if (given("guaranteed")) {
    auto g = ParseInt32("guaranteed", value("guaranteed"), 0, "a number of GPUs, 0 or more");
    if (!g.ok()) return g.status();
    q.guaranteed_gpus = *g;
    put->fields |= wire::kQueueGuaranteed;
  }
  if (given("max")) {
    const std::string s = value("max");
    if (ToLower(s) == "none") {
      q.max_gpus = -1;
    } else {
      auto m = ParseInt32("max", s, -1, "a number of GPUs, 0 or more, or none (-1) for no cap");
      if (!m.ok()) return m.status();
      q.max_gpus = *m;
    }
    put->fields |= wire::kQueueMax;
  }
  if (given("tier")) {
    auto t = ParseInt32("tier", value("tier"), INT32_MIN, "a whole number, e.g. 0 or 10");
    if (!t.ok()) return t.status();
    q.tier = *t;
    put->fields |= wire::kQueueTier;
  }
  if (given("default-time-limit")) {
    const std::string s = value("default-time-limit");
    if (ToLower(s) == "none") {
      q.default_time_limit = 0;
    } else {
      auto d = ParseDuration(s);
      if (!d.ok()) return Status::InvalidArgument("--default-time-limit: " + d.status().message());
      q.default_time_limit = *d;
    }
    put->fields |= wire::kQueueDefaultTimeLimit;
  }
  if (given("default-window")) {
    auto w = ParseWindow(value("default-window"));
    if (!w)
      return Status::InvalidArgument("bad --default-window '" + value("default-window") +
                                     "': anytime, offpeak or offpeak-preferred");
    q.default_window = *w;
    put->fields |= wire::kQueueDefaultWindow;
  }
  if (given("paused")) {
    q.paused = true;
    put->fields |= wire::kQueuePaused;
  }
  return Status::Ok();
}

constexpr uint32_t kAllQueueFields = wire::kQueueWeight | wire::kQueueGuaranteed | wire::kQueueMax |
                                     wire::kQueueTier | wire::kQueueDefaultTimeLimit |
                                     wire::kQueueDefaultWindow | wire::kQueuePaused;

// Boost reads "-5" as a flag. Commands whose only flags are --help and the
// global ones can say exactly which words are positional: everything that is
// not a flag or a global flag's value. They go after "--", in order.
std::vector<std::string> PositionalsAfterDashDash(const std::vector<std::string>& args) {
  std::vector<std::string> flags, positionals;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      positionals.insert(positionals.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    bool number = a.size() > 1 && a[0] == '-' && std::isdigit(static_cast<unsigned char>(a[1]));
    if (a.size() > 1 && a[0] == '-' && !number) {
      flags.push_back(a);
      if ((a == "--scheduler" || a == "--timeout-ms") && i + 1 < args.size()) flags.push_back(args[++i]);
      continue;
    }
    positionals.push_back(a);
  }
  flags.push_back("--");
  flags.insert(flags.end(), positionals.begin(), positionals.end());
  return flags;
}

}  // namespace

const CommandHelp kQueueCreateHelp{
    "queue create",
    "NAME [--weight W] [--guaranteed G] [--max M] [--tier T] [--default-time-limit DUR] "
    "[--default-window W] [--paused]",
    "Create a queue. Jobs choose it with `muster submit --queue NAME`."};
const CommandHelp kQueueUpdateHelp{
    "queue update",
    "NAME [--weight W] [--guaranteed G] [--max M] [--tier T] [--default-time-limit DUR] "
    "[--default-window W] [--paused]",
    "Change a queue's settings: only the flags given change."};
const CommandHelp kQueueDeleteHelp{"queue delete", "NAME",
                                   "Delete a queue that has no active jobs (not the default queue)."};
const CommandHelp kQueuePauseHelp{"queue pause", "NAME",
                                  "Pause a queue: its jobs stay queued but none starts; running ones go on."};
const CommandHelp kQueueResumeHelp{"queue resume", "NAME", "Resume a paused queue."};
const CommandHelp kQueueListHelp{"queue list", "[--json]",
                                 "List the queues with their settings, jobs, GPUs in use and decayed usage."};
const CommandHelp kNodeDrainHelp{"node drain", "NAME",
                                 "Drain a node: no new work starts on it; running work finishes."};
const CommandHelp kNodeResumeHelp{"node resume", "NAME", "Return a drained node to service."};
const CommandHelp kHoldHelp{"hold", "ID...",
                            "Hold pending jobs (42, or array task 42_7): they do not start until released."};
const CommandHelp kReleaseHelp{"release", "ID...", "Release held jobs (42, or array task 42_7)."};
const CommandHelp kRequeueHelp{
    "requeue", "ID...",
    "Stop running jobs (42, or array task 42_7) (SIGTERM, then SIGKILL after their "
    "grace) and queue them again."};
const CommandHelp kPriorityHelp{
    "priority", "ID P",
    "Set the priority of a job (42, or array task 42_7): higher runs first within "
    "its queue; may be negative."};
const CommandHelp kUsageHelp{"usage", "[--json]",
                             "Fair-share standing: decayed GPU-hours per queue and per team, and each one's "
                             "share of the total."};

Parsed<wire::PutQueue> ParseQueuePutArgs(bool create, const std::vector<std::string>& args,
                                         GlobalOptions* global) {
  Positionals p;
  auto vm = ParseCommandArgs(create ? kQueueCreateHelp : kQueueUpdateHelp, QueueOptions(create), p.hidden,
                             p.positional, args, global);
  if (!IsValue(vm)) return Forward<wire::PutQueue>(vm);
  const auto& v = std::get<po::variables_map>(vm);
  auto pos = ExactPositionals(v, {"queue NAME"});
  if (!IsValue(pos)) return Forward<wire::PutQueue>(pos);
  wire::PutQueue put;
  put.create = create;
  put.spec.name = std::get<std::vector<std::string>>(pos)[0];
  if (Status st = CheckQueueName(put.spec.name); !st.ok()) return UsageError{st.message()};
  if (Status st = FillQueue(v, &put); !st.ok()) return UsageError{st.message()};
  if (create) {
    put.fields = kAllQueueFields;  // a new queue is all of its spec
  } else if (put.fields == 0) {
    return UsageError{
        "nothing to update: give at least one of --weight, --guaranteed, --max, --tier, "
        "--default-time-limit, --default-window, --paused"};
  }
  return put;
}

Parsed<wire::PutQueue> ParseQueuePauseArgs(bool pause, const std::vector<std::string>& args,
                                           GlobalOptions* global) {
  auto name = OneName(pause ? kQueuePauseHelp : kQueueResumeHelp, "queue NAME", args, global);
  if (!IsValue(name)) return Forward<wire::PutQueue>(name);
  wire::PutQueue put;
  put.spec.name = std::get<std::string>(name);
  if (Status st = CheckQueueName(put.spec.name); !st.ok()) return UsageError{st.message()};
  put.spec.paused = pause;
  put.fields = wire::kQueuePaused;
  return put;
}

Parsed<wire::DeleteQueue> ParseQueueDeleteArgs(const std::vector<std::string>& args, GlobalOptions* global) {
  auto name = OneName(kQueueDeleteHelp, "queue NAME", args, global);
  if (!IsValue(name)) return Forward<wire::DeleteQueue>(name);
  if (Status st = CheckQueueName(std::get<std::string>(name)); !st.ok()) return UsageError{st.message()};
  return wire::DeleteQueue{std::get<std::string>(name)};
}

Parsed<ListArgs> ParseQueueListArgs(const std::vector<std::string>& args, GlobalOptions* global) {
  auto vm = ParseNoPositionals(kQueueListHelp, JsonOnly("Queue list flags"), args, global);
  if (!IsValue(vm)) return Forward<ListArgs>(vm);
  return ListArgs{std::get<po::variables_map>(vm).count("json") > 0};
}

Parsed<ListArgs> ParseUsageArgs(const std::vector<std::string>& args, GlobalOptions* global) {
  auto vm = ParseNoPositionals(kUsageHelp, JsonOnly("Usage flags"), args, global);
  if (!IsValue(vm)) return Forward<ListArgs>(vm);
  return ListArgs{std::get<po::variables_map>(vm).count("json") > 0};
}

Parsed<wire::NodeAction> ParseNodeActionArgs(wire::NodeOp op, const std::vector<std::string>& args,
                                             GlobalOptions* global) {
  auto name =
      OneName(op == wire::NodeOp::kDrain ? kNodeDrainHelp : kNodeResumeHelp, "node NAME", args, global);
  if (!IsValue(name)) return Forward<wire::NodeAction>(name);
  return wire::NodeAction{std::get<std::string>(name), op};
}

Parsed<std::vector<JobRef>> ParseJobActionArgs(wire::JobOp op, const std::vector<std::string>& args,
                                               GlobalOptions* global) {
  const CommandHelp& help = op == wire::JobOp::kHold      ? kHoldHelp
                            : op == wire::JobOp::kRelease ? kReleaseHelp
                                                          : kRequeueHelp;
  Positionals p;
  po::options_description none("Flags");
  auto vm = ParseCommandArgs(help, none, p.hidden, p.positional, args, global);
  if (!IsValue(vm)) return Forward<std::vector<JobRef>>(vm);
  return JobRefArgs(std::get<po::variables_map>(vm));
}

Parsed<PriorityArgs> ParsePriorityArgs(const std::vector<std::string>& args, GlobalOptions* global) {
  Positionals p;
  po::options_description none("Flags");
  auto vm =
      ParseCommandArgs(kPriorityHelp, none, p.hidden, p.positional, PositionalsAfterDashDash(args), global);
  if (!IsValue(vm)) return Forward<PriorityArgs>(vm);
  auto pos = ExactPositionals(std::get<po::variables_map>(vm), {"job ID", "priority P"});
  if (!IsValue(pos)) return Forward<PriorityArgs>(pos);
  const auto& words = std::get<std::vector<std::string>>(pos);
  auto job = ParseJobRef(words[0]);
  if (!job.ok()) return UsageError{job.status().message()};
  const std::string& s = words[1];
  int32_t priority = 0;
  bool plus = s.size() > 1 && s[0] == '+' && std::isdigit(static_cast<unsigned char>(s[1]));
  auto [end, ec] = std::from_chars(s.data() + (plus ? 1 : 0), s.data() + s.size(), priority);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size())
    return UsageError{"bad priority '" + s + "': a whole number, e.g. 10 or -5"};
  return PriorityArgs{*job, priority};
}

}  // namespace muster::cli
