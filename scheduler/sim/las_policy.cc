#include "scheduler/sim/las_policy.h"

#include <algorithm>
#include <cmath>

namespace muster::sim {

LasPolicy::LasPolicy(const LasOptions& o) {
  for (double h : o.thresholds_gpu_hours)
    thresholds_.push_back(static_cast<Duration>(std::llround(h * static_cast<double>(kHour))));
  std::sort(thresholds_.begin(), thresholds_.end());
}

Duration LasPolicy::AttainedNow(const SimView& view, int32_t job, Time now) const {
  const JobRun& r = view.runs[job];
  Duration a = r.attained;
  if (r.phase == Phase::kRunning) a += (now - r.attempt_start) * view.workload.jobs[job].gpus;
  return a;
}

PriorityKey LasPolicy::KeyOf(const SimView& view, int32_t job, Time now) const {
  Duration a = AttainedNow(view, job, now);
  int64_t level = std::upper_bound(thresholds_.begin(), thresholds_.end(), a) - thresholds_.begin();
  const SimJob& j = view.workload.jobs[job];
  return {level, j.submit, static_cast<int64_t>(j.id)};
}

Time LasPolicy::NextKeyChange(const SimView& view, int32_t job, Time now) const {
  Duration a = AttainedNow(view, job, now);
  auto it = std::upper_bound(thresholds_.begin(), thresholds_.end(), a);
  if (it == thresholds_.end()) return kNoTime;
  int32_t g = view.workload.jobs[job].gpus;
  return now + (*it - a + g - 1) / g;  // the first µs at which attained passes the threshold
}

}  // namespace muster::sim
