#include "scheduler/core/policy.h"

#include <algorithm>
#include <climits>
#include <set>
#include <string>

#include "common/base/strings.h"
#include "scheduler/core/backfill.h"
#include "scheduler/core/demand.h"
#include "scheduler/core/eligibility.h"
#include "scheduler/core/free_index.h"
#include "scheduler/core/gang.h"
#include "scheduler/core/order.h"
#include "scheduler/core/planner.h"
#include "scheduler/core/preemption.h"
#include "scheduler/core/quota.h"

namespace muster::core {
namespace {

// "Shape (n, g) cannot be placed now" remembered for the rest of the cycle:
// free GPUs only shrink while a cycle runs, so any gang at least as large in
// both dimensions fails too. Turns 100,000 blocked jobs into lookups.
class FailureMemo {
 public:
  explicit FailureMemo(int32_t max_gpn) : min_nodes_(std::max(max_gpn, 0) + 1, INT32_MAX) {}
  bool Fails(const Shape& s) const {
    if (s.gpus_per_node < 0 || s.gpus_per_node >= static_cast<int32_t>(min_nodes_.size())) return false;
    return min_nodes_[s.gpus_per_node] <= s.nodes;
  }
  void Record(const Shape& s) {
    for (size_t g = std::max(s.gpus_per_node, 0); g < min_nodes_.size(); ++g)
      min_nodes_[g] = std::min(min_nodes_[g], s.nodes);
  }

 private:
  std::vector<int32_t> min_nodes_;  // [g]: fewest nodes of >= g GPUs known not to fit
};

class Cycle {
 public:
  Cycle(const ClusterSnapshot& cluster, const QueueSnapshot& q, Time now)
      : cluster_(cluster),
        q_(q),
        now_(now),
        index_(cluster),
        memo_(index_.max_gpus_per_node()),
        order_(q),
        quota_(cluster, q),
        preemptor_(cluster, q, quota_, index_),
        backfill_(cluster, q, index_, now) {}

  Plan Run() {
    SortIntoTeams();
    while (PendingJob const* job = order_.Next()) Consider(*job);
    return std::move(plan_);
  }

 private:
  void Verdict(const PendingJob& j, PendingReason r, std::string detail, Time eta = kNoTime) {
    plan_.pending.push_back({j.id, r, std::move(detail), eta});
  }

  // Step 1: eligibility; eligible jobs go into the fair-share order.
  void SortIntoTeams() {
    for (const auto& j : q_.pending) {
      Eligibility e = CheckEligibility(j, q_, index_.max_gpus_per_node(), now_);
      if (e.outcome == Eligibility::Outcome::kNeverRunnable) {
        plan_.never_runnable.push_back(j.id);
        continue;
      }
      if (e.outcome == Eligibility::Outcome::kPending) {
        Verdict(j, e.reason, std::move(e.detail), e.eta);
        continue;
      }
      order_.Add(j);
    }
    order_.Sort();
  }

  bool MemoFails(const PendingJob& j) const {
    for (const Shape& s : ShapesFor(j, index_.max_gpus_per_node()))
      if (!memo_.Fails(s)) return false;
    return true;
  }
  void MemoRecord(const PendingJob& j) {
    if (j.topology != Topology::kAny) return;
    for (const Shape& s : ShapesFor(j, index_.max_gpus_per_node())) memo_.Record(s);
  }

  void Commit(const PendingJob& j, std::vector<NodeAllocation> alloc, Duration limit) {
    for (const auto& a : alloc) index_.Take(index_.NodeIndex(a.node), a.gpus);
    int32_t gpus = GpusOf(alloc);
    quota_.Charge(j, gpus);
    order_.Charge(j, gpus, limit);
    backfill_.RecordPlacement(limit);
    plan_.placements.push_back({j.id, std::move(alloc)});
  }

  void Consider(const PendingJob& j) {
    if (auto refusal = quota_.Refusal(j)) {
      Verdict(j, PendingReason::kQuota, std::move(*refusal));
      return;
    }
    int32_t need = NeedOf(j);
    Duration limit = TimeLimitOf(j, q_);
    std::optional<std::vector<NodeAllocation>> alloc;
    if (!MemoFails(j)) {
      alloc = PlaceGang(index_, j);
      if (!alloc) MemoRecord(j);
    }
    if (!alloc) alloc = backfill_.PlaceWithReservedGpus(j, limit);
    if (alloc) {
      Commit(j, std::move(*alloc), limit);
      return;
    }
    if (preemptor_.MayAttempt(j, need)) {
      Preemptor::Victims victims = preemptor_.FindVictims(j);
      if (victims.wait_for_leavers) {
        Verdict(j, PendingReason::kResources, "waiting for preempted jobs to stop", now_);
        return;
      }
      if (!victims.chosen.empty()) {
        std::string ids;
        for (auto* v : victims.chosen) {
          plan_.preemptions.push_back({v->id, j.id, "preempted for job " + std::to_string(j.id)});
          ids += (ids.empty() ? "" : ",") + std::to_string(v->id);
        }
        Verdict(j, PendingReason::kResources, "preempting job(s) " + ids);
        return;
      }
    }
    if (backfill_.TryReserve(j, plan_.placements)) {
      Time start = backfill_.reservation()->start;
      Verdict(j, PendingReason::kResources, "reserved, starts by " + FormatRfc3339(start), start);
      return;
    }
    std::string detail = "needs " + DescribeNeed(j) + "; " + std::to_string(index_.total_free()) + " free";
    if (const auto& r = backfill_.reservation()) detail += "; reserved for job " + std::to_string(r->job);
    Verdict(j, PendingReason::kResources, std::move(detail));
  }

  const ClusterSnapshot& cluster_;
  const QueueSnapshot& q_;
  Time now_;
  FreeIndex index_;
  FailureMemo memo_;
  FairShareOrder order_;
  QuotaGate quota_;
  Preemptor preemptor_;
  Backfill backfill_;
  Plan plan_;
};

}  // namespace

Plan Decide(const ClusterSnapshot& cluster, const QueueSnapshot& queue, Time now) {
  return Cycle(cluster, queue, now).Run();
}

}  // namespace muster::core
