#include "scheduler/cli/format_drift.h"

#include <cctype>
#include <cstdio>

#include "common/base/strings.h"
#include "scheduler/cli/format.h"

namespace muster::cli {
namespace {

using nlohmann::json;

std::string Fixed4(double v) { return FormatDouble("%.4f", v); }
// Three significant digits: "0.111", "0.00122", "1.5e-09".
std::string Sig3(double v) { return FormatDouble("%.3g", v); }
std::string MetricValue(double v) { return FormatDouble("%.6g", v); }

std::string MetricName(const std::string& prefix, const std::string& column) {
  std::string name = prefix + ".";
  for (char c : column)
    name += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ? c : '_';
  return name;
}

std::string Heading(const DriftCheckArgs& args, const drift::DriftReport& report) {
  std::string line = args.model.empty() ? "" : "Model " + args.model + ": ";
  return line + args.reference + " (" + std::to_string(report.ref_rows) + " rows) vs " + args.current + " (" +
         std::to_string(report.cur_rows) + " rows), PSI threshold " + Sig3(report.threshold) + "\n";
}

std::vector<std::string> DriftedNames(const drift::DriftReport& report) {
  std::vector<std::string> names;
  for (const drift::ColumnDrift* c : report.Drifted()) names.push_back(c->name);
  return names;
}

// "1 column", "3 columns".
std::string Columns(size_t n) { return std::to_string(n) + (n == 1 ? " column" : " columns"); }

std::string Outcome(const drift::DriftReport& report) {
  const std::vector<std::string> drifted = DriftedNames(report);
  if (drifted.empty()) return "No drift in " + Columns(report.columns.size()) + "\n";
  return "Drift in " + std::to_string(drifted.size()) + " of " + Columns(report.columns.size()) + ": " +
         Join(drifted, ", ") + "\n";
}

std::vector<std::string> Row(const drift::ColumnDrift& c) {
  return {c.name,
          drift::ColumnTypeName(c.type),
          Fixed4(c.psi),
          c.ks ? Fixed4(c.ks->d) : "-",
          c.ks ? Sig3(c.ks->p_value) : "-",
          std::to_string(c.ref_missing),
          std::to_string(c.cur_missing),
          c.drift ? "DRIFT" : "ok"};
}

json ColumnToJson(const drift::ColumnDrift& c) {
  return {{"name", c.name},
          {"type", drift::ColumnTypeName(c.type)},
          {"psi", c.psi},
          {"bins", c.bins},
          {"ks", c.ks ? json{{"d", c.ks->d}, {"p_value", c.ks->p_value}} : json(nullptr)},
          {"missing", {{"reference", c.ref_missing}, {"current", c.cur_missing}}},
          {"drift", c.drift}};
}

// What musterd accepts in one trigger (models_api.cc): a reason of at most
// 4 KiB and 256 metrics of names up to 128 bytes.
constexpr size_t kReasonColumns = 10;
constexpr size_t kMaxTriggerMetrics = 256;
constexpr size_t kMaxMetricName = 128;

std::string TriggerReason(const drift::DriftReport& report) {
  std::vector<std::string> parts;
  const auto drifted = report.Drifted();
  for (size_t i = 0; i < drifted.size() && i < kReasonColumns; ++i)
    parts.push_back(drifted[i]->name.substr(0, 64) + " " + Fixed4(drifted[i]->psi));
  if (drifted.size() > kReasonColumns)
    parts.push_back("and " + std::to_string(drifted.size() - kReasonColumns) + " more");
  return "data drift: PSI >= " + Sig3(report.threshold) + " in " + std::to_string(parts.size()) + " of " +
         Columns(report.columns.size()) + " (" + Join(parts, ", ") + ")";
}

}  // namespace

std::string FormatDriftTable(const DriftCheckArgs& args, const drift::DriftReport& report) {
  std::vector<std::vector<std::string>> rows;
  for (const drift::ColumnDrift& c : report.columns) rows.push_back(Row(c));
  return Heading(args, report) +
         RenderTable({"COLUMN", "TYPE", "PSI", "KS_D", "KS_P", "MISSING_REF", "MISSING_CUR", "VERDICT"},
                     rows) +
         Outcome(report);
}

json DriftReportToJson(const DriftCheckArgs& args, const drift::DriftReport& report) {
  json columns = json::array();
  for (const drift::ColumnDrift& c : report.columns) columns.push_back(ColumnToJson(c));
  return {{"model", args.model.empty() ? json(nullptr) : json(args.model)},
          {"reference", {{"file", args.reference}, {"rows", report.ref_rows}}},
          {"current", {{"file", args.current}, {"rows", report.cur_rows}}},
          {"threshold", report.threshold},
          {"drift", report.AnyDrift()},
          {"drifted_columns", DriftedNames(report)},
          {"columns", std::move(columns)}};
}

std::vector<std::string> DriftTriggerArgs(const std::string& model, const drift::DriftReport& report) {
  std::vector<std::string> out = {model, "--reason", TriggerReason(report)};
  size_t metrics = 0;
  auto add = [&](const std::string& prefix, const std::string& column, double v) {
    if (metrics++ >= kMaxTriggerMetrics) return;  // the figures of very wide files are cut, not refused
    out.insert(out.end(),
               {"--metric", MetricName(prefix, column).substr(0, kMaxMetricName) + "=" + MetricValue(v)});
  };
  for (const drift::ColumnDrift& c : report.columns) {
    add("psi", c.name, c.psi);
    if (c.ks) add("ks", c.name, c.ks->d);
  }
  return out;
}

}  // namespace muster::cli
