#include "scheduler/sim/priority_policy.h"

#include <algorithm>
#include <optional>

#include "scheduler/core/gang.h"
#include "scheduler/sim/sim_core.h"

namespace muster::sim {
namespace {

int32_t CountGpus(const std::vector<NodeAllocation>& a) {
  int32_t n = 0;
  for (const auto& x : a) n += static_cast<int32_t>(x.gpus.size());
  return n;
}

// `list` minus the GPUs of `taken`.
void Subtract(std::vector<NodeAllocation>* list, const std::vector<NodeAllocation>& taken) {
  for (auto& a : *list)
    for (const auto& t : taken)
      if (t.node == a.node)
        a.gpus.erase(std::remove_if(a.gpus.begin(), a.gpus.end(),
                                    [&](int32_t g) {
                                      return std::find(t.gpus.begin(), t.gpus.end(), g) != t.gpus.end();
                                    }),
                     a.gpus.end());
  list->erase(
      std::remove_if(list->begin(), list->end(), [](const NodeAllocation& a) { return a.gpus.empty(); }),
      list->end());
}

}  // namespace

void PriorityPolicy::OnPending(const SimView& view, int32_t job) {
  PriorityKey k = KeyOf(view, job, view.now);
  pending_.insert({k, job});
  pending_key_[job] = k;
  ++need_count_[view.workload.jobs[job].gpus];
}

void PriorityPolicy::OnStarted(const SimView& view, int32_t job) {
  auto it = pending_key_.find(job);
  if (it == pending_key_.end()) return;
  pending_.erase({it->second, job});
  pending_key_.erase(it);
  auto n = need_count_.find(view.workload.jobs[job].gpus);
  if (--n->second == 0) need_count_.erase(n);
}

void PriorityPolicy::Decide(const SimView& view, const Changes& changes, Actions* out) {
  if (pending_.empty()) return;
  if (!changes.arrivals && !changes.freed && !changes.wakeup) return;
  out->consulted = true;
  const auto& jobs = view.workload.jobs;
  const auto& runs = view.runs;
  Time now = view.now;

  candidates_.clear();
  ending_.clear();
  int64_t ending_gpus = 0;
  Time wake = kNoTime;
  for (const auto& r : view.cluster.snapshot().running) {
    int32_t j = static_cast<int32_t>(r.id - 1);
    if (r.ending) {
      ending_.push_back(r.placement);
      ending_gpus += CountGpus(r.placement);
      continue;
    }
    candidates_.push_back({KeyOf(view, j, now), j});
    Time k = NextKeyChange(view, j, now);
    if (k != kNoTime && k > now && (wake == kNoTime || k < wake)) wake = k;
  }
  std::make_heap(candidates_.begin(), candidates_.end());
  out->wakeup = wake;

  auto scratch = view.cluster.BeginScratch();
  auto place = [&](const SimJob& job) -> std::optional<std::vector<NodeAllocation>> {
    if (scratch->index().total_free() < job.gpus) return std::nullopt;
    return core::PlaceGang(scratch->index(), PendingFor(view.workload, static_cast<int32_t>(job.id - 1)));
  };
  // GPU counts known not to place on free GPUs, or not even with every GPU a
  // job may claim or preempt: within a decision, free GPUs only shrink and
  // later jobs have worse keys (fewer victims).
  std::set<int32_t> fails_now, fails_all;
  const int32_t min_need = need_count_.begin()->first;

  struct Given {
    int64_t victim;  // index into `victims`, or -1 for an ending group
    size_t group;    // index into ending_ when not a victim
  };
  std::vector<Entry> victims;
  std::vector<Given> given;

  for (const auto& [key, j] : pending_) {
    const SimJob& job = jobs[j];
    bool may_start = scratch->index().total_free() >= min_need;
    bool may_preempt = !candidates_.empty() && key < candidates_.front().first;
    if (!may_start && !may_preempt) break;  // and so for every worse key after it

    // 1. Free GPUs: start now.
    if (!fails_now.count(job.gpus)) {
      if (auto alloc = place(job)) {
        scratch->Take(*alloc);
        out->starts.push_back({j, std::move(*alloc)});
        continue;
      }
      fails_now.insert(job.gpus);
    }
    if (fails_all.count(job.gpus)) continue;
    // An upper bound first: free + being freed + held by worse jobs.
    int64_t bound = scratch->index().total_free() + ending_gpus;
    if (bound < job.gpus && may_preempt)
      for (const auto& c : candidates_)
        if (key < c.first) bound += jobs[c.second].gpus;
    if (bound < job.gpus) {
      fails_all.insert(job.gpus);
      continue;
    }
    // 2. Add GPUs being freed, then 3. worse jobs' GPUs, worst first, until
    // the gang places.
    victims.clear();
    given.clear();
    std::optional<std::vector<NodeAllocation>> alloc;
    for (size_t g = 0; g < ending_.size() && !alloc; ++g) {
      if (ending_[g].empty()) continue;
      scratch->Give(ending_[g]);
      given.push_back({-1, g});
      alloc = place(job);
    }
    while (!alloc && !candidates_.empty() && key < candidates_.front().first) {
      std::pop_heap(candidates_.begin(), candidates_.end());
      victims.push_back(candidates_.back());
      candidates_.pop_back();
      scratch->Give(runs[victims.back().second].placement);
      given.push_back({static_cast<int64_t>(victims.size() - 1), 0});
      alloc = place(job);
    }
    auto take_back = [&] {
      for (auto it = given.rbegin(); it != given.rend(); ++it)
        scratch->Take(it->victim < 0 ? ending_[it->group] : runs[victims[it->victim].second].placement);
    };
    if (!alloc) {
      take_back();
      for (const auto& v : victims) {
        candidates_.push_back(v);
        std::push_heap(candidates_.begin(), candidates_.end());
      }
      fails_all.insert(job.gpus);
      continue;
    }
    // Spare the least-bad victims it does not need.
    std::vector<bool> spared(victims.size(), false);
    for (size_t i = victims.size(); i-- > 0;) {
      scratch->Take(runs[victims[i].second].placement);
      if (place(job)) {
        spared[i] = true;
      } else {
        scratch->Give(runs[victims[i].second].placement);
      }
    }
    alloc = place(job);
    scratch->Take(*alloc);
    take_back();  // what it does not use is not free now
    for (auto& grp : ending_) Subtract(&grp, *alloc);
    for (size_t i = 0; i < victims.size(); ++i) {
      if (spared[i]) {
        candidates_.push_back(victims[i]);
        std::push_heap(candidates_.begin(), candidates_.end());
        continue;
      }
      out->preempt.push_back(victims[i].second);
      std::vector<NodeAllocation> rest = runs[victims[i].second].placement;
      Subtract(&rest, *alloc);
      ending_.push_back(std::move(rest));  // frees after the grace period; others may claim it
    }
    ending_gpus = 0;
    for (const auto& grp : ending_) ending_gpus += CountGpus(grp);
    // It waits for its GPUs (being freed now): nothing more to do for it.
  }
}

}  // namespace muster::sim
