#include "scheduler/cli/submit_args.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "common/base/job_spec.h"
#include "common/base/strings.h"

namespace muster::cli {
namespace {

// What `submit` adds to the template flags: one-off facts of a single job.
po::options_description SubmitOnlyOptions() {
  po::options_description d("Submit flags");
  // clang-format off
  d.add_options()
      ("after", po::value<std::vector<std::string>>()->value_name("ID")->composing(),
       "start after job ID (or array task ID_T) completed successfully: ID, afterok:ID or a comma list; "
       "repeatable")
      ("deadline", po::value<std::string>()->value_name("TIME"),
       "when the job must be done by: an RFC 3339 time (2026-11-27T20:00:00Z) or a duration from now (12h)")
      ("hold", "submit held: it waits until `muster release ID`")
      ("export", po::value<std::string>()->value_name("WHAT")->default_value("ALL"),
       "your environment for the ranks, as sbatch --export: ALL, NONE or VAR,VAR=value,... (--env wins)")
      ("array", po::value<std::string>()->value_name("SPEC"),
       "a job array: task indices N, N-M or a comma list, optionally %K to run at most K at once "
       "(e.g. 0-99%8)")
      ("json", "print {\"id\": ID}");
  // clang-format on
  return d;
}

std::string AbsoluteDir(const std::string& dir, const std::string& cwd) {
  std::filesystem::path p(dir);
  if (p.is_relative()) p = std::filesystem::path(cwd) / p;
  std::string out = p.lexically_normal().string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

int32_t ClampSeconds(Duration d) { return static_cast<int32_t>(std::min<Duration>(d / kSecond, INT32_MAX)); }

std::vector<std::string> Strings(const po::variables_map& vm, const char* flag) {
  return vm.count(flag) ? vm[flag].as<std::vector<std::string>>() : std::vector<std::string>{};
}

// The submit-only flags; InvalidArgument for a value no spec can hold.
Status FillSubmitOnly(const po::variables_map& vm, Time now, SubmitArgs* out) {
  JobSpec* spec = &out->spec;
  std::vector<JobRef> after;
  for (const auto& s : Strings(vm, "after")) {
    auto refs = ParseAfter(s);
    if (!refs.ok()) return refs.status();
    for (const JobRef& ref : *refs)
      if (std::find(after.begin(), after.end(), ref) == after.end()) after.push_back(ref);
  }
  for (const JobRef& ref : after) {
    if (ref.task >= 0)
      out->after_tasks.push_back(ref);
    else
      spec->after.push_back(ref.id);
  }
  if (vm.count("deadline")) {
    auto t = ParseDeadline(vm["deadline"].as<std::string>(), now);
    if (!t.ok()) return t.status();
    spec->deadline = *t;
  }
  spec->hold = vm.count("hold") > 0;
  if (vm.count("array")) {
    // The grammar is musterd's (ParseArraySpec); checked here so a typo is a usage error.
    auto array = ParseArraySpec(vm["array"].as<std::string>());
    if (!array.ok()) return array.status();
    spec->array = vm["array"].as<std::string>();
  }
  return Status::Ok();
}

std::string EnvNames(const std::vector<EnvVar>& env) {
  std::vector<std::string> names;
  for (const EnvVar& v : env) names.push_back(v.name);
  return names.empty() ? "none" : Join(names, ", ");
}

// --env adds or replaces variables, --unset-env removes them. Naming one
// variable in both is ambiguous, so it is refused rather than ordered.
Status ApplyEnvFlags(const po::variables_map& vm, std::vector<EnvVar>* env) {
  std::vector<EnvVar> sets;
  for (const auto& s : Strings(vm, "env")) {
    auto var = ParseEnvVar(s);
    if (!var.ok()) return var.status();
    sets.push_back(std::move(*var));
  }
  auto named = [](const std::string& name) { return [&name](const EnvVar& v) { return v.name == name; }; };
  const std::vector<std::string> given_unsets = Strings(vm, "unset-env");
  const std::set<std::string> unsets(given_unsets.begin(), given_unsets.end());  // twice is once
  // Usage mistakes first: they do not depend on the template at hand.
  for (const auto& name : unsets) {
    if (name.empty() || name.find('=') != std::string::npos)
      return Status::InvalidArgument("bad --unset-env '" + name + "': give the variable's NAME only");
    if (std::any_of(sets.begin(), sets.end(), named(name)))
      return Status::InvalidArgument("--env and --unset-env both name " + name + ": give one");
  }
  for (const auto& name : unsets)
    if (std::none_of(env->begin(), env->end(), named(name)))
      return Status::NotFound("--unset-env " + name + ": the template sets no variable " + name +
                              " (it sets: " + EnvNames(*env) + ")");
  std::erase_if(*env, [&](const EnvVar& v) { return unsets.count(v.name) > 0; });
  for (EnvVar& var : sets) {
    auto same = std::find_if(env->begin(), env->end(), named(var.name));
    if (same != env->end())
      *same = std::move(var);
    else
      env->push_back(std::move(var));
  }
  return Status::Ok();
}

}  // namespace

po::options_description TemplateUpdateOptions() {
  po::options_description d("Update flags");
  // clang-format off
  d.add_options()
      ("no-preemptible", "may no longer be preempted (undoes --preemptible)")
      ("unset-env", po::value<std::vector<std::string>>()->value_name("NAME")->composing(),
       "remove environment variable NAME; repeatable");
  // clang-format on
  return d;
}

po::options_description JobTemplateOptions() {
  po::options_description d("Job flags");
  // clang-format off
  d.add_options()
      ("name", po::value<std::string>()->value_name("N"), "job name (default: the command's base name)")
      ("team", po::value<std::string>()->value_name("T"),
       "owning team, one of yours (default: your first team in musterd's access file)")
      ("queue", po::value<std::string>()->value_name("Q")->default_value("default"), "queue")
      ("gpus", po::value<int32_t>()->value_name("G"),
       "total GPUs; the scheduler picks the shape with the fewest nodes (default 1)")
      ("nodes", po::value<int32_t>()->value_name("N"), "number of nodes (with --gpus-per-node)")
      ("gpus-per-node", po::value<int32_t>()->value_name("G"), "GPUs on each node (with --nodes)")
      ("priority", po::value<int32_t>()->value_name("P")->default_value(0), "higher runs first within a queue")
      ("time-limit", po::value<std::string>()->value_name("DUR"),
       "walltime: 90s, 10m, 2h, 1d, 1h30m or HH:MM:SS (default: none)")
      ("env", po::value<std::vector<std::string>>()->value_name("K=V")->composing(),
       "environment variable for every rank; repeatable")
      ("workdir", po::value<std::string>()->value_name("D"), "working directory (default: the current one)")
      ("max-restarts", po::value<int32_t>()->value_name("K")->default_value(3),
       "requeues after preemption or node failure")
      ("grace", po::value<std::string>()->value_name("DUR")->default_value("30s"),
       "time between SIGTERM and SIGKILL when preempted or cancelled")
      ("preemptible", "may be preempted by higher-priority work")
      ("window", po::value<std::string>()->value_name("W"),
       "anytime | offpeak | offpeak-preferred (default: the queue's default window)")
      ("window-may-overrun", "a window job may start even when its time limit outlasts the window")
      ("topology", po::value<std::string>()->value_name("T")->default_value("any"),
       "where the gang's nodes must sit: same-node | same-switch | same-rack | any")
      ("ranks-per-node", po::value<std::string>()->value_name("R")->default_value("gpus"),
       "gpus (one process per GPU) | 1 (one launcher per node, e.g. torchrun)");
  // clang-format on
  return d;
}

Status FillTemplateSpec(const po::variables_map& vm, const SubmitDefaults& defaults, JobSpec* spec) {
  spec->user = defaults.user;
  // No --team: musterd decides (the caller's first team; the user's name
  // without keys), never the client.
  spec->workdir = defaults.cwd;
  if (!spec->argv.empty()) spec->name = std::filesystem::path(spec->argv[0]).filename().string();
  spec->total_gpus = 1;
  return ApplyTemplateFlags(vm, defaults.cwd, spec);
}

Status ApplyTemplateFlags(const po::variables_map& vm, const std::string& cwd, JobSpec* spec) {
  auto given = [&](const char* flag) { return vm.count(flag) > 0; };
  auto text = [&](const char* flag) { return vm[flag].as<std::string>(); };
  auto int32 = [&](const char* flag) { return vm[flag].as<int32_t>(); };
  if (given("team")) spec->team = text("team");
  if (given("queue")) spec->queue = text("queue");
  if (given("workdir")) spec->workdir = AbsoluteDir(text("workdir"), cwd);
  if (given("name")) spec->name = text("name");
  if (given("gpus") || given("nodes") || given("gpus-per-node")) {  // a shape replaces the old one whole
    spec->total_gpus = given("gpus") ? int32("gpus") : 0;
    spec->nodes = given("nodes") ? int32("nodes") : 0;
    spec->gpus_per_node = given("gpus-per-node") ? int32("gpus-per-node") : 0;
  }
  if (given("priority")) spec->priority = int32("priority");
  if (given("max-restarts")) spec->max_restarts = int32("max-restarts");
  if (given("preemptible") && given("no-preemptible"))
    return Status::InvalidArgument("give --preemptible or --no-preemptible, not both");
  if (given("preemptible")) spec->preemptible = true;
  if (given("no-preemptible")) spec->preemptible = false;
  if (given("time-limit")) {
    auto d = ParseDuration(text("time-limit"));
    if (!d.ok()) return Status::InvalidArgument("--time-limit: " + d.status().message());
    spec->time_limit = *d;
  }
  if (given("grace")) {
    auto grace = ParseDuration(text("grace"));
    if (!grace.ok()) return Status::InvalidArgument("--grace: " + grace.status().message());
    spec->grace_seconds = ClampSeconds(*grace);
  }
  if (given("env") || given("unset-env")) MUSTER_RETURN_IF_ERROR(ApplyEnvFlags(vm, &spec->env));
  if (given("window")) {
    auto window = ParseWindow(text("window"));
    if (!window)
      return Status::InvalidArgument("bad --window '" + text("window") +
                                     "': anytime, offpeak or offpeak-preferred");
    spec->window = *window;
    spec->window_set = true;
  }
  if (given("window-may-overrun")) spec->window_may_overrun = true;
  if (given("topology")) {
    auto topology = ParseTopology(text("topology"));
    if (!topology)
      return Status::InvalidArgument("bad --topology '" + text("topology") +
                                     "': same-node, same-switch, same-rack or any");
    spec->topology = *topology;
  }
  if (given("ranks-per-node")) {
    const std::string rpn = text("ranks-per-node");
    if (rpn == "gpus") {
      spec->ranks_per_node = RanksPerNode::kPerGpu;
    } else if (rpn == "1") {
      spec->ranks_per_node = RanksPerNode::kOne;
    } else {
      return Status::InvalidArgument("bad --ranks-per-node '" + rpn + "': gpus or 1");
    }
  }
  return Status::Ok();
}

const CommandHelp kSubmitHelp{"submit", "[flags] -- CMD ARGS...",
                              "Queue a job. Everything after -- is its command, verbatim. Prints "
                              "\"Submitted job ID\".\nShapes: --gpus G (any nodes), or --nodes N "
                              "--gpus-per-node G (a gang of N nodes); 1 GPU when neither is given."};

SubmitDefaults SubmitDefaultsFromProcess() {
  SubmitDefaults d;
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name) {
    d.user = pw->pw_name;
  } else if (const char* user = std::getenv("USER")) {
    d.user = user;
  }
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec);
  d.cwd = ec ? "/" : cwd.string();
  for (char** e = environ; e && *e; ++e) d.environment.push_back(*e);
  return d;
}

