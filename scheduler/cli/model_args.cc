#include "scheduler/cli/model_args.h"

#include <algorithm>
#include <charconv>

#include "common/base/job_spec.h"
#include "common/base/strings.h"
#include "scheduler/cli/command_args.h"
#include "scheduler/cli/submit_args.h"

namespace muster::cli {
namespace {

po::options_description ModelOptions() {
  po::options_description d("Retraining flags");
  // clang-format off
  d.add_options()
      ("deadline", po::value<std::string>()->value_name("DUR"),
       "each retrain must be done this long after its trigger, e.g. 12h (default: none); "
       "an offpeak-preferred retrain runs at once rather than miss it")
      ("cooldown", po::value<std::string>()->value_name("DUR"),
       "least time between the end of one retrain and the start of the next, e.g. 6h; "
       "triggers in the cooldown are deferred to its end (default: none)")
      ("checkpoint-dir", po::value<std::string>()->value_name("D"),
       "each retrain checkpoints to D/<job id> (MUSTER_CHECKPOINT_DIR); the newest successful one is the "
       "next retrain's MUSTER_WARM_START (default: musterd's checkpoint root)");
  // clang-format on
  return d;
}

Status ApplyModelFlags(const ModelPutArgs& a, ModelSpec* spec);

Result<Duration> DurationFlag(const po::variables_map& vm, const char* flag) {
  if (!vm.count(flag)) return Duration{0};
  auto d = ParseDuration(vm[flag].as<std::string>());
  if (!d.ok()) return Status::InvalidArgument(std::string("--") + flag + ": " + d.status().message());
  return d;
}

// The single positional NAME of a model command.
Parsed<std::string> ModelName(const po::variables_map& vm) {
  auto pos = PositionalArgs(vm);
  if (pos.empty()) return UsageError{"missing model NAME"};
  if (pos.size() > 1) return UsageError{"unexpected argument '" + pos[1] + "'"};
  if (!IsValidName(pos[0]))
    return UsageError{"bad model name '" + pos[0] + "': 1-64 of letters, digits, . _ -"};
  return pos[0];
}

Parsed<ModelShowArgs> ParseShowLike(const CommandHelp& help, bool named, const std::vector<std::string>& args,
                                    GlobalOptions* global) {
  Positionals p;
  po::options_description own("Flags");
  own.add_options()("json", "print JSON");
  if (named)
    own.add_options()("triggers", po::value<uint32_t>()->value_name("N")->default_value(20),
                      "how many of the newest triggers to show (0: none)");
  auto vm = ParseCommandArgs(help, own, p.hidden, p.positional, args, global);
  if (!IsValue(vm)) return Forward<ModelShowArgs>(vm);
  const auto& v = std::get<po::variables_map>(vm);
  ModelShowArgs out;
  out.json = v.count("json") > 0;
  if (!named) {
    auto pos = PositionalArgs(v);
    if (!pos.empty()) return UsageError{"unexpected argument '" + pos[0] + "'"};
    return out;
  }
  auto name = ModelName(v);
  if (!IsValue(name)) return Forward<ModelShowArgs>(name);
  out.name = std::get<std::string>(name);
  out.triggers = std::min(v["triggers"].as<uint32_t>(), wire::kMaxTriggerHistory);
  return out;
}

}  // namespace

const CommandHelp kModelRegisterHelp{
    "model register", "NAME [flags] -- CMD ARGS...",
    "Register a retraining template: what `muster trigger NAME` submits. Retrains run with kind retrain,\n"
    "MUSTER_MODEL, MUSTER_TRIGGER_REASON, MUSTER_METRIC_<NAME> per metric, MUSTER_CHECKPOINT_DIR and,\n"
    "once a retrain has succeeded, MUSTER_WARM_START (its checkpoint directory). The window defaults\n"
    "to offpeak-preferred."};
const CommandHelp kModelUpdateHelp{
    "model update", "NAME [flags] [-- CMD ARGS...]",
    "Change the flags given in a model's template (and its command when one follows --). A shape flag\n"
    "replaces the whole shape; --env adds or replaces variables, --unset-env removes them;\n"
    "--no-preemptible undoes --preemptible. Its retraining state, warm start and trigger history stay."};
const CommandHelp kModelListHelp{"model list", "[--json]",
                                 "List registered models and their retraining state."};
const CommandHelp kModelShowHelp{"model show", "NAME [--triggers N] [--json]",
                                 "A model's template, retraining state and newest triggers."};
const CommandHelp kModelDeleteHelp{
    "model delete", "NAME", "Delete a model and its trigger history (a retrain already submitted runs on)."};
const CommandHelp kTriggerHelp{
    "trigger", "NAME --reason TEXT [--metric K=V]... [--json]",
    "Ask for a retrain of model NAME. While one is pending or running the trigger is recorded on it\n"
    "(coalesced); within the model's cooldown it is deferred to the cooldown's end; else a retrain\n"
    "job is submitted. Triggers are kept in the model's history (its newest 10,000)."};

Parsed<ModelPutArgs> ParseModelPutArgs(bool create, const std::vector<std::string>& args,
                                       const SubmitDefaults& defaults, GlobalOptions* global) {
  auto dashdash = std::find(args.begin(), args.end(), std::string("--"));
  std::vector<std::string> flags(args.begin(), dashdash);
  Positionals p;
  po::options_description visible;
  visible.add(JobTemplateOptions()).add(ModelOptions());
  if (!create) visible.add(TemplateUpdateOptions());  // nothing to undo in a new template
  auto vm = ParseCommandArgs(create ? kModelRegisterHelp : kModelUpdateHelp, visible, p.hidden, p.positional,
                             flags, global);
  if (!IsValue(vm)) return Forward<ModelPutArgs>(vm);
  const auto& v = std::get<po::variables_map>(vm);
  auto name = ModelName(v);
  if (!IsValue(name)) return Forward<ModelPutArgs>(name);

  ModelPutArgs out;
  out.create = create;
  out.name = std::get<std::string>(name);
  out.defaults = defaults;
  if (dashdash != args.end()) out.argv.assign(dashdash + 1, args.end());
  for (const auto& [key, value] : v)
    if (!value.defaulted() && key != "args") out.given.insert({key, value});
  if (create && out.argv.empty())
    return UsageError{"the model needs a command after --, e.g. muster model register " + out.name +
                      " --gpus 1 -- python retrain.py"};
  if (!create && out.given.empty() && out.argv.empty())
    return UsageError{"nothing to update: give the flags to change (or -- CMD)"};
  // Bad values are usage errors here, before musterd is asked anything; a
  // whole template can only be checked once an update has the current one.
  if (create) {
    auto built = BuildModelPut(out, nullptr);
    if (!built.ok()) return UsageError{built.status().message()};
  } else {
    // The scratch template sets what --unset-env removes, so that every
    // other flag is checked here; whether the model sets them is known only
    // once musterd has sent it.
    ModelSpec scratch;
    if (out.given.count("unset-env"))
      for (const auto& n : out.given["unset-env"].as<std::vector<std::string>>())
        scratch.job.env.push_back({n, ""});
    if (Status st = ApplyModelFlags(out, &scratch); !st.ok()) return UsageError{st.message()};
  }
  return out;
}

Result<wire::PutModel> BuildModelPut(const ModelPutArgs& a, const ModelSpec* current) {
  wire::PutModel put;
  put.create = a.create;
  if (current) put.spec = *current;
  MUSTER_RETURN_IF_ERROR(ApplyModelFlags(a, &put.spec));
  MUSTER_RETURN_IF_ERROR(ValidateModelSpec(put.spec));
  return put;
}

namespace {

Status ApplyModelFlags(const ModelPutArgs& a, ModelSpec* out) {
  ModelSpec& spec = *out;
  spec.name = a.name;
  if (!a.argv.empty()) spec.job.argv = a.argv;
  if (a.create) {
    MUSTER_RETURN_IF_ERROR(FillTemplateSpec(a.given, a.defaults, &spec.job));
    if (!spec.job.window_set) {  // retraining is deferrable work
      spec.job.window = Window::kOffpeakPreferred;
      spec.job.window_set = true;
    }
    if (!a.given.count("name")) spec.job.name = spec.name;  // jobs list as their model
    if (!a.given.count("queue")) spec.job.queue = "default";
  } else {
    MUSTER_RETURN_IF_ERROR(ApplyTemplateFlags(a.given, a.defaults.cwd, &spec.job));
  }
  for (auto [flag, target] : {std::pair{"deadline", &spec.deadline}, std::pair{"cooldown", &spec.cooldown}}) {
    if (!a.given.count(flag)) continue;
    auto d = DurationFlag(a.given, flag);
    if (!d.ok()) return d.status();
    *target = *d;
  }
  if (a.given.count("checkpoint-dir")) {
    spec.checkpoint_dir = a.given["checkpoint-dir"].as<std::string>();
    if (spec.checkpoint_dir.empty() || spec.checkpoint_dir.front() != '/')
      spec.checkpoint_dir = a.defaults.cwd + "/" + spec.checkpoint_dir;
    while (spec.checkpoint_dir.size() > 1 && spec.checkpoint_dir.back() == '/')
      spec.checkpoint_dir.pop_back();
  }
  return Status::Ok();
}

}  // namespace

Parsed<ModelShowArgs> ParseModelListArgs(const std::vector<std::string>& args, GlobalOptions* global) {
  return ParseShowLike(kModelListHelp, false, args, global);
}
Parsed<ModelShowArgs> ParseModelShowArgs(const std::vector<std::string>& args, GlobalOptions* global) {
  return ParseShowLike(kModelShowHelp, true, args, global);
}

Parsed<std::string> ParseModelDeleteArgs(const std::vector<std::string>& args, GlobalOptions* global) {
  Positionals p;
  po::options_description none("Flags");
  auto vm = ParseCommandArgs(kModelDeleteHelp, none, p.hidden, p.positional, args, global);
  if (!IsValue(vm)) return Forward<std::string>(vm);
  return ModelName(std::get<po::variables_map>(vm));
}

Parsed<TriggerArgs> ParseTriggerArgs(const std::vector<std::string>& args, const SubmitDefaults& defaults,
                                     GlobalOptions* global) {
  Positionals p;
  po::options_description own("Trigger flags");
  // clang-format off
  own.add_options()
      ("reason", po::value<std::string>()->value_name("TEXT"), "why: kept in the history, MUSTER_TRIGGER_REASON")
      ("metric", po::value<std::vector<std::string>>()->value_name("K=V")->composing(),
       "a figure behind the trigger (psi.age=0.31); repeatable")
      ("json", "print {outcome, job, seq, cooldown_end}");
  // clang-format on
  auto vm = ParseCommandArgs(kTriggerHelp, own, p.hidden, p.positional, args, global);
  if (!IsValue(vm)) return Forward<TriggerArgs>(vm);
  const auto& v = std::get<po::variables_map>(vm);
  auto name = ModelName(v);
  if (!IsValue(name)) return Forward<TriggerArgs>(name);
  TriggerArgs out;
  out.json = v.count("json") > 0;
  out.trigger.model = std::get<std::string>(name);
  if (!v.count("reason") || v["reason"].as<std::string>().empty())
    return UsageError{"give --reason TEXT: it is kept in the model's history"};
  out.trigger.reason = v["reason"].as<std::string>();
  out.trigger.source = "cli:" + defaults.user;
  if (v.count("metric")) {
    for (const auto& s : v["metric"].as<std::vector<std::string>>()) {
      auto kv = ParseEnvVar(s);
      if (!kv.ok()) return UsageError{"bad --metric '" + s + "': give NAME=VALUE"};
      out.trigger.metrics.push_back(std::move(*kv));
    }
  }
  return out;
}

}  // namespace muster::cli
