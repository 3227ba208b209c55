// Off-peak window rules (docs/policy.md "Off-peak windows"), over UTC intervals.
#pragma once

#include <vector>

#include "scheduler/core/snapshot.h"

namespace muster::core {

struct WindowVerdict {
  bool eligible = true;
  Time eta = kNoTime;  // when it becomes eligible, if it is not now and that is known
  std::string why;     // for the pending reason when not eligible
};

// `limit` is the job's time limit (0: unknown). Rules:
//  - anytime: eligible.
//  - offpeak: only inside a window, and only when the time limit ends before
//    the window closes (unless may_overrun); else at the first window long
//    enough.
//  - offpeak-preferred: like offpeak, unless waiting for that window would
//    miss the deadline (time limit counted): then now. With no windows at
//    all it runs now.
WindowVerdict CheckWindow(const PendingJob& job, Duration limit, Time now,
                          const std::vector<TimeInterval>& windows);

}  // namespace muster::core
