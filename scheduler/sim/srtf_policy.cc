#include "scheduler/sim/srtf_policy.h"

namespace muster::sim {

PriorityKey SrtfPolicy::KeyOf(const SimView& view, int32_t job, Time now) const {
  const JobRun& r = view.runs[job];
  const SimJob& j = view.workload.jobs[job];
  Duration left = r.remaining;
  if (r.phase == Phase::kRunning) left -= now - r.attempt_start;
  return {left * j.gpus, j.submit, static_cast<int64_t>(j.id)};
}

}  // namespace muster::sim
