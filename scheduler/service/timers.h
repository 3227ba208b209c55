// Every deadline of musterd's loop, named (docs/architecture.md "Time").
// Times are the injected clock's monotonic microseconds; a wall-clock
// deadline (a job's time limit, an off-peak window opening) is converted
// when it is armed.
#pragma once

#include <cstdint>

#include "common/base/timer_queue.h"

namespace muster::service {

enum class Timer : uint8_t {
  kTimeLimit,       // id: job. A placed job's walltime is over: TIMEOUT.
  kGangReserve,     // id: job. Every node must have answered ReserveRanks.
  kStartBarrier,    // id: job. Every rank must have reported started.
  kUnstartedExits,  // id: job. After a barrier teardown, ranks never reported started are given up.
  kRdzvWait,        // id: waiter. A held rendezvous get or barrier is answered empty / timed out.
  kLogRead,         // id: agent request. A relayed log read gets "the node did not answer".
  kLiveness,        // A sweep: nodes silent past the heartbeat timeout go DOWN.
  kUsage,           // Fair-share usage accrues; retrains deferred by a cooldown fall due.
  kWakeup,          // An off-peak window opens or a reservation falls due: schedule.
  kFullCycle,       // A full scheduling cycle is owed (jobs were left unseen).
  kCycleSpacing,    // A scheduling cycle deferred to keep cycles under half the loop's time.
};

const char* TimerName(Timer t);

using Timers = TimerQueue<Timer>;

}  // namespace muster::service
