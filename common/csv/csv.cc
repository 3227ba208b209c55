#include "common/csv/csv.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace muster::csv {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int IndexOf(const std::vector<std::string>& header, std::string_view name) {
  auto it = std::find(header.begin(), header.end(), name);
  return it == header.end() ? -1 : static_cast<int>(it - header.begin());
}

// Walks the text record by record, keeping the line number for messages.
class RecordReader {
 public:
  RecordReader(std::string_view text, const std::string& source, Wording wording)
      : text_(text), source_(source), wording_(wording) {
    if (text_.substr(0, kUtf8Bom.size()) == kUtf8Bom) text_.remove_prefix(kUtf8Bom.size());
  }

  // Skips empty lines; false at the end of the text.
  bool AtRecord() {
    while (AtLineEnd()) SkipLineEnd();
    return !AtEnd();
  }
  // The line the next record starts on (after AtRecord()).
  int64_t line() const { return line_; }

  // Reads the record at the cursor, and its line end.
  Result<std::vector<std::string>> Next() {
    std::vector<std::string> fields;
    while (true) {
      std::string field;
      MUSTER_RETURN_IF_ERROR(ReadField(&field));
      fields.push_back(std::move(field));
      if (AtEnd()) break;
      if (text_[pos_] != ',') {
        SkipLineEnd();
        break;
      }
      ++pos_;
    }
    return fields;
  }

  // InvalidArgument with the caller's wording of `error` (source filled in).
  Status Fail(Error error) const {
    error.source = source_;
    return Status::InvalidArgument(wording_(error));
  }
  Status Fail(ErrorKind kind, int64_t line) const {
    Error e;
    e.kind = kind;
    e.line = line;
    return Fail(std::move(e));
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  bool AtLineEnd() const { return !AtEnd() && (text_[pos_] == '\n' || text_[pos_] == '\r'); }

  // Consumes "\r\n", "\n" or "\r".
  void SkipLineEnd() {
    if (text_[pos_] == '\r') ++pos_;
    if (!AtEnd() && text_[pos_] == '\n') ++pos_;
    ++line_;
  }

  // Leaves the cursor on the ',' or line end after the field, or at the end.
  Status ReadField(std::string* field) {
    if (!AtEnd() && text_[pos_] == '"') return ReadQuoted(field);
    size_t end = std::min(text_.find_first_of(",\r\n\"", pos_), text_.size());
    if (end < text_.size() && text_[end] == '"') return Fail(ErrorKind::kQuoteInUnquotedField, line_);
    field->assign(text_.substr(pos_, end - pos_));
    pos_ = end;
    return Status::Ok();
  }

  Status ReadQuoted(std::string* field) {
    const int64_t start_line = line_;
    ++pos_;  // the opening quote
    while (true) {
      size_t quote = text_.find('"', pos_);
      if (quote == std::string_view::npos) return Fail(ErrorKind::kUnclosedQuote, start_line);
      std::string_view chunk = text_.substr(pos_, quote - pos_);
      line_ += std::count(chunk.begin(), chunk.end(), '\n');
      field->append(chunk);
      pos_ = quote + 1;
      if (AtEnd() || text_[pos_] != '"') break;
      field->push_back('"');  // a doubled quote stands for one
      ++pos_;
    }
    if (!AtEnd() && text_[pos_] != ',' && !AtLineEnd()) return Fail(ErrorKind::kTextAfterQuote, line_);
    return Status::Ok();
  }

  std::string_view text_;
  const std::string& source_;
  Wording wording_;
  size_t pos_ = 0;
  int64_t line_ = 1;
};

std::string FieldCount(size_t n) { return std::to_string(n) + (n == 1 ? " field" : " fields"); }

// Trims the names and checks that each is there and unique.
Status CheckHeader(std::vector<std::string>* names, const RecordReader& reader, int64_t line) {
  for (size_t c = 0; c < names->size(); ++c) {
    std::string& name = (*names)[c];
    name = std::string(TrimBlanks(name));
    Error e;
    e.line = line;
    if (name.empty()) {
      e.kind = ErrorKind::kUnnamedColumn;
      e.column = c + 1;
      return reader.Fail(std::move(e));
    }
    if (std::find(names->begin(), names->begin() + static_cast<std::ptrdiff_t>(c), name) !=
        names->begin() + static_cast<std::ptrdiff_t>(c)) {
      e.kind = ErrorKind::kDuplicateColumn;
      e.name = name;
      return reader.Fail(std::move(e));
    }
  }
  return Status::Ok();
}

}  // namespace

