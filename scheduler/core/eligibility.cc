#include "scheduler/core/eligibility.h"

#include <utility>

#include "common/base/strings.h"
#include "scheduler/core/demand.h"
#include "scheduler/core/gang.h"
#include "scheduler/core/window.h"

namespace muster::core {
namespace {

Eligibility Pending(PendingReason reason, std::string detail, Time eta = kNoTime) {
  return {Eligibility::Outcome::kPending, reason, std::move(detail), eta};
}

Eligibility NeverRunnable() {
  Eligibility e;
  e.outcome = Eligibility::Outcome::kNeverRunnable;
  return e;
}

}  // namespace

Eligibility CheckEligibility(const PendingJob& j, const QueueSnapshot& q, int32_t max_gpus_per_node,
                             Time now) {
  // A queue deleted under a pending job reads as paused: nothing runs there.
  if (j.queue < 0 || j.queue >= static_cast<int32_t>(q.queues.size()))
    return Pending(PendingReason::kQueuePaused, "its queue does not exist");
  if (j.deps == DependencyState::kNeverSatisfied) return NeverRunnable();
  if (j.deps == DependencyState::kWaiting)
    return Pending(PendingReason::kDependency, "waiting for afterok dependencies");
  if (j.held) return Pending(PendingReason::kHeld, "held; `muster release` lets it run");
  const QueueConfig& queue = q.queues[j.queue];
  if (queue.paused) return Pending(PendingReason::kQueuePaused, "queue " + queue.name + " is paused");
  WindowVerdict w = CheckWindow(j, TimeLimitOf(j, q), now, q.policy.offpeak);
  if (!w.eligible)
    return Pending(PendingReason::kOffPeakWindow,
                   w.eta != kNoTime ? "eligible " + FormatRfc3339(w.eta) : w.why, w.eta);
  if (ShapesFor(j, max_gpus_per_node).empty()) {
    return Pending(
        PendingReason::kResources,
        max_gpus_per_node == 0
            ? "needs " + DescribeNeed(j) + "; no node can take work (none registered, or all down or drained)"
            : "needs " + DescribeNeed(j) + "; no node is large enough (largest has " +
                  std::to_string(max_gpus_per_node) + " GPUs)");
  }
  return {};
}

}  // namespace muster::core
