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

double FairShareOrder::QueueKey(size_t q) const {
  double usage = q < q_.queue_usage_gpu_hours.size() ? q_.queue_usage_gpu_hours[q] : 0.0;
  return (usage + queue_charge_[q]) / std::max(q_.queues[q].weight, 1e-9);
}

double FairShareOrder::TeamKey(int32_t t) const {
  double usage = t >= 0 && t < static_cast<int32_t>(q_.teams.size()) ? q_.teams[t].usage_gpu_hours : 0.0;
  return usage + (t >= 0 && t < static_cast<int32_t>(team_charge_.size()) ? team_charge_[t] : 0.0);
}

const PendingJob* FairShareOrder::Next() {
  int64_t best = -1;
  for (size_t q = 0; q < lists_.size(); ++q) {
    if (lists_[q].remaining == 0) continue;
    if (best < 0) {
      best = q;
      continue;
    }
    const auto& a = q_.queues[q];
    const auto& b = q_.queues[best];
    if (a.tier != b.tier ? a.tier > b.tier : QueueKey(q) < QueueKey(best)) best = q;
  }
  if (best < 0) return nullptr;
  QueueList& ql = lists_[best];
  TeamList* team = nullptr;
  for (auto& tl : ql.teams) {
    if (tl.next >= tl.jobs.size()) continue;
    if (!team) {
      team = &tl;
      continue;
    }
    double a = TeamKey(tl.team), b = TeamKey(team->team);
    if (a < b || (a == b && tl.team < team->team)) team = &tl;  // ties: by team, not snapshot order
  }
  --ql.remaining;
  return team->jobs[team->next++];
}

void FairShareOrder::Charge(const PendingJob& j, int32_t gpus, Duration limit) {
  double hours = static_cast<double>(limit > 0 ? limit : q_.policy.fair_share_horizon) / kHour;
  queue_charge_[j.queue] += gpus * hours;
  if (j.team >= 0 && j.team < static_cast<int32_t>(team_charge_.size())) team_charge_[j.team] += gpus * hours;
}

}  // namespace muster::core
