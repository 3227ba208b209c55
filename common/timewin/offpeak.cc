#include "common/timewin/offpeak.h"

#include <date/tz.h>

#include <algorithm>
#include <cctype>

#include "common/base/strings.h"

namespace muster::timewin {
namespace {

int DayIndex(const std::string& name) {
  static const char* kShort[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  static const char* kLong[] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
  std::string l = ToLower(name);
  for (int i = 0; i < 7; ++i)
    if (l == kShort[i] || l == kLong[i]) return i;
  return -1;
}

bool ParseClock(const std::string& s, int* minute) {
  int h, m;
  char tail;
  if (std::sscanf(s.c_str(), "%d:%d%c", &h, &m, &tail) != 2) return false;
  if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0)) return false;
  *minute = h * 60 + m;
  return true;
}

}  // namespace

Result<WeeklyRange> ParseWeeklyRange(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("bad off-peak range '" + text + "': " + why +
                                   " (e.g. \"Mon-Fri 20:00-07:00\" or \"Sat-Sun 00:00-24:00\")");
  };
  auto words = Split(text, ' ');
  words.erase(std::remove(words.begin(), words.end(), ""), words.end());
  if (words.size() != 2) return bad("expected DAYS HH:MM-HH:MM");
  WeeklyRange r;
  r.text = text;
  if (ToLower(words[0]) == "daily") {
    for (int d = 0; d < 7; ++d) r.days.push_back(d);
  } else {
    for (const auto& part : Split(words[0], ',')) {
      auto ends = Split(part, '-');
      if (ends.size() == 1) {
        int d = DayIndex(ends[0]);
        if (d < 0) return bad("unknown day '" + ends[0] + "'");
        r.days.push_back(d);
      } else if (ends.size() == 2) {
        int a = DayIndex(ends[0]), b = DayIndex(ends[1]);
        if (a < 0 || b < 0) return bad("unknown day in '" + part + "'");
        for (int d = a;; d = (d + 1) % 7) {  // Fri-Mon wraps over the weekend
          r.days.push_back(d);
          if (d == b) break;
        }
      } else {
        return bad("bad day range '" + part + "'");
      }
    }
  }
  std::sort(r.days.begin(), r.days.end());
  r.days.erase(std::unique(r.days.begin(), r.days.end()), r.days.end());
  auto times = Split(words[1], '-');
  if (times.size() != 2 || !ParseClock(times[0], &r.start_minute) || !ParseClock(times[1], &r.end_minute))
    return bad("bad times '" + words[1] + "'");
  if (r.start_minute == 1440) return bad("a window cannot start at 24:00");
  if (r.start_minute == r.end_minute) return bad("empty window");
  return r;
}

Result<std::shared_ptr<const OffPeakCalendar>> OffPeakCalendar::Create(const std::vector<std::string>& ranges,
                                                                       const std::string& tz) {
  std::shared_ptr<OffPeakCalendar> c(new OffPeakCalendar());
  c->tz_name_ = tz.empty() ? "UTC" : tz;
  // Without windows no time zone is needed: musterd must start on machines
  // that have no time zone database at all.
  if (ranges.empty()) return std::shared_ptr<const OffPeakCalendar>(std::move(c));
  try {
    c->zone_ = date::locate_zone(c->tz_name_);
  } catch (const std::exception& e) {
    return Status::InvalidArgument("unknown time zone '" + c->tz_name_ +
                                   "' (use an IANA name like Europe/Berlin)");
  }
  for (const auto& text : ranges) {
    auto r = ParseWeeklyRange(text);
    if (!r.ok()) return r.status();
    c->ranges_.push_back(std::move(*r));
  }
  return std::shared_ptr<const OffPeakCalendar>(std::move(c));
}

std::vector<TimeInterval> OffPeakCalendar::Windows(Time from, Time to) const {
  std::vector<TimeInterval> out;
  if (ranges_.empty() || to <= from) return out;
  using namespace std::chrono;
  const auto* zone = static_cast<const date::time_zone*>(zone_);
  auto to_utc = [&](date::local_days day, int minute) -> Time {
    date::local_time<minutes> lt = day + minutes(minute);
    // Ambiguous local times (DST fall-back) take the earlier instant;
    // nonexistent ones (spring-forward) the transition point.
    auto sys = zone->to_sys(lt, date::choose::earliest);
    return duration_cast<microseconds>(sys.time_since_epoch()).count();
  };
  // Local calendar days around [from, to): one day of slack each side covers
  // windows crossing midnight and the zone's offset.
  auto local_from = zone->to_local(sys_time<microseconds>(microseconds(from)));
  auto local_to = zone->to_local(sys_time<microseconds>(microseconds(to)));
  auto first = date::floor<date::days>(local_from) - date::days(1);
  auto last = date::floor<date::days>(local_to) + date::days(1);
  for (auto day = first; day <= last; day += date::days(1)) {
    int weekday = (date::weekday(day).c_encoding() + 6) % 7;  // Monday = 0
    for (const auto& r : ranges_) {
      if (!std::binary_search(r.days.begin(), r.days.end(), weekday)) continue;
      Time b = to_utc(day, r.start_minute);
      Time e = r.end_minute > r.start_minute ? to_utc(day, r.end_minute)
                                             : to_utc(day + date::days(1), r.end_minute);
      if (e > from && b < to && e > b) out.push_back({b, e});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const TimeInterval& a, const TimeInterval& b) { return a.begin < b.begin; });
  std::vector<TimeInterval> merged;
  for (const auto& w : out) {
    if (!merged.empty() && w.begin <= merged.back().end)
      merged.back().end = std::max(merged.back().end, w.end);
    else
      merged.push_back(w);
  }
  return merged;
}

}  // namespace muster::timewin
