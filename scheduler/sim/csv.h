// A small CSV reader for job traces: RFC 4180 quoting, CRLF or LF, a header
// row, and errors that name the file and line. Malformed input is a Status,
// never a crash (STYLE.md 9).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "muster/status.h"

namespace muster::sim {

struct CsvRow {
  int64_t line = 0;                 // 1-based line number where the row starts
  std::vector<std::string> fields;  // as many as the header has columns
};

struct CsvTable {
  std::vector<std::string> header;
  std::vector<CsvRow> rows;
  // The column named `name` (exact match), or -1.
  int Column(std::string_view name) const;
};

// Parses `text` (the whole file). `source` names it in errors
// ("trace.csv:17: expected 7 fields, found 5"). Blank lines are skipped.
Result<CsvTable> ParseCsv(std::string_view text, const std::string& source);

// Reads `path` and parses it.
Result<CsvTable> ReadCsvFile(const std::string& path);

// The whole file as bytes, or an IoError naming it.
Result<std::string> ReadFileBytes(const std::string& path);

}  // namespace muster::sim
