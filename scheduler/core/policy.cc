#include "scheduler/core/policy.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/base/strings.h"
#include "scheduler/core/backfill.h"
#include "scheduler/core/demand.h"
#include "scheduler/core/eligibility.h"
#include "scheduler/core/failure_memo.h"
#include "scheduler/core/free_index.h"
#include "scheduler/core/gang.h"
#include "scheduler/core/order.h"
#include "scheduler/core/preemption.h"
#include "scheduler/core/quota.h"

namespace muster::core {
namespace {

// One cycle (docs/policy.md, "One cycle"): the stages share the cycle's free
// GPUs (index_) and the queue use the quota gate counts; each job is judged
// by the stages in turn until one places it or says why it waits.
class Cycle {
 public:
  Cycle(const ClusterSnapshot& cluster, const QueueSnapshot& q, Time now)
      : q_(q),
        now_(now),
        index_(cluster),
        memo_(index_.max_gpus_per_node()),
        order_(q),
        quota_(cluster, q),
        preemptor_(cluster, q, quota_, index_),
        backfill_(cluster, q, index_, now) {
    // At most one verdict per job: one allocation, not a doubling series
    // whose freed blocks glibc may hand back to the kernel and fault in
    // again next cycle (seen in bench/core_bench as page faults).
    plan_.pending.reserve(q.pending.size());
  }

  Plan Run() {
    for (const auto& j : q_.pending) Admit(j);
    order_.Sort();
    while (const PendingJob* j = order_.Next()) Consider(*j);
    return std::move(plan_);
  }

 private:
  void Verdict(const PendingJob& j, PendingReason r, std::string detail, Time eta = kNoTime) {
    plan_.pending.push_back({j.id, r, std::move(detail), eta});
  }

  // Stage 1: eligible jobs join the fair-share order (stage 2).
  void Admit(const PendingJob& j) {
    Eligibility e = CheckEligibility(j, q_, index_.max_gpus_per_node(), now_);
    switch (e.outcome) {
      case Eligibility::Outcome::kEligible:
        order_.Add(j);
        break;
      case Eligibility::Outcome::kPending:
        Verdict(j, e.reason, std::move(e.detail), e.eta);
        break;
      case Eligibility::Outcome::kNeverRunnable:
        plan_.never_runnable.push_back(j.id);
        break;
    }
  }

  // Stages 3 to 6 for one job, in fair-share order.
  void Consider(const PendingJob& j) {
    if (auto refusal = quota_.Refusal(j)) {
      Verdict(j, PendingReason::kQuota, std::move(*refusal));
      return;
    }
    Duration limit = TimeLimitOf(j, q_);
    std::optional<std::vector<NodeAllocation>> alloc;
    if (!memo_.FailsAll(j)) {
      alloc = PlaceGang(index_, j);
      if (!alloc) memo_.RecordAll(j);
    }
    if (!alloc) alloc = backfill_.PlaceWithReservedGpus(j, limit);
    if (alloc) {
      Commit(j, std::move(*alloc), limit);
      return;
    }
    if (TryPreemption(j)) return;
    if (backfill_.TryReserve(j, plan_.placements)) {
      Time start = backfill_.reservation()->start;
      Verdict(j, PendingReason::kResources, "reserved, starts by " + FormatRfc3339(start), start);
      return;
    }
    std::string detail = "needs " + DescribeNeed(j) + "; " + std::to_string(index_.total_free()) + " free";
    if (const auto& r = backfill_.reservation()) detail += "; reserved for job " + std::to_string(r->job);
    Verdict(j, PendingReason::kResources, std::move(detail));
  }

  void Commit(const PendingJob& j, std::vector<NodeAllocation> alloc, Duration limit) {
    for (const auto& a : alloc) index_.Take(index_.NodeIndex(a.node), a.gpus);
    int32_t gpus = GpusOf(alloc);
    quota_.Charge(j, gpus);
    order_.Charge(j, gpus, limit);
    backfill_.RecordPlacement(limit);
    plan_.placements.push_back({j.id, std::move(alloc)});
  }

  // True when the job's verdict is given: it waits for victims or leavers.
  bool TryPreemption(const PendingJob& j) {
    if (!preemptor_.MayAttempt(j, NeedOf(j))) return false;
    Preemptor::Victims victims = preemptor_.FindVictims(j);
    if (victims.wait_for_leavers) {
      Verdict(j, PendingReason::kResources, "waiting for preempted jobs to stop", now_);
      return true;
    }
    if (victims.chosen.empty()) return false;
    std::string ids;
    for (const RunningJob* v : victims.chosen) {
      plan_.preemptions.push_back({v->id, j.id, "preempted for job " + std::to_string(j.id)});
      ids += (ids.empty() ? "" : ",") + std::to_string(v->id);
    }
    Verdict(j, PendingReason::kResources, "preempting job(s) " + ids);
    return true;
  }

  const QueueSnapshot& q_;
  Time now_;
  FreeIndex index_;  // free GPUs as the cycle hands them out; the stages below share it
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
