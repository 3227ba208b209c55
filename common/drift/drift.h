// Drift between a reference and a current dataset, column by column: the
// pure core of `muster drift check` (docs/drift.md).
//
// A column is numeric when every value that is not missing parses as a
// finite number in both files, else categorical. Missing values count as a
// bin (numeric) or category (categorical) of their own in the PSI, so a
// column that goes missing is drift; the KS test looks at values only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/csv/csv.h"
#include "common/drift/stats.h"
#include "muster/status.h"

namespace muster::drift {

// ---- the datasets: CSV files (common/csv), column by column -----------------

using CsvTable = csv::ColumnTable;

// Parses `text` (named `source` in messages), or InvalidArgument with
// "SOURCE:LINE: reason" (common/csv); a file without data rows is an error
// too, since there is nothing to compare.
Result<CsvTable> ParseCsv(std::string_view text, std::string source);
// Reads and parses the file at `path`. IoError when it cannot be read.
Result<CsvTable> ReadCsvFile(const std::string& path);

// ---- field values (spaces and tabs around a value are ignored) ----------------

// A missing value: empty, NA, NaN or null, in any case.
bool IsMissing(std::string_view field);
// A finite number as std::from_chars reads it ("-1.5", "2e3"; a leading '+'
// too), else nullopt ("inf", "1e999", "0x1F", "12 kg").
std::optional<double> ParseFiniteNumber(std::string_view field);

// ---- drift ------------------------------------------------------------------

struct DriftOptions {
  // A column drifted when its PSI is at least this. The KS figures are
  // reported but do not decide: with many rows KS finds tiny shifts
  // significant, and a drift verdict may start a retrain that costs GPU hours.
  double threshold = 0.2;
  int bins = 10;                     // numeric PSI bins, before equal edges merge
  std::vector<std::string> columns;  // empty: all; both files must then have the same columns
};

enum class ColumnType { kNumeric, kCategorical };
const char* ColumnTypeName(ColumnType type);  // "numeric", "categorical"

struct ColumnDrift {
  std::string name;
  ColumnType type = ColumnType::kNumeric;
  size_t ref_missing = 0;  // rows without a value
  size_t cur_missing = 0;
  size_t bins = 0;  // value bins (numeric) or categories in either file; the missing one not counted
  double psi = 0;
  std::optional<KsResult> ks;  // numeric columns with values in both files
  bool drift = false;          // psi >= threshold
};

struct DriftReport {
  size_t ref_rows = 0;
  size_t cur_rows = 0;
  double threshold = 0;
  std::vector<ColumnDrift> columns;  // in the order asked for, else the reference's

  bool AnyDrift() const;
  std::vector<const ColumnDrift*> Drifted() const;
};

// InvalidArgument for a threshold that is not a positive number, fewer than
// 1 bin, a column asked for that a file lacks (or asked for twice, or an
// empty name), or, with no columns asked for, files with different columns.
Result<DriftReport> CheckDrift(const CsvTable& reference, const CsvTable& current,
                               const DriftOptions& options);

}  // namespace muster::drift
