// Minimal leveled logging to stderr: "2026-11-26T16:20:00.123Z I musterd: ...".
#pragma once

#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace muster {

enum class LogLevel { kDebug = 0, kInfo, kWarning, kError };

void SetLogLevel(LogLevel level);
// "debug", "info", "warning", "error" (any case); nullopt otherwise.
std::optional<LogLevel> ParseLogLevel(std::string_view text);
const char* LogLevelName(LogLevel level);
void SetLogTag(std::string tag);  // program name in each line
LogLevel GetLogLevel();

class LogLine {
 public:
  explicit LogLine(LogLevel level) : level_(level) {}
  ~LogLine();
  template <typename T>
  LogLine& operator<<(const T& v) {
    os_ << v;
    return *this;
  }

 private:
  LogLevel level_;
  std::ostringstream os_;
};

}  // namespace muster

// A one-pass for loop, not an if/else: safe inside an unbraced if.
#define MLOG(level)                                                                                         \
  for (bool mlog_on_ = ::muster::LogLevel::k##level >= ::muster::GetLogLevel(); mlog_on_; mlog_on_ = false) \
  ::muster::LogLine(::muster::LogLevel::k##level)
