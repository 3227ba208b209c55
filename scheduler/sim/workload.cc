#include "scheduler/sim/workload.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/base/strings.h"
#include "scheduler/core/free_index.h"
#include "scheduler/core/gang.h"
#include "scheduler/sim/rng.h"

namespace muster::sim {

Result<Time> ResolveTraceStart(const Trace& trace, const std::string& text) {
  if (text != "auto") {
    auto t = ParseRfc3339(text);
    if (!t.ok()) return Status::InvalidArgument("--trace-start: " + t.status().message());
    return *t;
  }
  if (!trace.first_timestamp.empty()) {
    // The shared traces write local wall-clock strings without a zone
    // ("2017-09-04 10:30:41"); read them as UTC.
    std::string s = trace.first_timestamp;
    if (s.size() > 10 && s[10] == ' ') s[10] = 'T';
    if (s.find('Z') == std::string::npos && s.find('+') == std::string::npos && s.size() <= 19) s += "Z";
    auto t = ParseRfc3339(s);
    if (t.ok()) return *t - trace.first_timestamp_submit;
  }
  auto t = ParseRfc3339("2020-01-06T00:00:00Z");
  return *t;
}

Result<Time> ResolveBound(const std::string& text, Time trace_start) {
  if (text.find('T') != std::string::npos && text.find('-') != std::string::npos) {
    auto t = ParseRfc3339(text);
    if (!t.ok()) return t.status();
    return *t;
  }
  auto d = ParseDuration(text);
  if (!d.ok()) return Status::InvalidArgument("'" + text + "' is neither a duration (30d) nor RFC 3339");
  return trace_start + *d;
}

namespace {

// Whether a job of `gpus` GPUs places on the empty cluster, by the core's
// own gang placement (so "can never run" means the same as in musterd).
class EmptyClusterCheck {
 public:
  explicit EmptyClusterCheck(const std::vector<NodeSpec>& nodes) {
    for (const auto& n : nodes) {
      core::NodeView v;
      v.name = n.name;
      v.labels = n.labels;
      v.gpus_total = n.gpus;
      for (int32_t g = 0; g < n.gpus; ++g) v.free_gpus.push_back(g);
      snapshot_.nodes.push_back(std::move(v));
    }
    index_ = std::make_unique<core::FreeIndex>(snapshot_);
  }
  bool Fits(int32_t gpus) {
    auto it = memo_.find(gpus);
    if (it != memo_.end()) return it->second;
    core::PendingJob p;
    p.id = 1;
    p.total_gpus = gpus;
    bool fits = core::PlaceGang(*index_, p).has_value();
    memo_[gpus] = fits;
    return fits;
  }

 private:
  core::ClusterSnapshot snapshot_;
  std::unique_ptr<core::FreeIndex> index_;
  std::map<int32_t, bool> memo_;
};

}  // namespace

Result<Workload> BuildWorkload(const Trace& trace, const WorkloadOptions& o,
                               const std::vector<NodeSpec>& nodes) {
  Workload w;
  auto start = ResolveTraceStart(trace, o.trace_start);
  if (!start.ok()) return start.status();
  w.trace_start = *start;
  if (o.deferrable_fraction < 0 || o.deferrable_fraction > 1)
    return Status::InvalidArgument("--deferrable-fraction must be between 0 and 1");
  if (o.limit_factor < 0 || o.limit_noise < 0)
    return Status::InvalidArgument("--time-limit-from-duration: factor and noise must be >= 0");
  if (o.default_time_limit < 0) return Status::InvalidArgument("--default-time-limit cannot be negative");
  if (!o.offpeak.empty()) {
    auto cal = timewin::OffPeakCalendar::Create(o.offpeak, o.timezone);
    if (!cal.ok()) return cal.status();
    w.calendar = *cal;
  }
  Time lo = kNoTime, hi = kNoTime;
  if (!o.start.empty()) {
    auto t = ResolveBound(o.start, w.trace_start);
    if (!t.ok()) return Status::InvalidArgument("--start: " + t.status().message());
    lo = *t;
  }
  if (!o.end.empty()) {
    auto t = ResolveBound(o.end, w.trace_start);
    if (!t.ok()) return Status::InvalidArgument("--end: " + t.status().message());
    hi = *t;
  }

  // Teams and queues by sorted name: indices do not depend on row order.
  std::map<std::string, int32_t> teams, queues;
  EmptyClusterCheck fits(nodes);
  std::vector<size_t> runnable;
  for (size_t i = 0; i < trace.jobs.size(); ++i) {
    const TraceJob& t = trace.jobs[i];
    Time submit = w.trace_start + t.submit;
    if ((lo != kNoTime && submit < lo) || (hi != kNoTime && submit >= hi) ||
        (o.max_jobs > 0 && static_cast<int64_t>(runnable.size()) >= o.max_jobs)) {
      ++w.filtered_out;
      continue;
    }
    if (!fits.Fits(t.gpus)) {
      ++w.unplaceable;
      if (w.unplaceable_examples.size() < 5)
        w.unplaceable_examples.push_back("job " + t.name + " (line " + std::to_string(t.line) + ") needs " +
                                         std::to_string(t.gpus) + " GPUs");
      continue;
    }
    runnable.push_back(i);
    teams.emplace(trace.has_team ? t.team : "-", 0);
    queues.emplace(trace.has_queue ? t.queue : "default", 0);
  }
  for (auto& [name, idx] : teams) {
    idx = static_cast<int32_t>(w.teams.size());
    w.teams.push_back(name);
  }
  for (auto& [name, idx] : queues) {
    idx = static_cast<int32_t>(w.queues.size());
    w.queues.push_back(name);
  }
  bool windows = w.calendar && !w.calendar->empty();
  w.jobs.reserve(runnable.size());
  for (size_t i : runnable) {
    const TraceJob& t = trace.jobs[i];
    SimJob j;
    j.id = static_cast<JobId>(w.jobs.size() + 1);
    j.name = t.name;
    j.submit = w.trace_start + t.submit;
    j.gpus = t.gpus;
    j.duration = t.duration;
    j.team = teams.at(trace.has_team ? t.team : "-");
    j.queue = queues.at(trace.has_queue ? t.queue : "default");
    if (o.limit_factor > 0) {
      double u = UnitUniform(o.seed, RngStream::kTimeLimitNoise, i);
      double f = o.limit_factor * (1.0 + o.limit_noise * (2.0 * u - 1.0));
      j.time_limit = std::max<Duration>(
          kSecond, static_cast<Duration>(std::llround(static_cast<double>(t.duration) * f)));
    } else {
      j.time_limit = o.default_time_limit;
    }
    if (windows && UnitUniform(o.seed, RngStream::kDeferrable, i) < o.deferrable_fraction) {
      j.window = Window::kOffpeakPreferred;
      j.deadline = j.submit + t.duration + o.deadline_slack;
      j.window_may_overrun = o.window_may_overrun;
      ++w.deferrable;
    }
    w.jobs.push_back(std::move(j));
  }
  return w;
}

}  // namespace muster::sim
