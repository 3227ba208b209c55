// Trace rows -> the jobs every policy replays: absolute times, team and
// queue indices, time limits, off-peak windows and deadlines (seeded), and
// the jobs that can never fit the cluster set aside.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/timewin/offpeak.h"
#include "muster/status.h"
#include "muster/types.h"
#include "scheduler/sim/cluster_spec.h"
#include "scheduler/sim/sim_options.h"
#include "scheduler/sim/trace.h"

namespace muster::sim {

struct SimJob {
  JobId id = kNoJob;      // 1-based, in submit order
  std::string name;       // the trace's job_id
  Time submit = kNoTime;  // absolute, µs since the epoch
  int32_t gpus = 1;
  Duration duration = 0;    // true run time; only `srtf` and the mechanics know it
  int32_t team = 0;         // index into Workload::teams
  int32_t queue = 0;        // index into Workload::queues
  Duration time_limit = 0;  // what the scheduler is told (the queue default unless studied)
  Window window = Window::kAnytime;
  Time deadline = kNoTime;
  bool window_may_overrun = false;
};

struct Workload {
  std::vector<SimJob> jobs;         // by id
  std::vector<std::string> teams;   // sorted; "-" when the trace has none
  std::vector<std::string> queues;  // sorted; "default" when the trace has none
  Time trace_start = kNoTime;
  std::shared_ptr<const timewin::OffPeakCalendar> calendar;  // null: no off-peak windows
  int64_t filtered_out = 0;                                  // rows outside --start/--end/--max-jobs
  int64_t unplaceable = 0;  // jobs larger than any shape the cluster can host
  std::vector<std::string> unplaceable_examples;
  int64_t deferrable = 0;
};

// `nodes` decides which jobs can ever be placed (core::PlaceGang on the empty
// cluster): the rest are set aside and counted, since no policy could run them.
Result<Workload> BuildWorkload(const Trace& trace, const WorkloadOptions& options,
                               const std::vector<NodeSpec>& nodes);

// "auto" or RFC 3339 -> the instant of submit_time_s = 0.
Result<Time> ResolveTraceStart(const Trace& trace, const std::string& text);

// A filter bound: "30d" (since the trace start) or an RFC 3339 instant.
Result<Time> ResolveBound(const std::string& text, Time trace_start);

}  // namespace muster::sim
