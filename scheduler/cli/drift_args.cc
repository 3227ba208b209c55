#include "scheduler/cli/drift_args.h"

#include <charconv>
#include <cmath>

#include "common/base/strings.h"
#include "scheduler/cli/command_args.h"

namespace muster::cli {
namespace {

po::options_description DriftCheckOptions() {
  po::options_description d("Drift check flags");
  // clang-format off
  d.add_options()
      ("reference", po::value<std::string>()->value_name("REF.csv"),
       "the data the model was trained on (CSV with a header row)")
      ("current", po::value<std::string>()->value_name("CUR.csv"), "the data the model sees now")
      ("model", po::value<std::string>()->value_name("NAME"),
       "the model the data is for; required with --trigger")
      ("threshold", po::value<std::string>()->value_name("PSI"),
       "a column drifted when its PSI is at least this (default 0.2)")
      ("columns", po::value<std::string>()->value_name("A,B"),
       "compare only these columns (default: all; the files must then have the same ones)")
      ("trigger", "on drift, trigger the model's retrain with the figures as metrics")
      ("json", "print JSON");
  // clang-format on
  return d;
}

Result<double> ParseThreshold(const std::string& s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v) || v <= 0)
    return Status::InvalidArgument("bad --threshold '" + s + "': a PSI above 0, e.g. 0.2 or 0.1");
  return v;
}

// "a, b" -> {"a", "b"}; blanks around names dropped, as in CSV headers.
Result<std::vector<std::string>> ParseColumns(const std::string& s) {
  std::vector<std::string> names;
  for (const std::string& item : Split(s, ',')) {
    size_t first = item.find_first_not_of(" \t"), last = item.find_last_not_of(" \t");
    if (first == std::string::npos)
      return Status::InvalidArgument("bad --columns '" + s + "': an empty column name");
    names.push_back(item.substr(first, last - first + 1));
  }
  return names;
}

// Fills `out` from the flags in `vm`.
Status FillDriftCheck(const po::variables_map& vm, DriftCheckArgs* out) {
  auto value = [&](const char* flag) { return vm.count(flag) ? vm[flag].as<std::string>() : std::string(); };
  out->reference = value("reference");
  out->current = value("current");
  out->model = value("model");
  out->trigger = vm.count("trigger") > 0;
  out->json = vm.count("json") > 0;
  if (out->reference.empty()) return Status::InvalidArgument("missing --reference REF.csv");
  if (out->current.empty()) return Status::InvalidArgument("missing --current CUR.csv");
  if (out->trigger && out->model.empty())
    return Status::InvalidArgument("--trigger needs --model NAME: the model whose retrain to trigger");
  if (vm.count("threshold")) {
    auto t = ParseThreshold(value("threshold"));
    if (!t.ok()) return t.status();
    out->options.threshold = *t;
  }
  if (vm.count("columns")) {
    auto c = ParseColumns(value("columns"));
    if (!c.ok()) return c.status();
    out->options.columns = std::move(*c);
  }
  return Status::Ok();
}

}  // namespace

const CommandHelp kDriftCheckHelp{
    "drift check", "--reference REF.csv --current CUR.csv [--model NAME] [flags]",
    "Compare two datasets column by column: PSI over reference-quantile bins (numeric)\n"
    "or categories, and the two-sample KS test (numeric). A column drifted when its\n"
    "PSI is at least --threshold. Exit codes: 0 no drift, 10 drift, 2 bad flags or input.\n"
    "See docs/drift.md."};

Parsed<DriftCheckArgs> ParseDriftCheckArgs(const std::vector<std::string>& args, GlobalOptions* global) {
  auto vm = ParseNoPositionals(kDriftCheckHelp, DriftCheckOptions(), args, global);
  if (!IsValue(vm)) return Forward<DriftCheckArgs>(vm);
  DriftCheckArgs out;
  if (Status st = FillDriftCheck(std::get<po::variables_map>(vm), &out); !st.ok())
    return UsageError{st.message()};
  return out;
}

}  // namespace muster::cli
