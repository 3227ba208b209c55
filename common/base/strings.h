#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "muster/status.h"
#include "muster/time.h"

namespace muster {

std::vector<std::string> Split(std::string_view s, char sep);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
std::string ToLower(std::string_view s);

// "90s", "10m", "2h", "1d", "1h30m", "HH:MM:SS", "MM:SS" or plain seconds.
Result<Duration> ParseDuration(std::string_view s);
// "2h", "1d4h", "45s": the shortest faithful form, for tables.
std::string FormatDuration(Duration d);

// RFC 3339 in UTC with a Z suffix, second precision ("2026-11-26T16:20:00Z").
std::string FormatRfc3339(Time t);
// RFC 3339 with 'Z' or a numeric offset; fractional seconds allowed.
Result<Time> ParseRfc3339(std::string_view s);

// One double through a printf format with a single conversion ("%.2f",
// "%.3g", "%.1f%%"): the number formatting of tables and reports.
std::string FormatDouble(const char* printf_format, double v);

// "rack=r1,switch=s1" -> pairs; empty string -> none.
Result<std::vector<std::pair<std::string, std::string>>> ParseKeyValues(std::string_view s);

}  // namespace muster
