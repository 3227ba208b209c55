#include "common/base/strings.h"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace muster {

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

Result<Duration> ParseDuration(std::string_view s) {
  auto bad = [&] {
    return Status::InvalidArgument("bad duration '" + std::string(s) +
                                   "': use 90s, 10m, 2h, 1d, 1h30m or HH:MM:SS");
  };
  if (s.empty() || s.size() > 64) return bad();
  // Durations are capped at 100 years: anything larger is a typo, and the cap
  // keeps every sum below far from int64 overflow.
  constexpr int64_t kMaxSeconds = 100LL * 366 * 86400;
  auto too_big = [&] {
    return Status::InvalidArgument("duration '" + std::string(s) + "' is longer than 100 years");
  };
  int64_t total = 0;
  if (s.find(':') != std::string_view::npos) {
    auto parts = Split(s, ':');
    if (parts.size() < 2 || parts.size() > 3) return bad();
    for (const auto& p : parts) {
      int64_t v;
      if (p.empty() || p[0] == '-' || p[0] == '+' || !ParseInt64(p, &v)) return bad();
      if (v > kMaxSeconds || total > kMaxSeconds / 60) return too_big();
      total = total * 60 + v;  // HH:MM:SS or MM:SS
    }
    if (total > kMaxSeconds) return too_big();
    return total * kSecond;
  }
  int64_t plain;
  if (ParseInt64(s, &plain)) {
    if (plain < 0 || s[0] == '+') return bad();
    if (plain > kMaxSeconds) return too_big();
    return plain * kSecond;
  }
  size_t i = 0;
  bool any = false;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j == i || j == s.size()) return bad();
    int64_t v;
    if (!ParseInt64(s.substr(i, j - i), &v)) return bad();
    if (v > kMaxSeconds) return too_big();
    Duration unit;
    switch (s[j]) {
      case 's':
        unit = kSecond;
        break;
      case 'm':
        unit = kMinute;
        break;
      case 'h':
        unit = kHour;
        break;
      case 'd':
        unit = kDay;
        break;
      default:
        return bad();
    }
    if (v > kMaxSeconds * kSecond / unit) return too_big();
    total += v * unit;
    if (total > kMaxSeconds * kSecond) return too_big();
    any = true;
    i = j + 1;
  }
  if (!any) return bad();
  return total;
}

std::string FormatDuration(Duration d) {
  if (d <= 0) return "0s";
  int64_t secs = d / kSecond;
  if (secs == 0) return std::to_string(d / kMillisecond) + "ms";
  std::string out;
  int64_t days = secs / 86400, hours = secs / 3600 % 24, mins = secs / 60 % 60, s = secs % 60;
  if (days) out += std::to_string(days) + "d";
  if (hours) out += std::to_string(hours) + "h";
  if (mins) out += std::to_string(mins) + "m";
  if (s || out.empty()) out += std::to_string(s) + "s";
  return out;
}

std::string FormatRfc3339(Time t) {
  if (t == kNoTime) return "";
  time_t secs = static_cast<time_t>(t / kSecond);
  if (t < 0 && t % kSecond) --secs;
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

Result<Time> ParseRfc3339(std::string_view s) {
  auto bad = [&] {
    return Status::InvalidArgument("bad time '" + std::string(s) +
                                   "': use RFC 3339, e.g. 2026-11-27T20:00:00Z");
  };
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  if (s.size() < 20) return bad();
  // Fixed-width, digits only: from_chars alone would take a sign.
  auto num = [&](size_t pos, size_t len, int64_t* v) {
    if (pos + len > s.size()) return false;
    for (size_t k = pos; k < pos + len; ++k)
      if (!std::isdigit(static_cast<unsigned char>(s[k]))) return false;
    return ParseInt64(s.substr(pos, len), v);
  };
  int64_t Y, M, D, h, m, sec;
  if (!num(0, 4, &Y) || s[4] != '-' || !num(5, 2, &M) || s[7] != '-' || !num(8, 2, &D) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !num(11, 2, &h) || s[13] != ':' || !num(14, 2, &m) ||
      s[16] != ':' || !num(17, 2, &sec))
    return bad();
  bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (M < 1 || M > 12 || D < 1 || D > kDays[M - 1] + (M == 2 && leap) || h > 23 || m > 59 || sec > 60)
    return bad();
  size_t i = 19;
  int64_t frac_us = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int64_t scale = 100000;
    size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      frac_us += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return bad();
  }
  int64_t offset_s = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int64_t oh, om;
    if (!num(i + 1, 2, &oh) || !num(i + 4, 2, &om) || oh > 23 || om > 59) return bad();
    offset_s = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return bad();
  }
  if (i != s.size()) return bad();
  // Days from civil (Howard Hinnant's algorithm), no time zone database needed.
  int64_t y = Y - (M <= 2);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (M + (M > 2 ? -3 : 9)) + 2) / 5 + D - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  int64_t secs = days * 86400 + h * 3600 + m * 60 + sec - offset_s;
  return secs * kSecond + frac_us;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseKeyValues(std::string_view s) {
  std::vector<std::pair<std::string, std::string>> out;
  if (s.empty()) return out;
  for (const auto& item : Split(s, ',')) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::InvalidArgument("bad key=value '" + item + "' in '" + std::string(s) + "'");
    out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return out;
}

std::string FormatDouble(const char* printf_format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, printf_format, v);
  return buf;
}

}  // namespace muster
