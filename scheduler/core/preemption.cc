#include "scheduler/core/preemption.h"

#include <algorithm>
#include <climits>
#include <optional>

#include "scheduler/core/demand.h"
#include "scheduler/core/gang.h"

namespace muster::core {

Preemptor::Preemptor(const ClusterSnapshot& cluster, const QueueSnapshot& q, const QuotaGate& quota,
                     FreeIndex& index)
    : cluster_(cluster), q_(q), quota_(quota), index_(index) {
  for (const auto& r : cluster.running) {
    if (!r.preemptible || r.ending || r.queue < 0 || r.queue >= static_cast<int32_t>(q.queues.size()))
      continue;
    preemptible_.push_back(&r);
    min_preemptible_tier_ = std::min(min_preemptible_tier_, q.queues[r.queue].tier);
  }
}

bool Preemptor::MayPreempt(const PendingJob& j, const RunningJob& v, int32_t need) const {
  if (!v.preemptible || v.ending || claimed_.count(v.id) || v.queue < 0 ||
      v.queue >= static_cast<int32_t>(q_.queues.size()))
    return false;
  const auto& mine = q_.queues[j.queue];
  const auto& theirs = q_.queues[v.queue];
  if (theirs.tier < mine.tier) return true;
  // A queue below its guarantee reclaims GPUs that other queues borrowed.
  bool below_guarantee = quota_.used(j.queue) + need <= mine.guaranteed_gpus;
  bool victim_borrows = v.queue != j.queue && quota_.Borrows(v.queue);
  return below_guarantee && victim_borrows;
}

bool Preemptor::AnyPreemptionRight(const PendingJob& j, int32_t need) const {
  const auto& mine = q_.queues[j.queue];
  if (min_preemptible_tier_ < mine.tier) return true;
  if (quota_.used(j.queue) + need > mine.guaranteed_gpus) return false;
  for (const RunningJob* r : preemptible_)
    if (MayPreempt(j, *r, need)) return true;
  return false;
}

void Preemptor::GiveBack(const std::vector<NodeAllocation>& placement) {
  for (const auto& a : placement) {
    int32_t node = index_.NodeIndex(a.node);
    if (node >= 0) index_.Give(node, a.gpus);
  }
}

// Takes out of the free index whichever of these GPUs are free in it now.
void Preemptor::TakeIfFree(const std::vector<NodeAllocation>& placement) {
  for (const auto& a : placement) {
    int32_t node = index_.NodeIndex(a.node);
    if (node < 0) continue;
    std::vector<int32_t> back;
    for (int32_t g : a.gpus)
      if (std::binary_search(index_.free(node).begin(), index_.free(node).end(), g)) back.push_back(g);
    index_.Take(node, back);
  }
}

Preemptor::Victims Preemptor::FindVictims(const PendingJob& j) {
  ++attempts_;
  int32_t need = NeedOf(j);
  std::vector<const RunningJob*> candidates;
  for (const RunningJob* r : preemptible_)
    if (MayPreempt(j, *r, need)) candidates.push_back(r);
  if (candidates.empty()) return {};
  std::sort(candidates.begin(), candidates.end(), [&](const RunningJob* a, const RunningJob* b) {
    bool a_borrows = quota_.Borrows(a->queue), b_borrows = quota_.Borrows(b->queue);
    if (a_borrows != b_borrows) return a_borrows;
    if (a->priority != b->priority) return a->priority < b->priority;
    if (a->start_time != b->start_time) return a->start_time > b->start_time;  // youngest first
    return a->id > b->id;
  });
  // GPUs of jobs already on their way out count first: no new victim for them.
  std::vector<const RunningJob*> leaving;
  for (const auto& r : cluster_.running)
    if (r.ending && !claimed_.count(r.id)) leaving.push_back(&r);
  for (auto* r : leaving) GiveBack(r->placement);
  std::vector<const RunningJob*> chosen;
  auto alloc = PlaceGang(index_, j);
  for (size_t i = 0; !alloc && i < candidates.size(); ++i) {
    GiveBack(candidates[i]->placement);
    chosen.push_back(candidates[i]);
    alloc = PlaceGang(index_, j);
  }
  if (alloc) {
    // Drop victims that turn out unnecessary, the last added kept.
    for (size_t i = chosen.size(); i-- > 1;) {
      TakeIfFree(chosen[i - 1]->placement);
      if (auto smaller = PlaceGang(index_, j)) {
        alloc = std::move(smaller);
        chosen.erase(chosen.begin() + (i - 1));
      } else {
        GiveBack(chosen[i - 1]->placement);
      }
    }
  }
  // Everything given back is busy again; then the GPUs of the job's future
  // place that are free now are held for it.
  for (auto* r : chosen) TakeIfFree(r->placement);
  for (auto* r : leaving) TakeIfFree(r->placement);
  if (!alloc || (chosen.empty() && leaving.empty())) return {};
  auto uses = [&](const RunningJob* r) {
    for (const auto& a : r->placement)
      for (const auto& b : *alloc)
        if (a.node == b.node)
          for (int32_t g : a.gpus)
            if (std::find(b.gpus.begin(), b.gpus.end(), g) != b.gpus.end()) return true;
    return false;
  };
  for (auto* r : chosen) claimed_.insert(r->id);
  for (auto* r : leaving)
    if (uses(r)) claimed_.insert(r->id);
  TakeIfFree(*alloc);
  bool wait = chosen.empty();
  return {std::move(chosen), wait};
}

}  // namespace muster::core