int Table::ColumnIndex(std::string_view name) const { return IndexOf(header, name); }
int ColumnTable::ColumnIndex(std::string_view name) const { return IndexOf(header, name); }

ColumnTable ToColumns(Table table) {
  ColumnTable out;
  out.source = std::move(table.source);
  out.header = std::move(table.header);
  out.rows = table.rows.size();
  out.columns.resize(out.header.size());
  for (auto& column : out.columns) column.reserve(out.rows);
  for (Row& row : table.rows)
    for (size_t c = 0; c < row.fields.size(); ++c) out.columns[c].push_back(std::move(row.fields[c]));
  return out;
}

std::string Error::Where() const { return line > 0 ? source + ":" + std::to_string(line) : source; }

std::string DefaultWording(const Error& e) {
  switch (e.kind) {
    case ErrorKind::kCannotOpen:
    case ErrorKind::kCannotRead:
      return "cannot read " + e.source + ": " + e.reason;
    case ErrorKind::kIsDirectory:
      return "cannot read " + e.source + ": a directory";
    case ErrorKind::kEmptyFile:
      return e.Where() + ": empty file (expected a header row and data rows)";
    case ErrorKind::kUnnamedColumn:
      return e.Where() + ": header column " + std::to_string(e.column) + " has no name";
    case ErrorKind::kDuplicateColumn:
      return e.Where() + ": column '" + e.name + "' appears twice in the header";
    case ErrorKind::kFieldCount:
      return e.Where() + ": the row has " + FieldCount(e.fields) + ", the header " +
             FieldCount(e.header_fields);
    case ErrorKind::kUnclosedQuote:
      return e.Where() + ": a quoted field is never closed";
    case ErrorKind::kQuoteInUnquotedField:
      return e.Where() + ": a quote inside an unquoted field (quote the whole field and double the quote)";
    case ErrorKind::kTextAfterQuote:
      return e.Where() +
             ": text after the closing quote of a field (a quote inside a field is doubled: \"\")";
  }
  return e.Where() + ": malformed CSV";
}

Result<Table> Parse(std::string_view text, std::string source, Wording wording) {
  Table table;
  table.source = std::move(source);
  RecordReader reader(text, table.source, wording);
  if (!reader.AtRecord()) return reader.Fail(ErrorKind::kEmptyFile, 0);
  const int64_t header_line = reader.line();
  auto header = reader.Next();
  if (!header.ok()) return header.status();
  MUSTER_RETURN_IF_ERROR(CheckHeader(&*header, reader, header_line));
  table.header = std::move(*header);
  while (reader.AtRecord()) {
    const int64_t line = reader.line();
    auto fields = reader.Next();
    if (!fields.ok()) return fields.status();
    if (fields->size() != table.header.size()) {
      Error e;
      e.kind = ErrorKind::kFieldCount;
      e.line = line;
      e.fields = fields->size();
      e.header_fields = table.header.size();
      return reader.Fail(std::move(e));
    }
    table.rows.push_back({line, std::move(*fields)});
  }
  return table;
}

Result<std::string> ReadFileBytes(const std::string& path, Wording wording) {
  Error e;
  e.source = path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    e.kind = ErrorKind::kIsDirectory;
    return Status::IoError(wording(e));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    e.kind = ErrorKind::kCannotOpen;
    e.reason = std::strerror(errno);
    return Status::IoError(wording(e));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    e.kind = ErrorKind::kCannotRead;
    e.reason = std::strerror(errno);
    return Status::IoError(wording(e));
  }
  return text.str();
}

Result<Table> ReadFile(const std::string& path, Wording wording) {
  auto bytes = ReadFileBytes(path, wording);
  if (!bytes.ok()) return bytes.status();
  return Parse(*bytes, path, wording);
}

}  // namespace muster::csv
