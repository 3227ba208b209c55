// `muster drift check`: data drift between a model's reference data and the
// data it sees now, and on drift (with --trigger) its retrain.
#include "scheduler/cli/commands_drift.h"

#include <optional>

#include "common/drift/drift.h"
#include "scheduler/cli/commands.h"
#include "scheduler/cli/format.h"
#include "scheduler/cli/format_drift.h"

namespace muster::cli {
namespace {

// Reads both files and compares them; nullopt, with the reason printed, when
// a file or the flags do not fit.
std::optional<drift::DriftReport> Compare(Context& ctx, const DriftCheckArgs& args) {
  auto fail = [&](const Status& st) {
    ctx.err << "muster: " << st.message() << "\n";
    return std::nullopt;
  };
  auto reference = drift::ReadCsvFile(args.reference);
  if (!reference.ok()) return fail(reference.status());
  auto current = drift::ReadCsvFile(args.current);
  if (!current.ok()) return fail(current.status());
  auto report = drift::CheckDrift(*reference, *current, args.options);
  if (!report.ok()) return fail(report.status());
  return std::move(report).value();
}

void Print(Context& ctx, const DriftCheckArgs& args, const drift::DriftReport& report) {
  if (args.json) {
    ctx.out << DumpJson(DriftReportToJson(args, report)) << "\n";
  } else {
    ctx.out << FormatDriftTable(args, report);
  }
}

int Trigger(Context& ctx, const DriftCheckArgs& args, const drift::DriftReport& report,
            const TriggerFn& trigger) {
  // With --json, stdout holds the report alone: what the trigger says goes to stderr.
  Context quiet{ctx.err, ctx.err, ctx.clock, ctx.connect, ctx.sleep_ms, ctx.global, ctx.submit_defaults};
  int exit_code = trigger(args.json ? quiet : ctx, DriftTriggerArgs(args.model, report));
  return exit_code == kExitOk ? kExitDrift : exit_code;
}

int RunCheck(Context& ctx, const std::vector<std::string>& args) {
  return RunDriftCheckWith(ctx, args, RunTrigger);
}

}  // namespace

int RunDriftCheckWith(Context& ctx, const std::vector<std::string>& args, const TriggerFn& trigger) {
  auto parsed = ParseDriftCheckArgs(args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, "drift check");
  const auto& check = std::get<DriftCheckArgs>(parsed);
  auto report = Compare(ctx, check);
  if (!report) return kExitUsage;
  Print(ctx, check, *report);
  if (!report->AnyDrift()) return kExitOk;
  return check.trigger ? Trigger(ctx, check, *report, trigger) : kExitDrift;
}

int RunDrift(Context& ctx, const std::vector<std::string>& args) {
  static const std::vector<Command> kSubcommands = {
      {"check", "compare a model's reference data with its current data (PSI, KS)", RunCheck},
  };
  return RunGroup(ctx, "drift",
                  "Data drift of a model's input: is the data it sees now still like its training data?",
                  kSubcommands, args);
}

}  // namespace muster::cli
