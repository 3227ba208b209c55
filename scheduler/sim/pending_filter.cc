#include "scheduler/sim/pending_filter.h"

#include <algorithm>

#include "scheduler/core/window.h"

namespace muster::sim {
namespace {

Duration LimitOf(const core::PendingJob& j, const core::QueueSnapshot& q) {
  if (j.time_limit > 0) return j.time_limit;
  if (j.queue >= 0 && j.queue < static_cast<int32_t>(q.queues.size()))
    return q.queues[j.queue].default_time_limit;
  return 0;
}

int32_t NeedOf(const core::PendingJob& j) { return j.nodes > 0 ? j.nodes * j.gpus_per_node : j.total_gpus; }

// Decide's order inside a team list (policy.cc SortIntoTeams).
bool Before(const core::PendingJob& a, const core::PendingJob& b) {
  if (a.priority != b.priority) return a.priority > b.priority;
  if (a.submit_time != b.submit_time) return a.submit_time < b.submit_time;
  return a.id < b.id;
}

// Jobs the argument does not cover are always kept.
bool Unusual(const core::PendingJob& j, const core::QueueSnapshot& q) {
  return j.deps != core::DependencyState::kMet || j.held || j.array >= 0 ||
         j.topology != core::Topology::kAny || j.nodes > 0 || j.queue < 0 ||
         j.queue >= static_cast<int32_t>(q.queues.size()) || q.queues[j.queue].paused || NeedOf(j) <= 0;
}

}  // namespace

std::vector<Duration>& PendingFilter::Heap(int32_t team, int32_t need) {
  for (const auto& [n, idx] : team_heaps_[team])
    if (n == need) return heaps_[idx];
  if (heaps_used_ == heaps_.size()) heaps_.emplace_back();
  heaps_[heaps_used_].clear();
  team_heaps_[team].push_back({need, heaps_used_});
  return heaps_[heaps_used_++];
}

SelectResult PendingFilter::Select(const std::vector<const core::PendingJob*>& jobs,
                                   const core::QueueSnapshot& q, int32_t free_gpus, Time now, bool prune,
                                   std::vector<core::PendingJob>* out) {
  SelectResult r;
  size_t teams = q.teams.size();
  heaps_used_ = 0;
  team_heaps_.resize(teams);
  for (auto& t : team_heaps_) t.clear();
  team_seen_.assign(teams, 0);
  team_last_.assign(teams, nullptr);
  size_t first_out = out->size();
  r.pruned = prune;
  for (const core::PendingJob* jp : jobs) {
    const core::PendingJob& j = *jp;
    if (j.window != Window::kAnytime) {
      core::WindowVerdict w = core::CheckWindow(j, LimitOf(j, q), now, q.policy.offpeak);
      if (!w.eligible) {
        if (w.eta != kNoTime && w.eta > now && (r.next_eligible == kNoTime || w.eta < r.next_eligible))
          r.next_eligible = w.eta;
        if (!prune) out->push_back(j);
        continue;  // (a)
      }
    }
    ++r.eligible;
    int32_t need = NeedOf(j);
    if (need > 0) r.min_eligible_need = std::min(r.min_eligible_need, need);
    if (!prune) {
      out->push_back(j);
      continue;
    }
    if (Unusual(j, q) || j.team < 0 || j.team >= static_cast<int32_t>(teams)) {
      out->push_back(j);
      continue;
    }
    // The argument needs the given order to be Decide's order in each team.
    if (team_last_[j.team] && Before(j, *team_last_[j.team])) r.pruned = false;
    team_last_[j.team] = &j;
    bool keep = !team_seen_[j.team];  // (c): the team's first eligible job
    team_seen_[j.team] = 1;
    size_t k1 = static_cast<size_t>(free_gpus / need) + 1;
    Duration limit = LimitOf(j, q);
    auto& heap = Heap(j.team, need);
    if (heap.size() < k1) {
      heap.push_back(limit);
      std::push_heap(heap.begin(), heap.end());
      keep = true;
    } else if (limit < heap.front()) {
      std::pop_heap(heap.begin(), heap.end());
      heap.back() = limit;
      std::push_heap(heap.begin(), heap.end());
      keep = true;
    }
    // else (b): k + 1 earlier jobs of its size with limits <= its own.
    if (keep) out->push_back(j);
  }
  if (prune && !r.pruned) {
    // Not in Decide's order: pass everything.
    out->resize(first_out);
    for (const core::PendingJob* jp : jobs) out->push_back(*jp);
  }
  return r;
}

}  // namespace muster::sim
