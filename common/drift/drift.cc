#include "common/drift/drift.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <string_view>

#include "common/base/strings.h"

namespace muster::drift {
namespace {

constexpr int kMaxBins = 1000;

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Result<CsvTable> WithDataRows(Result<csv::Table> table) {
  if (!table.ok()) return table.status();
  if (table->rows.empty()) return Status::InvalidArgument(table->source + ": no data rows, only a header");
  return csv::ToColumns(std::move(table).value());
}

// One column of one file: the fields that hold a value, and how many do not.
struct Sample {
  std::vector<std::string_view> values;
  size_t missing = 0;
};

Sample SampleOf(const std::vector<std::string>& column) {
  Sample s;
  for (const std::string& field : column) {
    if (IsMissing(field)) {
      ++s.missing;
    } else {
      s.values.push_back(field);
    }
  }
  return s;
}

// Every value as a finite number, or nullopt when one is not.
std::optional<std::vector<double>> AsNumbers(const std::vector<std::string_view>& values) {
  std::vector<double> out;
  out.reserve(values.size());
  for (std::string_view v : values) {
    auto x = ParseFiniteNumber(v);
    if (!x) return std::nullopt;
    out.push_back(*x);
  }
  return out;
}

Status CheckOptions(const DriftOptions& options) {
  if (!std::isfinite(options.threshold) || options.threshold <= 0)
    return Status::InvalidArgument("the PSI threshold must be a number above 0, e.g. 0.2");
  if (options.bins < 1 || options.bins > kMaxBins)
    return Status::InvalidArgument("the number of bins must be 1.." + std::to_string(kMaxBins));
  return Status::Ok();
}

// With no columns asked for, both files must have the same ones (in any order).
Status CheckSameColumns(const CsvTable& a, const CsvTable& b) {
  for (const std::string& name : a.header) {
    if (b.ColumnIndex(name) < 0)
      return Status::InvalidArgument(b.source + " has no column '" + name + "', which " + a.source +
                                     " has (name the columns to compare)");
  }
  return Status::Ok();
}

Status CheckAskedColumns(const std::vector<std::string>& asked, const CsvTable& ref, const CsvTable& cur) {
  for (size_t i = 0; i < asked.size(); ++i) {
    const std::string& name = asked[i];
    if (name.empty()) return Status::InvalidArgument("an empty column name was asked for");
    if (std::find(asked.begin(), asked.begin() + static_cast<std::ptrdiff_t>(i), name) !=
        asked.begin() + static_cast<std::ptrdiff_t>(i))
      return Status::InvalidArgument("column '" + name + "' is asked for twice");
    for (const CsvTable* t : {&ref, &cur}) {
      if (t->ColumnIndex(name) < 0)
        return Status::InvalidArgument("no column '" + name + "' in " + t->source +
                                       " (its columns: " + Join(t->header, ", ") + ")");
    }
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ColumnsToCompare(const CsvTable& ref, const CsvTable& cur,
                                                  const std::vector<std::string>& asked) {
  if (!asked.empty()) {
    MUSTER_RETURN_IF_ERROR(CheckAskedColumns(asked, ref, cur));
    return asked;
  }
  MUSTER_RETURN_IF_ERROR(CheckSameColumns(ref, cur));
  MUSTER_RETURN_IF_ERROR(CheckSameColumns(cur, ref));
  return ref.header;
}

// PSI over reference-quantile bins plus a bin for missing values; KS over the values.
void CompareNumbers(const std::vector<double>& ref, const std::vector<double>& cur, int bins,
                    ColumnDrift* out) {
  const std::vector<double> edges = QuantileEdges(ref, bins);
  std::vector<size_t> ref_counts = BinCounts(ref, edges), cur_counts = BinCounts(cur, edges);
  out->bins = ref_counts.size();
  ref_counts.push_back(out->ref_missing);
  cur_counts.push_back(out->cur_missing);
  out->psi = Psi(ref_counts, cur_counts);
  if (!ref.empty() && !cur.empty()) out->ks = KsTest(ref, cur);
}

// PSI over the categories of both files plus one for missing values.
void CompareCategories(const Sample& ref, const Sample& cur, ColumnDrift* out) {
  std::map<std::string_view, std::array<size_t, 2>> counts;  // category -> {ref, cur}
  for (std::string_view v : ref.values) ++counts[v][0];
  for (std::string_view v : cur.values) ++counts[v][1];
  std::vector<size_t> ref_counts, cur_counts;
  for (const auto& [category, n] : counts) {
    ref_counts.push_back(n[0]);
    cur_counts.push_back(n[1]);
  }
  out->bins = counts.size();
  ref_counts.push_back(ref.missing);
  cur_counts.push_back(cur.missing);
  out->psi = Psi(ref_counts, cur_counts);
}

ColumnDrift CompareColumn(const std::string& name, const std::vector<std::string>& ref_column,
                          const std::vector<std::string>& cur_column, const DriftOptions& options) {
  const Sample ref = SampleOf(ref_column), cur = SampleOf(cur_column);
  ColumnDrift out;
  out.name = name;
  out.ref_missing = ref.missing;
  out.cur_missing = cur.missing;
  auto ref_numbers = AsNumbers(ref.values);
  auto cur_numbers = ref_numbers ? AsNumbers(cur.values) : std::nullopt;
  if (ref_numbers && cur_numbers) {
    out.type = ColumnType::kNumeric;
    CompareNumbers(*ref_numbers, *cur_numbers, options.bins, &out);
  } else {
    out.type = ColumnType::kCategorical;
    CompareCategories(ref, cur, &out);
  }
  out.drift = out.psi >= options.threshold;
  return out;
}

}  // namespace

Result<CsvTable> ParseCsv(std::string_view text, std::string source) {
  return WithDataRows(csv::Parse(text, std::move(source)));
}

Result<CsvTable> ReadCsvFile(const std::string& path) { return WithDataRows(csv::ReadFile(path)); }

bool IsMissing(std::string_view field) {
  std::string_view trimmed = TrimBlanks(field);
  if (trimmed.size() > 4) return false;  // most values: no lower-case copy
  std::string v = ToLower(trimmed);
  return v.empty() || v == "na" || v == "nan" || v == "null";
}

std::optional<double> ParseFiniteNumber(std::string_view field) {
  std::string_view s = TrimBlanks(field);
  if (s.size() > 1 && s.front() == '+' && s[1] != '-') s.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

const char* ColumnTypeName(ColumnType type) {
  return type == ColumnType::kNumeric ? "numeric" : "categorical";
}

bool DriftReport::AnyDrift() const {
  return std::any_of(columns.begin(), columns.end(), [](const ColumnDrift& c) { return c.drift; });
}

std::vector<const ColumnDrift*> DriftReport::Drifted() const {
  std::vector<const ColumnDrift*> out;
  for (const ColumnDrift& c : columns)
    if (c.drift) out.push_back(&c);
  return out;
}

Result<DriftReport> CheckDrift(const CsvTable& reference, const CsvTable& current,
                               const DriftOptions& options) {
  MUSTER_RETURN_IF_ERROR(CheckOptions(options));
  auto names = ColumnsToCompare(reference, current, options.columns);
  if (!names.ok()) return names.status();
  DriftReport report;
  report.ref_rows = reference.rows;
  report.cur_rows = current.rows;
  report.threshold = options.threshold;
  for (const std::string& name : *names) {
    report.columns.push_back(CompareColumn(name, reference.columns[reference.ColumnIndex(name)],
                                           current.columns[current.ColumnIndex(name)], options));
  }
  return report;
}

}  // namespace muster::drift
