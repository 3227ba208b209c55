// Command-line parsing shared by every command: the global flags, the
// per-command Boost.Program_options wrapper, and small value parsers. Pure
// functions of their arguments (tested in tests/cli).
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "muster/status.h"
#include "muster/types.h"
#include "scheduler/cli/context.h"

namespace muster::cli {

namespace po = boost::program_options;

constexpr const char* kDefaultScheduler = "tcp://127.0.0.1:7600";

// Parsing ends in a value to run with, help to print (exit 0), or a usage
// error (exit 2).
struct Help {
  std::string text;
};
struct UsageError {
  std::string message;
};
template <typename T>
using Parsed = std::variant<T, Help, UsageError>;

template <typename T>
bool IsValue(const Parsed<T>& p) {
  return std::holds_alternative<T>(p);
}
// Carries a Help or UsageError over to another Parsed type.
template <typename To, typename From>
Parsed<To> Forward(const Parsed<From>& p) {
  if (auto* h = std::get_if<Help>(&p)) return *h;
  return std::get<UsageError>(p);
}

// Defaults before any flag: `env_scheduler` is $MUSTER_SCHEDULER (may be null).
GlobalOptions DefaultGlobalOptions(const char* env_scheduler);

// `muster [global flags] <command> [args...]`. The global flags before the
// command are applied here; `command` is empty when only help was asked for.
struct Invocation {
  GlobalOptions global;
  bool help = false;
  bool version = false;
  std::string command;
  std::vector<std::string> args;  // after the command, untouched
};
Parsed<Invocation> ParseInvocation(const std::vector<std::string>& args, GlobalOptions defaults);

// The global flags as a Boost description, for help texts.
po::options_description GlobalOptionsDescription(bool with_version = false);

// How a command presents itself in its --help.
struct CommandHelp {
  std::string name;      // "submit"
  std::string synopsis;  // "[flags] -- CMD ARGS..."
  std::string summary;   // one line
};

// Parses a command's arguments against its own flags (`visible` ones are in
// its --help, `hidden` ones back the positional arguments) plus --help and the
// global flags (which may follow the command; they update *global).
// `--flag value` always takes the next token as the value, even when it
// starts with '-' (`--priority -5`), as getopt does.
Parsed<po::variables_map> ParseCommandArgs(const CommandHelp& help, const po::options_description& visible,
                                           const po::options_description& hidden,
                                           const po::positional_options_description& positional,
                                           const std::vector<std::string>& args, GlobalOptions* global);

// "42" -> 42; anything else (0, "x", "-1", "42x") is InvalidArgument.
Result<JobId> ParseJobId(std::string_view s);

// A job as a user names it on the command line: "42", or "42_7" for task 7
// of array job 42 (Slurm's form). Which job a task is only musterd knows
// (ResolveJobRef in job_refs.h).
struct JobRef {
  JobId id = kNoJob;  // the job, or for a task its array job
  int32_t task = -1;  // >= 0: that task of array job `id`
  bool operator==(const JobRef&) const = default;
};
// "42" or "42_7"; anything else ("42_x", "_7", "42_-1", "42_") is
// InvalidArgument.
Result<JobRef> ParseJobRef(std::string_view s);
// "42" or "42_7", as parsed; also how `muster jobs` shows array tasks.
std::string JobRefText(const JobRef& ref);
// "7", "afterok:7", "afterok:7:8", "7,8", "afterok:7,afterok:8"; any id may
// be an array task ("afterok:42_7").
Result<std::vector<JobRef>> ParseAfter(std::string_view s);
// "K=V" (V may be empty or hold '=').
Result<EnvVar> ParseEnvVar(std::string_view s);
// "RUNNING,pending" (also "all").
Result<std::vector<JobState>> ParseStates(std::string_view s);

// `--deadline`: an RFC 3339 time, or a duration from `now` ("12h").
Result<Time> ParseDeadline(std::string_view s, Time now);

}  // namespace muster::cli
