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
        quota_(cluster, q) {
    for (const auto& r : cluster.running) {
      if (!r.preemptible || r.ending || r.queue < 0 || r.queue >= static_cast<int32_t>(q.queues.size()))
        continue;
      preemptible_.push_back(&r);
      min_preemptible_tier_ = std::min(min_preemptible_tier_, q.queues[r.queue].tier);
    }
  }

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

  bool MayPreempt(const PendingJob& j, const RunningJob& v, int32_t need) const {
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

  // Cheap per-cycle test before the search: could any running job be a
  // victim of this job at all?
  bool AnyPreemptionRight(const PendingJob& j, int32_t need) const {
    if (preemptible_.empty()) return false;
    const auto& mine = q_.queues[j.queue];
    if (min_preemptible_tier_ < mine.tier) return true;
    if (quota_.used(j.queue) + need > mine.guaranteed_gpus) return false;
    for (const RunningJob* r : preemptible_)
      if (MayPreempt(j, *r, need)) return true;
    return false;
  }

  void GiveBack(const std::vector<NodeAllocation>& placement) {
    for (const auto& a : placement) {
      int32_t node = index_.NodeIndex(a.node);
      if (node >= 0) index_.Give(node, a.gpus);
    }
  }
  // Takes out of the free index whichever of these GPUs are free in it now.
  void TakeIfFree(const std::vector<NodeAllocation>& placement) {
    for (const auto& a : placement) {
      int32_t node = index_.NodeIndex(a.node);
      if (node < 0) continue;
      std::vector<int32_t> back;
      for (int32_t g : a.gpus)
        if (std::binary_search(index_.free(node).begin(), index_.free(node).end(), g)) back.push_back(g);
      index_.Take(node, back);
    }
  }

  // Step 5: the fewest preemptible jobs whose GPUs make `j` fit. The victims
  // and the GPUs the job will use (free ones held back from later jobs, those
  // of victims and of jobs already leaving) are claimed for this cycle, so no
  // GPU is promised twice and no victim is chosen twice.
  std::vector<const RunningJob*> FindVictims(const PendingJob& j) {
    int32_t need = NeedOf(j);
    std::vector<const RunningJob*> candidates;
    for (const RunningJob* r : preemptible_)
      if (MayPreempt(j, *r, need)) candidates.push_back(r);
    if (candidates.empty()) return {};
    auto borrows = [&](const RunningJob* r) { return quota_.Borrows(r->queue); };
    std::sort(candidates.begin(), candidates.end(), [&](const RunningJob* a, const RunningJob* b) {
      if (borrows(a) != borrows(b)) return borrows(a);
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
    waiting_for_leavers_ = chosen.empty();
    return chosen;
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
    if (preemption_attempts_ < q_.policy.max_preemption_attempts && AnyPreemptionRight(j, need)) {
      {
        ++preemption_attempts_;
        waiting_for_leavers_ = false;
        auto victims = FindVictims(j);
        if (waiting_for_leavers_) {
          Verdict(j, PendingReason::kResources, "waiting for preempted jobs to stop", now_);
          return;
        }
        if (!victims.empty()) {
          std::string ids;
          for (auto* v : victims) {
            plan_.preemptions.push_back({v->id, j.id, "preempted for job " + std::to_string(j.id)});
            ids += (ids.empty() ? "" : ",") + std::to_string(v->id);
          }
          Verdict(j, PendingReason::kResources, "preempting job(s) " + ids);
          return;
        }
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
  std::vector<Time> placed_ends_;  // by plan_.placements index
  std::optional<Reservation> reservation_;
  static constexpr int32_t kMaxReservationAttempts = 8;
  int32_t reservation_attempts_ = 0;
  std::set<JobId> claimed_;                     // victims and leaving jobs promised this cycle
  std::vector<const RunningJob*> preemptible_;  // candidates at all: preemptible, not ending
  int32_t min_preemptible_tier_ = INT32_MAX;
  bool waiting_for_leavers_ = false;
  std::vector<NodeAllocation> reserved_free_;
  int32_t preemption_attempts_ = 0;
  Plan plan_;
};

}  // namespace

Plan Decide(const ClusterSnapshot& cluster, const QueueSnapshot& queue, Time now) {
  return Cycle(cluster, queue, now).Run();
}

}  // namespace muster::core