Status ApplyExport(const std::string& what, const std::vector<std::string>& environment, JobSpec* spec) {
  // Muster's own variables (the client's keys and endpoint; a rank's job id,
  // rendezvous keys and checkpoint dir when submitting from inside a job)
  // and the gang's are never the submitter's to hand on: musterd and the
  // agent set what the new job needs.
  auto ours = [](std::string_view name) {
    static const std::set<std::string_view> kGang = {
        "RANK",   "LOCAL_RANK",  "NODE_RANK",   "WORLD_SIZE",          "LOCAL_WORLD_SIZE",
        "NNODES", "MASTER_ADDR", "MASTER_PORT", "CUDA_VISIBLE_DEVICES"};
    return name.substr(0, 7) == "MUSTER_" || kGang.count(name) > 0;
  };
  std::vector<EnvVar> exported;
  auto take = [&](std::string_view entry) {
    auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) return;
    std::string_view name = entry.substr(0, eq);
    if (ours(name)) return;
    exported.push_back({std::string(name), std::string(entry.substr(eq + 1))});
  };
  if (what == "ALL") {
    for (const std::string& e : environment) take(e);
  } else if (what != "NONE") {
    for (const std::string& item : Split(what, ',')) {
      if (item.empty()) return Status::InvalidArgument("bad --export '" + what + "': ALL, NONE or VAR,...");
      if (item.find('=') != std::string::npos) {
        take(item);
        continue;
      }
      for (const std::string& e : environment)
        if (e.size() > item.size() && e.compare(0, item.size(), item) == 0 && e[item.size()] == '=') take(e);
    }
  }
  // --env (already in spec->env) wins over the exported value.
  std::erase_if(exported, [&](const EnvVar& v) {
    return std::any_of(spec->env.begin(), spec->env.end(), [&](const EnvVar& s) { return s.name == v.name; });
  });
  if (exported.size() + spec->env.size() > kMaxEnv)
    return Status::InvalidArgument("--export " + what + " exports " + std::to_string(exported.size()) +
                                   " variables, more than a job may have (" + std::to_string(kMaxEnv) +
                                   "): give --export NONE or a list");
  spec->env.insert(spec->env.begin(), exported.begin(), exported.end());
  return Status::Ok();
}

