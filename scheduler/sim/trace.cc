#include "scheduler/sim/trace.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace muster::sim {

bool ParseNonNegative(const std::string& s, double* out) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = b + s.size();
  int64_t i = 0;
  auto [p, ec] = std::from_chars(b, e, i);
  if (ec == std::errc() && p == e) {
    if (i < 0) return false;
    *out = static_cast<double>(i);
    return true;
  }
  double d = 0;
  auto [p2, ec2] = std::from_chars(b, e, d, std::chars_format::fixed);
  if (ec2 != std::errc() || p2 != e || !std::isfinite(d) || d < 0) return false;
  *out = d;
  return true;
}

namespace {

// The messages muster-sim has always given (and its tests check).
std::string SimWording(const csv::Error& e) {
  switch (e.kind) {
    case csv::ErrorKind::kCannotOpen:
      return "cannot open '" + e.source + "': " + e.reason;
    case csv::ErrorKind::kIsDirectory:
      return "cannot read '" + e.source + "': a directory";
    case csv::ErrorKind::kCannotRead:
      return "cannot read '" + e.source + "': " + e.reason;
    case csv::ErrorKind::kEmptyFile:
      return e.Where() + ": empty file (expected a header row)";
    case csv::ErrorKind::kUnnamedColumn:
      return e.Where() + ": column " + std::to_string(e.column) + " of the header has no name";
    case csv::ErrorKind::kDuplicateColumn:
      return e.Where() + ": duplicate column '" + e.name + "'";
    case csv::ErrorKind::kFieldCount:
      return e.Where() + ": expected " + std::to_string(e.header_fields) + " fields (as the header), found " +
             std::to_string(e.fields);
    case csv::ErrorKind::kUnclosedQuote:
      return e.Where() + ": unterminated quoted field (a '\"' is never closed)";
    case csv::ErrorKind::kQuoteInUnquotedField:
      return e.Where() + ": a quote inside an unquoted field";
    case csv::ErrorKind::kTextAfterQuote:
      return e.Where() + ": unexpected character after a closing quote";
  }
  return csv::DefaultWording(e);
}

// Seconds to µs with a bound that keeps every sum far from overflow
// (100 years, as ParseDuration).
constexpr double kMaxSeconds = 100.0 * 366 * 86400;

Duration ToMicros(double seconds) { return static_cast<Duration>(std::llround(seconds * 1e6)); }

}  // namespace

Result<CsvTable> ParseCsv(std::string_view text, const std::string& source) {
  return csv::Parse(text, source, SimWording);
}

Result<CsvTable> ReadCsvFile(const std::string& path) { return csv::ReadFile(path, SimWording); }

Result<std::string> ReadFileBytes(const std::string& path) { return csv::ReadFileBytes(path, SimWording); }

Result<Trace> ParseTrace(const CsvTable& table, const std::string& source, const TraceColumns& columns,
                         bool skip_bad_rows) {
  auto require = [&](const std::string& name, const char* what) -> Result<int> {
    int c = table.ColumnIndex(name);
    if (c < 0)
      return Status::InvalidArgument(source + ": no column '" + name + "' (" + what +
                                     "); the header has: " + [&] {
                                       std::string h;
                                       for (const auto& n : table.header) h += (h.empty() ? "" : ",") + n;
                                       return h;
                                     }());
    return c;
  };
  auto submit_col = require(columns.submit, "submission time in seconds");
  if (!submit_col.ok()) return submit_col.status();
  auto gpus_col = require(columns.gpus, "GPUs per job");
  if (!gpus_col.ok()) return gpus_col.status();
  auto dur_col = require(columns.duration, "run time in seconds");
  if (!dur_col.ok()) return dur_col.status();
  int id_col = columns.id.empty() ? -1 : table.ColumnIndex(columns.id);
  int team_col = -1, queue_col = -1;
  std::string team_name = columns.team;
  if (team_name.empty() && columns.team_auto && table.ColumnIndex("vc") >= 0) team_name = "vc";
  if (!team_name.empty()) {
    auto c = require(team_name, "the team column asked for");
    if (!c.ok()) return c.status();
    team_col = *c;
  }
  if (!columns.queue.empty()) {
    auto c = require(columns.queue, "the queue column asked for");
    if (!c.ok()) return c.status();
    queue_col = *c;
  }
  int ts_col = columns.timestamp.empty() ? -1 : table.ColumnIndex(columns.timestamp);

  Trace trace;
  trace.has_team = team_col >= 0;
  trace.team_column = team_col >= 0 ? team_name : "";
  trace.has_queue = queue_col >= 0;
  trace.rows = static_cast<int64_t>(table.rows.size());
  trace.jobs.reserve(table.rows.size());
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const CsvRow& row = table.rows[r];
    auto bad = [&](const std::string& column, const std::string& value, const std::string& why) {
      return source + ":" + std::to_string(row.line) + ": " + column + " '" + value + "' " + why;
    };
    std::string error;
    TraceJob job;
    job.line = row.line;
    double submit = 0, gpus = 0, duration = 0;
    const std::string& s_submit = row.fields[*submit_col];
    const std::string& s_gpus = row.fields[*gpus_col];
    const std::string& s_dur = row.fields[*dur_col];
    if (!ParseNonNegative(s_submit, &submit) || submit > kMaxSeconds) {
      error = bad(columns.submit, s_submit, "is not a number of seconds >= 0");
    } else if (!ParseNonNegative(s_gpus, &gpus) || gpus != std::floor(gpus) || gpus < 1 || gpus > 1e6) {
      error = bad(columns.gpus, s_gpus, "is not a whole number of GPUs >= 1");
    } else if (!ParseNonNegative(s_dur, &duration) || duration > kMaxSeconds) {
      error = bad(columns.duration, s_dur, "is not a number of seconds >= 0");
    }
    if (!error.empty()) {
      if (!skip_bad_rows) return Status::InvalidArgument(error);
      ++trace.skipped_rows;
      if (trace.skipped_examples.size() < 5) trace.skipped_examples.push_back(error);
      continue;
    }
    job.submit = ToMicros(submit);
    job.gpus = static_cast<int32_t>(gpus);
    job.duration = ToMicros(duration);
    job.name = id_col >= 0 ? row.fields[id_col] : "row-" + std::to_string(r + 1);
    if (team_col >= 0) job.team = row.fields[team_col];
    if (queue_col >= 0) job.queue = row.fields[queue_col];
    if (trace.jobs.empty() && ts_col >= 0) {
      trace.first_timestamp = row.fields[ts_col];
      trace.first_timestamp_submit = job.submit;
    }
    trace.jobs.push_back(std::move(job));
  }
  // The shared traces are sorted; others may not be. Ties keep file order.
  std::stable_sort(trace.jobs.begin(), trace.jobs.end(),
                   [](const TraceJob& a, const TraceJob& b) { return a.submit < b.submit; });
  return trace;
}

}  // namespace muster::sim
