#include "scheduler/cli/args.h"

#include <algorithm>
#include <charconv>
#include <sstream>

#include "common/base/strings.h"

namespace muster::cli {
namespace {

constexpr int kMaxTimeoutMs = 24 * 3600 * 1000;

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool IsGlobalFlag(std::string_view name) {
  return name == "scheduler" || name == "timeout-ms" || name == "key" || name == "server-key";
}

// Applies one global flag's value; InvalidArgument says what is wrong with it.
Status ApplyGlobal(std::string_view name, const std::string& value, GlobalOptions* global) {
  if (name == "scheduler") {
    if (value.empty())
      return Status::InvalidArgument("--scheduler needs an endpoint, e.g. tcp://127.0.0.1:7600");
    global->scheduler = value;
    return Status::Ok();
  }
  if (name == "key" || name == "server-key") {
    if (value.empty()) return Status::InvalidArgument("--" + std::string(name) + " needs a key file");
    (name == "key" ? global->key_file : global->server_key_file) = value;
    return Status::Ok();
  }
  int ms = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
  if (ec != std::errc() || p != value.data() + value.size() || ms <= 0 || ms > kMaxTimeoutMs)
    return Status::InvalidArgument("bad --timeout-ms '" + value + "': a number of milliseconds, 1.." +
                                   std::to_string(kMaxTimeoutMs));
  global->timeout_ms = ms;
  return Status::Ok();
}

// Rewrites `--flag -value` as `--flag=-value` for flags that take a value, so
// that a value starting with '-' is not mistaken for a flag.
std::vector<std::string> GlueValues(const std::vector<std::string>& args,
                                    const po::options_description& desc) {
  std::vector<std::string> out;
  out.reserve(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (a.size() > 2 && StartsWith(a, "--") && a.find('=') == std::string::npos && i + 1 < args.size() &&
        StartsWith(args[i + 1], "-")) {
      const po::option_description* d = desc.find_nothrow(a.substr(2), /*approx=*/false);
      if (d && d->semantic()->max_tokens() > 0) {
        out.push_back(a + "=" + args[++i]);
        continue;
      }
    }
    out.push_back(a);
  }
  return out;
}

std::string CommandHelpText(const CommandHelp& help, const po::options_description& own) {
  std::ostringstream os;
  os << "usage: muster " << help.name << (help.synopsis.empty() ? "" : " ") << help.synopsis << "\n\n"
     << help.summary << "\n\n";
  if (!own.options().empty()) os << own << "\n";
  os << GlobalOptionsDescription();
  return os.str();
}

}  // namespace

GlobalOptions DefaultGlobalOptions(const char* env_scheduler) {
  GlobalOptions g;
  g.scheduler = env_scheduler && *env_scheduler ? env_scheduler : kDefaultScheduler;
  return g;
}

po::options_description GlobalOptionsDescription(bool with_version) {
  po::options_description d("Global flags (before or after the command)");
  // clang-format off
  d.add_options()
      ("scheduler", po::value<std::string>()->value_name("ENDPOINT"),
       "musterd endpoint (default: $MUSTER_SCHEDULER, else tcp://127.0.0.1:7600)")
      ("timeout-ms", po::value<std::string>()->value_name("MS"),
       "how long to wait for each reply (default 5000)")
      ("key", po::value<std::string>()->value_name("FILE"),
       "your key pair (default: $MUSTER_KEY, else ~/.config/muster/user.key; make one with muster keygen)")
      ("server-key", po::value<std::string>()->value_name("FILE"),
       "musterd's public key (default: $MUSTER_SERVER_KEY, else ~/.config/muster/server.pub, "
       "else /etc/muster/server.pub)")
      ("insecure", po::bool_switch(), "no keys: only against musterd --insecure (or MUSTER_INSECURE=1)")
      ("help,h", "show this help");
  // clang-format on
  if (with_version) d.add_options()("version", "print the version");
  return d;
}

Parsed<Invocation> ParseInvocation(const std::vector<std::string>& args, GlobalOptions defaults) {
  Invocation inv;
  inv.global = std::move(defaults);
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      inv.help = true;
      continue;
    }
    if (a == "--version") {
      inv.version = true;
      continue;
    }
    if (a == "--insecure") {
      inv.global.insecure = true;
      continue;
    }
    if (StartsWith(a, "--") && a.size() > 2) {
      auto eq = a.find('=');
      std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (!IsGlobalFlag(name)) return UsageError{"unknown flag '" + a + "'"};
      std::string value;
      if (eq != std::string::npos) {
        value = a.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return UsageError{"flag '--" + name + "' needs a value"};
      }
      if (Status st = ApplyGlobal(name, value, &inv.global); !st.ok()) return UsageError{st.message()};
      continue;
    }
    if (StartsWith(a, "-") && a.size() > 1) return UsageError{"unknown flag '" + a + "'"};
    break;
  }
  if (i < args.size()) {
    inv.command = args[i];
    inv.args.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
  } else if (!inv.help && !inv.version) {
    return UsageError{"no command given"};
  }
  return inv;
}

