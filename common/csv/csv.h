// The one CSV reader: datasets for `muster drift check`, job traces and
// cluster files for muster-sim. RFC 4180: a header row, fields separated by
// commas, quoted fields that may hold commas, doubled quotes and line breaks,
// CRLF, LF or CR line ends, the last line end optional. Also accepted: a
// UTF-8 byte-order mark, and empty lines between records, which are skipped
// (so a missing value in a one-column file is written as "" or NA, not as an
// empty line). Header names are trimmed of spaces and tabs ("a, b" names "a"
// and "b"); fields are kept as written (quotes removed).
//
// Malformed input is a Status naming the file and line, never a crash. The
// wording is the caller's: each tool keeps the messages its users (and
// tests) know, so errors are described as an Error and put into words by a
// Wording function (DefaultWording unless the caller brings its own).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "muster/status.h"

namespace muster::csv {

struct Row {
  int64_t line = 0;                 // 1-based line the record starts on
  std::vector<std::string> fields;  // as many as the header has names
};

// A parsed file, row by row.
struct Table {
  std::string source;               // the file name, for messages
  std::vector<std::string> header;  // unique, non-empty names
  std::vector<Row> rows;            // data rows, header excluded

  // The index of the column named `name` (exact match), or -1.
  int ColumnIndex(std::string_view name) const;
};

// The same data column by column, for callers that look at one column at a
// time (drift statistics).
struct ColumnTable {
  std::string source;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> columns;  // columns[c][row]
  size_t rows = 0;                                // data rows, header excluded

  int ColumnIndex(std::string_view name) const;
};
ColumnTable ToColumns(Table table);

enum class ErrorKind {
  kCannotOpen,       // the file cannot be opened (reason)
  kIsDirectory,      // the path names a directory
  kCannotRead,       // reading failed part way (reason)
  kEmptyFile,        // no header row
  kUnnamedColumn,    // a header name is empty (column)
  kDuplicateColumn,  // a header name appears twice (name)
  kFieldCount,       // a row's field count differs from the header's (fields, header_fields)
  kUnclosedQuote,    // a quoted field runs to the end of the text (line: where it opens)
  kQuoteInUnquotedField,
  kTextAfterQuote,  // a closing quote is followed by neither ',' nor a line end
};

struct Error {
  ErrorKind kind = ErrorKind::kEmptyFile;
  std::string source;        // the file name
  int64_t line = 0;          // 1-based; 0 when no one line is to blame
  size_t column = 0;         // kUnnamedColumn: 1-based
  std::string name;          // kDuplicateColumn
  size_t fields = 0;         // kFieldCount: in the row
  size_t header_fields = 0;  // kFieldCount: in the header
  std::string reason;        // kCannotOpen, kCannotRead: the system's message

  // "SOURCE:LINE", or "SOURCE" when no line is to blame.
  std::string Where() const;
};

// The whole message for an error, e.g. "f.csv:3: the row has 1 field, the
// header 2 fields" or "cannot read f.csv: No such file or directory".
using Wording = std::string (*)(const Error&);
std::string DefaultWording(const Error& error);

// Parses `text`, the whole file, named `source` in messages. An error is
// InvalidArgument. A header without data rows is a table without rows.
Result<Table> Parse(std::string_view text, std::string source, Wording wording = DefaultWording);

// The bytes of the file at `path` (named `path` in messages); IoError when
// it cannot be read.
Result<std::string> ReadFileBytes(const std::string& path, Wording wording = DefaultWording);

// ReadFileBytes, then Parse.
Result<Table> ReadFile(const std::string& path, Wording wording = DefaultWording);

}  // namespace muster::csv
