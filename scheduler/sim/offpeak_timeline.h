// Off-peak windows over the whole simulated span, as UTC intervals from the
// shared calendar (common/timewin). Extended on demand: a policy may finish
// long after the last submission, and the windows go on.
#pragma once

#include <memory>
#include <vector>

#include "common/timewin/offpeak.h"
#include "muster/time.h"

namespace muster::sim {

class OffpeakTimeline {
 public:
  // `calendar` may be null (no off-peak windows at all).
  OffpeakTimeline(std::shared_ptr<const timewin::OffPeakCalendar> calendar, Time from);

  bool empty() const { return !calendar_ || calendar_->empty(); }
  // Microseconds of [begin, end) that fall inside a window.
  Duration Overlap(Time begin, Time end);
  // The first window begin or end strictly after `t`, or kNoTime.
  Time NextBoundary(Time t);
  const std::shared_ptr<const timewin::OffPeakCalendar>& calendar() const { return calendar_; }

 private:
  void CoverUntil(Time t);

  std::shared_ptr<const timewin::OffPeakCalendar> calendar_;
  Time from_;
  Time covered_until_;
  std::vector<TimeInterval> windows_;  // sorted, merged, overlapping [from_, covered_until_)
};

}  // namespace muster::sim
