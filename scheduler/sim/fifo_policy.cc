#include "scheduler/sim/fifo_policy.h"

#include "scheduler/core/gang.h"
#include "scheduler/sim/sim_core.h"

namespace muster::sim {

FifoPolicy::FifoPolicy(const Workload& w, const MusterOptions& o)
    : queued_(w.queues.size()), used_(w.queues.size(), 0), weight_(w.queues.size(), 1.0) {
  for (size_t q = 0; q < w.queues.size(); ++q)
    for (const auto& qo : o.queues)
      if (qo.name == w.queues[q] && qo.weight > 0) weight_[q] = qo.weight;
}

void FifoPolicy::OnPending(const SimView& view, int32_t job) {
  queued_[view.workload.jobs[job].queue].insert(job);
}

void FifoPolicy::OnStarted(const SimView& view, int32_t job) {
  const SimJob& j = view.workload.jobs[job];
  queued_[j.queue].erase(job);
  used_[j.queue] += j.gpus;
}

void FifoPolicy::OnReleased(const SimView& view, int32_t job) {
  const SimJob& j = view.workload.jobs[job];
  used_[j.queue] -= j.gpus;
}

void FifoPolicy::Decide(const SimView& view, const Changes& changes, Actions* out) {
  // Only a new head or freed GPUs can let a head start.
  if (!changes.arrivals && !changes.freed) return;
  out->consulted = true;
  auto scratch = view.cluster.BeginScratch();
  std::vector<std::set<int32_t>::const_iterator> it(queued_.size());
  std::vector<int64_t> used = used_;
  std::vector<bool> blocked(queued_.size(), false);
  for (size_t q = 0; q < queued_.size(); ++q) it[q] = queued_[q].begin();
  while (true) {
    // The least-served queue whose head is not blocked.
    int64_t best = -1;
    for (size_t q = 0; q < queued_.size(); ++q) {
      if (blocked[q] || it[q] == queued_[q].end()) continue;
      if (best < 0 || used[q] / weight_[q] < used[best] / weight_[best]) best = static_cast<int64_t>(q);
    }
    if (best < 0) break;
    int32_t job = *it[best];
    auto alloc = core::PlaceGang(scratch->index(), PendingFor(view.workload, job));
    if (!alloc) {
      blocked[best] = true;  // head-of-line: nothing behind it in this queue starts
      continue;
    }
    scratch->Take(*alloc);
    used[best] += view.workload.jobs[job].gpus;
    out->starts.push_back({job, std::move(*alloc)});
    ++it[best];
  }
}

}  // namespace muster::sim
