// Time as plain integers: microseconds since the Unix epoch, UTC.
// The policy core receives `now` as a value; only programs read a clock.
#pragma once

#include <cstdint>

namespace muster {

using Time = int64_t;      // µs since 1970-01-01T00:00:00Z
using Duration = int64_t;  // µs

constexpr Duration kMicrosecond = 1;
constexpr Duration kMillisecond = 1000;
constexpr Duration kSecond = 1000 * kMillisecond;
constexpr Duration kMinute = 60 * kSecond;
constexpr Duration kHour = 60 * kMinute;
constexpr Duration kDay = 24 * kHour;

constexpr Time kNoTime = 0;  // "not set" for start/end/deadline fields

}  // namespace muster

namespace muster {

// [begin, end) in UTC.
struct TimeInterval {
  Time begin = 0;
  Time end = 0;
  bool Contains(Time t) const { return t >= begin && t < end; }
  bool operator==(const TimeInterval&) const = default;
};

}  // namespace muster
