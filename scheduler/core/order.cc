#include "scheduler/core/order.h"

#include <algorithm>

namespace muster::core {

FairShareOrder::FairShareOrder(const QueueSnapshot& q)
    : q_(q),
      lists_(q.queues.size()),
      queue_charge_(q.queues.size(), 0.0),
      team_charge_(q.teams.size(), 0.0) {}

void FairShareOrder::Add(const PendingJob& j) {
  QueueList& ql = lists_[j.queue];
  if (static_cast<size_t>(j.team) >= ql.slot.size()) ql.slot.resize(j.team + 1, -1);
  if (ql.slot[j.team] < 0) {
    ql.slot[j.team] = static_cast<int32_t>(ql.teams.size());
    ql.teams.push_back({j.team, {}, 0});
  }
  ql.teams[ql.slot[j.team]].jobs.push_back(&j);
  ++ql.remaining;
}

void FairShareOrder::Sort() {
  for (auto& ql : lists_)
    for (auto& tl : ql.teams)
      std::sort(tl.jobs.begin(), tl.jobs.end(), [](const PendingJob* a, const PendingJob* b) {
        if (a->priority != b->priority) return a->priority > b->priority;
        if (a->submit_time != b->submit_time) return a->submit_time < b->submit_time;
        return a->id < b->id;
      });
}

const PendingJob* FairShareOrder::Next() {
  // The best key so far is kept, not recomputed for every comparison: the
  // same value either way, for fewer lookups on the hot path.
  int64_t best = -1;
  double best_key = 0;
  for (size_t q = 0; q < lists_.size(); ++q) {
    if (lists_[q].remaining == 0) continue;
    double key = QueueKey(q);
    if (best < 0) {
      best = q;
      best_key = key;
      continue;
    }
    const auto& a = q_.queues[q];
    const auto& b = q_.queues[best];
    if (a.tier != b.tier ? a.tier > b.tier : key < best_key) {
      best = q;
      best_key = key;
    }
  }
  if (best < 0) return nullptr;
  QueueList& ql = lists_[best];
  TeamList* team = nullptr;
  double team_key = 0;
  for (auto& tl : ql.teams) {
    if (tl.next >= tl.jobs.size()) continue;
    double key = TeamKey(tl.team);
    // Ties: by team, not snapshot order.
    if (!team || key < team_key || (key == team_key && tl.team < team->team)) {
      team = &tl;
      team_key = key;
    }
  }
  --ql.remaining;
  return team->jobs[team->next++];
}

}  // namespace muster::core
