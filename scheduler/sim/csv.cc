#include "scheduler/sim/csv.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace muster::sim {

int CsvTable::Column(std::string_view name) const {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

namespace {

// One pass over the bytes; `pos` and `line` advance together so every error
// can say where it happened.
class Parser {
 public:
  Parser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  // Reads one record into `out`. Returns false at the end of input.
  Result<bool> Next(std::vector<std::string>* out, int64_t* start_line) {
    out->clear();
    // Skip blank lines (a trailing newline, or an empty line in the middle).
    while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
    if (pos_ >= text_.size()) return false;
    *start_line = line_;
    std::string field;
    while (true) {
      if (pos_ < text_.size() && text_[pos_] == '"') {
        // Quoted field: "" is a quote; commas and newlines are data.
        ++pos_;
        while (true) {
          if (pos_ >= text_.size())
            return Error(*start_line, "unterminated quoted field (a '\"' is never closed)");
          char c = text_[pos_++];
          if (c == '"') {
            if (pos_ < text_.size() && text_[pos_] == '"') {
              field += '"';
              ++pos_;
              continue;
            }
            break;
          }
          if (c == '\n') ++line_;
          field += c;
        }
        if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r')
          return Error(line_, "unexpected character after a closing quote");
      } else {
        while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
          if (text_[pos_] == '"') return Error(line_, "a quote inside an unquoted field");
          field += text_[pos_++];
        }
      }
      out->push_back(std::move(field));
      field.clear();
      if (pos_ >= text_.size()) return true;
      char c = text_[pos_];
      if (c == ',') {
        ++pos_;
        continue;
      }
      // End of record: \n, \r\n or a lone \r.
      ++pos_;
      if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
      ++line_;
      return true;
    }
  }

  Status Error(int64_t line, const std::string& what) const {
    return Status::InvalidArgument(source_ + ":" + std::to_string(line) + ": " + what);
  }

 private:
  std::string_view text_;
  const std::string& source_;
  size_t pos_ = 0;
  int64_t line_ = 1;
};

}  // namespace

Result<CsvTable> ParseCsv(std::string_view text, const std::string& source) {
  // A UTF-8 byte order mark is not part of the first column's name.
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  Parser p(text, source);
  CsvTable table;
  int64_t line = 0;
  auto header = p.Next(&table.header, &line);
  if (!header.ok()) return header.status();
  if (!*header) return Status::InvalidArgument(source + ": empty file (expected a header row)");
  for (size_t i = 0; i < table.header.size(); ++i) {
    if (table.header[i].empty())
      return p.Error(line, "column " + std::to_string(i + 1) + " of the header has no name");
    for (size_t k = 0; k < i; ++k)
      if (table.header[k] == table.header[i])
        return p.Error(line, "duplicate column '" + table.header[i] + "'");
  }
  std::vector<std::string> fields;
  while (true) {
    auto more = p.Next(&fields, &line);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (fields.size() != table.header.size())
      return p.Error(line, "expected " + std::to_string(table.header.size()) +
                               " fields (as the header), found " + std::to_string(fields.size()));
    table.rows.push_back({line, std::move(fields)});
    fields = {};
  }
  return table;
}

Result<std::string> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open '" + path + "': " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IoError("cannot read '" + path + "'");
  return ss.str();
}

Result<CsvTable> ReadCsvFile(const std::string& path) {
  auto bytes = ReadFileBytes(path);
  if (!bytes.ok()) return bytes.status();
  return ParseCsv(*bytes, path);
}

}  // namespace muster::sim
