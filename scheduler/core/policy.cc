#include "scheduler/core/policy.h"

#include <algorithm>
#include <climits>
#include <set>
#include <string>

#include "common/base/strings.h"
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
        preemptor_(cluster, q, quota_, index_) {}

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
    placed_ends_.push_back(limit > 0 ? now_ + limit : kNoTime);
    plan_.placements.push_back({j.id, std::move(alloc)});
  }

  // A job that ends before the reservation may also use the reserved GPUs.
  std::optional<std::vector<NodeAllocation>> PlaceWithReservedGpus(const PendingJob& j) {
    for (const auto& a : reserved_free_) index_.Give(index_.NodeIndex(a.node), a.gpus);
    auto alloc = PlaceGang(index_, j);
    for (auto& a : reserved_free_) {
      int32_t node = index_.NodeIndex(a.node);
      if (alloc) {  // what the short job takes is no longer held back
        for (const auto& b : *alloc)
          if (b.node == a.node)
            a.gpus.erase(std::remove_if(a.gpus.begin(), a.gpus.end(),
                                        [&](int32_t g) {
                                          return std::find(b.gpus.begin(), b.gpus.end(), g) != b.gpus.end();
                                        }),
                         a.gpus.end());
      }
      // Take back what is still reserved, minus what the short job will take
      // in Commit (it takes its own GPUs there).
      std::vector<int32_t> back;
      for (int32_t g : a.gpus)
        if (std::binary_search(index_.free(node).begin(), index_.free(node).end(), g)) back.push_back(g);
      index_.Take(node, back);
    }
    return alloc;
  }

  void Reserve(const PendingJob& j) {
    std::vector<Release> releases;
    for (const auto& r : cluster_.running)
      releases.push_back({r.ending ? now_ : r.expected_end, &r.placement});
    for (size_t i = 0; i < plan_.placements.size(); ++i)
      releases.push_back({placed_ends_[i], &plan_.placements[i].nodes});
    auto res = PlanReservation(index_, std::move(releases), j, now_);
    if (!res) return;
    reservation_ = std::move(*res);
    // Hold back the reserved GPUs that are free now; the rest are busy until
    // jobs that end by the reservation's start release them.
    for (const auto& a : reservation_->gpus) {
      int32_t node = index_.NodeIndex(a.node);
      NodeAllocation held{a.node, {}};
      for (int32_t g : a.gpus)
        if (std::binary_search(index_.free(node).begin(), index_.free(node).end(), g)) held.gpus.push_back(g);
      if (held.gpus.empty()) continue;
      index_.Take(node, held.gpus);
      reserved_free_.push_back(std::move(held));
    }
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
    bool ends_before_reservation = reservation_ && limit > 0 && now_ + limit <= reservation_->start;
    if (!alloc && ends_before_reservation && !reserved_free_.empty()) alloc = PlaceWithReservedGpus(j);
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
    if (!reservation_ && reservation_attempts_ < kMaxReservationAttempts && q_.policy.backfill) {
      // EASY: the first blocked job that can be reserved reserves. A job
      // with no shadow time (GPUs held by jobs without time limits) passes
      // the turn to the next; a bounded number try, for the cycle's cost.
      ++reservation_attempts_;
      Reserve(j);
      if (reservation_ && reservation_->job == j.id) {
        Verdict(j, PendingReason::kResources, "reserved, starts by " + FormatRfc3339(reservation_->start),
                reservation_->start);
        return;
      }
    }
    std::string detail = "needs " + DescribeNeed(j) + "; " + std::to_string(index_.total_free()) + " free";
    if (reservation_) detail += "; reserved for job " + std::to_string(reservation_->job);
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
  std::vector<Time> placed_ends_;  // by plan_.placements index
  std::optional<Reservation> reservation_;
  static constexpr int32_t kMaxReservationAttempts = 8;
  int32_t reservation_attempts_ = 0;
  std::vector<NodeAllocation> reserved_free_;
  Plan plan_;
};

}  // namespace

Plan Decide(const ClusterSnapshot& cluster, const QueueSnapshot& queue, Time now) {
  return Cycle(cluster, queue, now).Run();
}

}  // namespace muster::core
