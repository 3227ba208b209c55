#include "scheduler/service/timers.h"

namespace muster::service {

const char* TimerName(Timer t) {
  switch (t) {
    case Timer::kTimeLimit:
      return "time limit";
    case Timer::kGangReserve:
      return "gang reservation";
    case Timer::kStartBarrier:
      return "start barrier";
    case Timer::kUnstartedExits:
      return "unstarted exits";
    case Timer::kRdzvWait:
      return "rendezvous wait";
    case Timer::kLogRead:
      return "log read";
    case Timer::kLiveness:
      return "liveness sweep";
    case Timer::kUsage:
      return "fair-share usage";
    case Timer::kWakeup:
      return "scheduling wakeup";
    case Timer::kFullCycle:
      return "full cycle";
    case Timer::kCycleSpacing:
      return "cycle spacing";
  }
  return "?";
}

}  // namespace muster::service
