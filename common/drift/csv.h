// A CSV reader for the tabular datasets that `muster drift check` compares.
// RFC 4180: a header row, fields separated by commas, quoted fields that may
// hold commas, doubled quotes and line breaks, CRLF or LF line ends, the last
// line end optional. Every error names the source and the line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "muster/status.h"

namespace muster::drift {

// A parsed file, column by column (drift looks at one column at a time).
struct CsvTable {
  std::string source;                             // the file name, for messages
  std::vector<std::string> header;                // unique, non-empty names
  std::vector<std::vector<std::string>> columns;  // columns[c][row], as written (quotes removed)
  size_t rows = 0;                                // data rows, header excluded

  // The index of `name` in the header, or -1.
  int ColumnIndex(std::string_view name) const;
};

// Parses `text`. Also accepted: a UTF-8 byte-order mark, and empty lines
// between records, which are skipped (so a missing value in a one-column
// file is written as "" or NA, not as an empty line).
// InvalidArgument, with "SOURCE:LINE: reason" where a line is to blame, for:
// an empty file, a header without data rows, an unnamed or repeated header
// name, a row whose field count differs from the header's, an unterminated
// quoted field, a quote inside an unquoted field, text after a closing quote.
Result<CsvTable> ParseCsv(std::string_view text, std::string source);

// Reads and parses the file at `path` (named `path` in messages). IoError
// when it cannot be read.
Result<CsvTable> ReadCsvFile(const std::string& path);

// ---- field values (spaces and tabs around a value are ignored) ----------------

// A missing value: empty, NA, NaN or null, in any case.
bool IsMissing(std::string_view field);
// A finite number as std::from_chars reads it ("-1.5", "2e3"; a leading '+'
// too), else nullopt ("inf", "1e999", "0x1F", "12 kg").
std::optional<double> ParseFiniteNumber(std::string_view field);

}  // namespace muster::drift
