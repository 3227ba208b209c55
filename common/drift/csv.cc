#include "common/drift/csv.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/base/strings.h"

namespace muster::drift {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Walks the text record by record, keeping the line number for messages.
class RecordReader {
 public:
  RecordReader(std::string_view text, const std::string& source) : text_(text), source_(source) {
    if (text_.substr(0, kUtf8Bom.size()) == kUtf8Bom) text_.remove_prefix(kUtf8Bom.size());
  }

  // Skips empty lines; false at the end of the text.
  bool AtRecord() {
    while (AtLineEnd()) SkipLineEnd();
    return !AtEnd();
  }
  // The line the next record starts on (after AtRecord()).
  size_t line() const { return line_; }

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

  Status Error(size_t line, const std::string& reason) const {
    return Status::InvalidArgument(source_ + ":" + std::to_string(line) + ": " + reason);
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
    if (end < text_.size() && text_[end] == '"')
      return Error(line_, "a quote inside an unquoted field (quote the whole field and double the quote)");
    field->assign(text_.substr(pos_, end - pos_));
    pos_ = end;
    return Status::Ok();
  }

  Status ReadQuoted(std::string* field) {
    const size_t start_line = line_;
    ++pos_;  // the opening quote
    while (true) {
      size_t quote = text_.find('"', pos_);
      if (quote == std::string_view::npos) return Error(start_line, "a quoted field is never closed");
      std::string_view chunk = text_.substr(pos_, quote - pos_);
      line_ += static_cast<size_t>(std::count(chunk.begin(), chunk.end(), '\n'));
      field->append(chunk);
      pos_ = quote + 1;
      if (AtEnd() || text_[pos_] != '"') break;
      field->push_back('"');  // a doubled quote stands for one
      ++pos_;
    }
    if (!AtEnd() && text_[pos_] != ',' && !AtLineEnd())
      return Error(line_,
                   "text after the closing quote of a field (a quote inside a field is doubled: \"\")");
    return Status::Ok();
  }

  std::string_view text_;
  const std::string& source_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

std::string FieldCount(size_t n) { return std::to_string(n) + (n == 1 ? " field" : " fields"); }

// Header names are trimmed, so that "a, b" names the columns "a" and "b".
Result<std::vector<std::string>> CheckHeader(std::vector<std::string> names, const RecordReader& reader,
                                             size_t line) {
  for (size_t c = 0; c < names.size(); ++c) {
    names[c] = std::string(TrimBlanks(names[c]));
    if (names[c].empty())
      return reader.Error(line, "header column " + std::to_string(c + 1) + " has no name");
    if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(c), names[c]) !=
        names.begin() + static_cast<std::ptrdiff_t>(c))
      return reader.Error(line, "column '" + names[c] + "' appears twice in the header");
  }
  return names;
}

}  // namespace

int CsvTable::ColumnIndex(std::string_view name) const {
  auto it = std::find(header.begin(), header.end(), name);
  return it == header.end() ? -1 : static_cast<int>(it - header.begin());
}

Result<CsvTable> ParseCsv(std::string_view text, std::string source) {
  CsvTable table;
  table.source = std::move(source);
  RecordReader reader(text, table.source);
  if (!reader.AtRecord())
    return Status::InvalidArgument(table.source + ": empty file (expected a header row and data rows)");
  const size_t header_line = reader.line();
  auto header = reader.Next();
  if (!header.ok()) return header.status();
  auto names = CheckHeader(std::move(*header), reader, header_line);
  if (!names.ok()) return names.status();
  table.header = std::move(*names);
  table.columns.resize(table.header.size());
  while (reader.AtRecord()) {
    const size_t line = reader.line();
    auto row = reader.Next();
    if (!row.ok()) return row.status();
    if (row->size() != table.header.size())
      return reader.Error(
          line, "the row has " + FieldCount(row->size()) + ", the header " + FieldCount(table.header.size()));
    for (size_t c = 0; c < row->size(); ++c) table.columns[c].push_back(std::move((*row)[c]));
    ++table.rows;
  }
  if (table.rows == 0) return Status::InvalidArgument(table.source + ": no data rows, only a header");
  return table;
}

Result<CsvTable> ReadCsvFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return Status::IoError("cannot read " + path + ": a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError("cannot read " + path + ": " + std::strerror(errno));
  return ParseCsv(text.str(), path);
}

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

}  // namespace muster::drift