Parsed<SubmitArgs> ParseSubmitArgs(const std::vector<std::string>& args, const SubmitDefaults& defaults,
                                   Time now, GlobalOptions* global) {
  // Split at the first "--" ourselves: the command must reach the job
  // untouched, whatever it looks like.
  auto dashdash = std::find(args.begin(), args.end(), std::string("--"));
  std::vector<std::string> flags(args.begin(), dashdash);
  po::options_description hidden;
  hidden.add_options()("command", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("command", -1);
  po::options_description visible;
  visible.add(JobTemplateOptions()).add(SubmitOnlyOptions());
  auto vm = ParseCommandArgs(kSubmitHelp, visible, hidden, positional, flags, global);
  if (!IsValue(vm)) return Forward<SubmitArgs>(vm);
  const auto& v = std::get<po::variables_map>(vm);
  if (v.count("command"))
    return UsageError{"unexpected argument '" + v["command"].as<std::vector<std::string>>().front() +
                      "': put the job's command after --, e.g. muster submit --gpus 8 -- python train.py"};

  SubmitArgs out;
  out.json = v.count("json") > 0;
  if (dashdash != args.end()) out.spec.argv.assign(dashdash + 1, args.end());
  if (Status st = FillTemplateSpec(v, defaults, &out.spec); !st.ok()) return UsageError{st.message()};
  if (Status st = FillSubmitOnly(v, now, &out); !st.ok()) return UsageError{st.message()};
  if (Status st = ApplyExport(v["export"].as<std::string>(), defaults.environment, &out.spec); !st.ok())
    return UsageError{st.message()};
  if (Status st = ValidateJobSpec(out.spec); !st.ok()) return UsageError{st.message()};
  return out;
}

}  // namespace muster::cli
