// Retraining: model register|update|list|show|delete, and trigger.
#include "scheduler/cli/commands.h"
#include "scheduler/cli/format.h"
#include "scheduler/cli/model_args.h"
#include "scheduler/cli/rpc.h"

namespace muster::cli {
namespace {

std::optional<wire::ModelList> ListModels(Context& ctx, Rpc& rpc, const std::string& name, uint32_t triggers,
                                          int* exit_code) {
  return CallFor<wire::ModelList>(rpc, wire::ListModels{name, triggers}, ctx.err, exit_code);
}

int RunPut(Context& ctx, const std::vector<std::string>& args, bool create) {
  auto parsed = ParseModelPutArgs(create, args, ctx.submit_defaults, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, create ? "model register" : "model update");
  const ModelPutArgs& a = std::get<ModelPutArgs>(parsed);
  auto rpc = ctx.connect(ctx.global);
  int exit_code = kExitOk;
  std::optional<ModelSpec> current;
  if (!create) {  // an update changes the flags given on the current template
    auto old = ListModels(ctx, *rpc, a.name, 0, &exit_code);
    if (!old) return exit_code;
    current = old->models.at(0).model.spec;
  }
  auto put = BuildModelPut(a, current ? &*current : nullptr);
  if (!put.ok()) {
    ctx.err << "muster: " << put.status().message() << "\n";
    return kExitUsage;
  }
  if (!CallFor<wire::Ok>(*rpc, *put, ctx.err, &exit_code)) return exit_code;
  ctx.out << (create ? "Registered" : "Updated") << " model " << a.name << "\n";
  return kExitOk;
}

int RunRegister(Context& ctx, const std::vector<std::string>& args) { return RunPut(ctx, args, true); }
int RunUpdate(Context& ctx, const std::vector<std::string>& args) { return RunPut(ctx, args, false); }

int RunListOrShow(Context& ctx, const std::vector<std::string>& args, bool show) {
  auto parsed = show ? ParseModelShowArgs(args, &ctx.global) : ParseModelListArgs(args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, show ? "model show" : "model list");
  const auto& a = std::get<ModelShowArgs>(parsed);
  auto rpc = ctx.connect(ctx.global);
  int exit_code = kExitOk;
  auto reply = ListModels(ctx, *rpc, a.name, show ? a.triggers : 0, &exit_code);
  if (!reply) return exit_code;
  if (show) {
    if (reply->models.size() != 1) {
      ctx.err << "muster: musterd answered " << reply->models.size() << " models for '" << a.name << "'\n";
      return kExitRefused;
    }
    ctx.out << (a.json ? DumpJson(ModelToJson(reply->models[0])) + "\n"
                       : FormatModelDetails(reply->models[0]));
  } else {
    ctx.out << (a.json ? DumpJson(ModelsToJson(std::move(reply->models))) + "\n"
                       : FormatModelsTable(std::move(reply->models)));
  }
  return kExitOk;
}

int RunList(Context& ctx, const std::vector<std::string>& args) { return RunListOrShow(ctx, args, false); }
int RunShowModel(Context& ctx, const std::vector<std::string>& args) {
  return RunListOrShow(ctx, args, true);
}

int RunDelete(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseModelDeleteArgs(args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, "model delete");
  const std::string& name = std::get<std::string>(parsed);
  auto rpc = ctx.connect(ctx.global);
  int exit_code = kExitOk;
  if (!CallFor<wire::Ok>(*rpc, wire::DeleteModel{name}, ctx.err, &exit_code)) return exit_code;
  ctx.out << "Deleted model " << name << "\n";
  return kExitOk;
}

}  // namespace

int RunModel(Context& ctx, const std::vector<std::string>& args) {
  static const std::vector<Command> kSubcommands = {
      {"register", "register a retraining template", RunRegister},
      {"update", "change the flags given in a model's template (state and history stay)", RunUpdate},
      {"list", "list models and their retraining state", RunList},
      {"show", "a model's template, state and newest triggers", RunShowModel},
      {"delete", "delete a model and its trigger history", RunDelete},
  };
  return RunGroup(ctx, "model",
                  "Registered models: retraining templates that `muster trigger` submits, with coalescing,\n"
                  "cooldown and warm starts.",
                  kSubcommands, args);
}

int RunTrigger(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseTriggerArgs(args, ctx.submit_defaults, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, "trigger");
  const auto& a = std::get<TriggerArgs>(parsed);
  auto rpc = ctx.connect(ctx.global);
  int exit_code = kExitOk;
  auto reply = CallFor<wire::TriggerReply>(*rpc, a.trigger, ctx.err, &exit_code);
  if (!reply) return exit_code;
  ctx.out << (a.json ? DumpJson(TriggerReplyToJson(*reply)) + "\n"
                     : FormatTriggerReply(a.trigger.model, *reply));
  return kExitOk;
}

}  // namespace muster::cli