Parsed<po::variables_map> ParseCommandArgs(const CommandHelp& help, const po::options_description& visible,
                                           const po::options_description& hidden,
                                           const po::positional_options_description& positional,
                                           const std::vector<std::string>& args, GlobalOptions* global) {
  po::options_description all;
  all.add(visible).add(hidden).add(GlobalOptionsDescription());
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(GlueValues(args, all)).options(all).positional(positional).run(), vm);
    if (vm.count("help")) return Help{CommandHelpText(help, visible)};
    po::notify(vm);
  } catch (const po::error& e) {
    return UsageError{e.what()};
  }
  if (vm.count("insecure") && vm["insecure"].as<bool>()) global->insecure = true;
  for (const char* name : {"scheduler", "timeout-ms", "key", "server-key"}) {
    if (!vm.count(name)) continue;
    if (Status st = ApplyGlobal(name, vm[name].as<std::string>(), global); !st.ok())
      return UsageError{st.message()};
  }
  return vm;
}

Result<JobId> ParseJobId(std::string_view s) {
  JobId id = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || id == kNoJob)
    return Status::InvalidArgument("bad job id '" + std::string(s) + "': a positive number, e.g. 42");
  return id;
}

Result<JobRef> ParseJobRef(std::string_view s) {
  auto bad = [&] {
    return Status::InvalidArgument("bad job id '" + std::string(s) +
                                   "': a positive number (42) or an array task (42_7)");
  };
  auto underscore = s.find('_');
  auto id = ParseJobId(s.substr(0, underscore));
  if (!id.ok()) return bad();
  if (underscore == std::string_view::npos) return JobRef{*id, -1};
  std::string_view index = s.substr(underscore + 1);
  int32_t task = -1;
  auto [p, ec] = std::from_chars(index.data(), index.data() + index.size(), task);
  if (index.empty() || ec != std::errc() || p != index.data() + index.size() || task < 0) return bad();
  return JobRef{*id, task};
}

std::string JobRefText(const JobRef& ref) {
  return std::to_string(ref.id) + (ref.task >= 0 ? "_" + std::to_string(ref.task) : "");
}

Result<std::vector<JobRef>> ParseAfter(std::string_view s) {
  std::vector<JobRef> out;
  auto add = [&](std::string_view item) -> Status {
    auto ref = ParseJobRef(item);
    if (!ref.ok())
      return Status::InvalidArgument("bad dependency '" + std::string(s) +
                                     "': use ID (or array task ID_T), afterok:ID or a comma list");
    if (std::find(out.begin(), out.end(), *ref) == out.end()) out.push_back(*ref);
    return Status::Ok();
  };
  for (const std::string& item : Split(s, ',')) {
    auto colon = item.find(':');
    if (colon == std::string::npos) {
      MUSTER_RETURN_IF_ERROR(add(item));
      continue;
    }
    std::string type = item.substr(0, colon);
    if (ToLower(type) != "afterok")
      return Status::InvalidArgument("unsupported dependency type '" + type + "' in '" + std::string(s) +
                                     "': only afterok is supported");
    for (const std::string& id : Split(std::string_view(item).substr(colon + 1), ':'))
      MUSTER_RETURN_IF_ERROR(add(id));
  }
  return out;
}

Result<EnvVar> ParseEnvVar(std::string_view s) {
  auto eq = s.find('=');
  if (eq == std::string_view::npos || eq == 0)
    return Status::InvalidArgument("bad --env '" + std::string(s) + "': use NAME=VALUE");
  return EnvVar{std::string(s.substr(0, eq)), std::string(s.substr(eq + 1))};
}

Result<std::vector<JobState>> ParseStates(std::string_view s) {
  std::vector<JobState> out;
  for (const std::string& item : Split(s, ',')) {
    if (ToLower(item) == "all") {
      for (int i = 0; i <= static_cast<int>(JobState::kNodeFail); ++i)
        out.push_back(static_cast<JobState>(i));
      continue;
    }
    auto st = ParseJobState(item);
    if (!st)
      return Status::InvalidArgument("bad state '" + item +
                                     "': one of PENDING, STARTING, RUNNING, COMPLETED, FAILED, CANCELLED, "
                                     "TIMEOUT, PREEMPTED, NODE_FAIL, all");
    out.push_back(*st);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<Time> ParseDeadline(std::string_view s, Time now) {
  if (auto t = ParseRfc3339(s); t.ok()) return *t;
  if (auto d = ParseDuration(s); d.ok()) {
    if (*d <= 0)
      return Status::InvalidArgument("bad --deadline '" + std::string(s) + "': it must be in the future");
    return now + *d;
  }
  return Status::InvalidArgument(
      "bad --deadline '" + std::string(s) +
      "': an RFC 3339 time (2026-11-27T20:00:00Z) or a duration from now (12h, 1d)");
}

}  // namespace muster::cli
