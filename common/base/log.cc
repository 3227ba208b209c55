#include "common/base/log.h"

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

LogLine::~LogLine() {
  auto now = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  time_t secs = us / 1000000;
  struct tm tm;
  gmtime_r(&secs, &tm);
  static const char kLevels[] = "DIWE";
  std::fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %c %s: %s\n", tm.tm_year + 1900,
               tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
               static_cast<int>(us / 1000 % 1000), kLevels[static_cast<int>(level_)], g_tag.c_str(),
               os_.str().c_str());
}

}  // namespace muster
