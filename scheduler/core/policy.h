// The scheduling policy: a pure, deterministic function of a snapshot and a
// time. musterd and muster-sim call the same function (STYLE.md 1, 14).
#pragma once

#include "scheduler/core/snapshot.h"

namespace muster::core {

// Orders the pending jobs (priority, then submit time, then id), drops the
// ineligible ones with their reason, and places each remaining job whole on
// the first nodes that fit it. A job that does not fit is skipped, not
// waited for; the full policy (fair share, backfill with reservations,
// preemption, windows) replaces this ordering and matching.
Plan Decide(const ClusterSnapshot& cluster, const QueueSnapshot& queue, Time now);

// The order Decide considers jobs in (exposed for tests and `muster jobs`).
std::vector<const PendingJob*> OrderQueue(const QueueSnapshot& queue);

}  // namespace muster::core
