// A job trace: the column format of tests/sim/data/sample-200.csv (job_id,
// submit_time_s, num_gpus, duration_s, ...), read by header name. Columns
// the simulator does not use are ignored; rows that cannot be understood are
// an error naming the file and line (or, when asked, skipped and counted).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/csv/csv.h"
#include "muster/status.h"
#include "muster/time.h"

namespace muster::sim {

// Traces and cluster files go through the shared CSV reader (common/csv),
// with muster-sim's own wording of its errors ("trace.csv:17: expected 7
// fields (as the header), found 5"). Blank lines are skipped.
using CsvTable = csv::Table;
using CsvRow = csv::Row;
Result<CsvTable> ParseCsv(std::string_view text, const std::string& source);
Result<CsvTable> ReadCsvFile(const std::string& path);
// The whole file as bytes, or an IoError naming it.
Result<std::string> ReadFileBytes(const std::string& path);

struct TraceColumns {
  std::string id = "job_id";                   // optional: row number when absent
  std::string submit = "submit_time_s";        // required: seconds since the trace start
  std::string gpus = "num_gpus";               // required: >= 1
  std::string duration = "duration_s";         // required: seconds of run time, >= 0
  std::string team;                            // optional: e.g. Philly's "vc"; empty: see team_auto
  bool team_auto = true;                       // no team column named: use "vc" when the trace has one
  std::string queue;                           // optional; empty: one queue ("default")
  std::string timestamp = "submit_timestamp";  // optional: wall-clock of the first row
};

struct TraceJob {
  std::string name;     // job_id (or "row-N")
  Duration submit = 0;  // since the trace start, µs
  int32_t gpus = 1;
  Duration duration = 0;  // true run time, µs
  std::string team;       // empty when the trace has no team column
  std::string queue;      // empty when the trace has no queue column
  int64_t line = 0;       // where it came from, for messages
};

struct Trace {
  std::vector<TraceJob> jobs;           // in submit order (stable: ties keep file order)
  std::string first_timestamp;          // the timestamp column's value on the first data row, if any
  Duration first_timestamp_submit = 0;  // that row's submit time (so start = timestamp - this)
  bool has_team = false;
  std::string team_column;  // the column teams came from ("" when one team)
  bool has_queue = false;
  int64_t rows = 0;                           // data rows in the file
  int64_t skipped_rows = 0;                   // malformed rows skipped (skip_bad_rows)
  std::vector<std::string> skipped_examples;  // the first few reasons
};

// `skip_bad_rows`: a malformed row is skipped and counted instead of failing.
// Missing required columns always fail.
Result<Trace> ParseTrace(const CsvTable& table, const std::string& source, const TraceColumns& columns,
                         bool skip_bad_rows);

// Parses one number field: an integer or a plain decimal, finite, >= 0.
// Returns false when it is neither.
bool ParseNonNegative(const std::string& s, double* out);

}  // namespace muster::sim
