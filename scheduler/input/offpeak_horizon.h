// The off-peak windows the core sees: from a day back to eight days ahead
// of now, recomputed at most once a day (the time-zone rules are the
// expensive part). musterd and muster-sim keep one each.
#pragma once

#include <memory>
#include <vector>

#include "common/timewin/offpeak.h"
#include "muster/time.h"

namespace muster::input {

class OffpeakHorizon {
 public:
  static constexpr Duration kAhead = 8 * kDay;

  // No calendar: no windows, ever.
  explicit OffpeakHorizon(std::shared_ptr<const timewin::OffPeakCalendar> calendar)
      : calendar_(std::move(calendar)) {}
  const std::vector<TimeInterval>& Windows(Time now);

 private:
  std::shared_ptr<const timewin::OffPeakCalendar> calendar_;
  std::vector<TimeInterval> windows_;
  Time until_ = kNoTime;
};

}  // namespace muster::input
