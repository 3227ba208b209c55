// The scheduling policy: a pure, deterministic function of a snapshot and a
// time. musterd and muster-sim call the same function.
//
// Per cycle (docs/policy.md, "One cycle"), each step a stage of its own:
//  1. Eligibility (eligibility.h): dependencies, holds, paused queues,
//     off-peak windows.
//  2. Order (order.h): queue tier, then weighted fair share of decayed
//     GPU-hours per queue (each placement charges its queue and team during
//     the cycle, so queues interleave), then teams within a queue likewise,
//     then job priority, then age.
//  3. Quota (quota.h): a queue never exceeds its `max` GPUs, an array its
//     running-task cap.
//  4. Gang placement (gang.h): all or nothing, tightest topology first.
//  5. Preemption (preemption.h): a blocked job of a higher tier, or of a
//     queue below its guarantee, takes GPUs from preemptible jobs (borrowers
//     first, then lowest priority, then youngest), the fewest that make it fit.
//  6. EASY backfill (backfill.h): the first job still blocked reserves the
//     place and time it will start at (planner.h); later jobs start only if
//     they end before that or do not touch the reserved GPUs.
#pragma once

#include "scheduler/core/snapshot.h"

namespace muster::core {

Plan Decide(const ClusterSnapshot& cluster, const QueueSnapshot& queue, Time now);

}  // namespace muster::core
