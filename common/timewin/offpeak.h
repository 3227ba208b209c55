// Off-peak windows: weekly ranges in a time zone ("Mon-Fri 20:00-07:00",
// "Sat-Sun 00:00-24:00", Europe/Berlin), turned into plain UTC intervals.
// The policy core only ever sees the intervals (no time zone database in
// the core), so it stays a pure function of its inputs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "muster/status.h"
#include "muster/time.h"

namespace muster::timewin {

struct WeeklyRange {
  std::vector<int> days;  // 0 = Monday .. 6 = Sunday: days a window *starts*
  int start_minute = 0;   // minutes after local midnight
  int end_minute = 0;     // <= start_minute: ends the next day; 1440 = 24:00
  std::string text;       // as the operator wrote it
};

// "Mon-Fri 20:00-07:00", "Sat,Sun 00:00-24:00", "Fri-Mon 22:00-06:00",
// "daily 01:00-05:00". Day names are case-insensitive, 3 letters or full.
Result<WeeklyRange> ParseWeeklyRange(const std::string& text);

class OffPeakCalendar {
 public:
  // No ranges: no off-peak window at all (offpeak jobs wait forever, with a
  // reason saying why). `tz` is an IANA name ("UTC", "Europe/Berlin").
  static Result<std::shared_ptr<const OffPeakCalendar>> Create(const std::vector<std::string>& ranges,
                                                               const std::string& tz);

  // Merged, sorted windows that overlap [from, to).
  std::vector<TimeInterval> Windows(Time from, Time to) const;
  bool empty() const { return ranges_.empty(); }
  const std::string& time_zone() const { return tz_name_; }
  const std::vector<WeeklyRange>& ranges() const { return ranges_; }

 private:
  OffPeakCalendar() = default;
  std::vector<WeeklyRange> ranges_;
  std::string tz_name_;
  const void* zone_ = nullptr;  // const date::time_zone*, kept out of this header
};

}  // namespace muster::timewin
