#include "common/base/log.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace muster {
namespace {
LogLevel g_level = LogLevel::kInfo;
std::string g_tag = "muster";
}  // namespace

void SetLogLevel(LogLevel level) { g_level = level; }
void SetLogTag(std::string tag) { g_tag = std::move(tag); }
LogLevel GetLogLevel() { return g_level; }

std::optional<LogLevel> ParseLogLevel(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError})
    if (lower == LogLevelName(l)) return l;
  return std::nullopt;
}

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

LogLine::~LogLine() {
  auto now = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  time_t secs = us / 1000000;
  struct tm tm;
  gmtime_r(&secs, &tm);
  static const char kLevels[] = "DIWE";
  std::fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %c %s: %s\n", tm.tm_year + 1900, tm.tm_mon + 1,
               tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(us / 1000 % 1000),
               kLevels[static_cast<int>(level_)], g_tag.c_str(), os_.str().c_str());
}

}  // namespace muster
