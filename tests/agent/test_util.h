// Small helpers shared by the agent tests: temp dirs, bounded waits, files.
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/temp_dir.h"

namespace muster::agent::testing {

// The tests' one temp-dir helper (tests/support/temp_dir.h), under the name
// the agent tests use.
using ::muster::testing::TempDir;

// Polls `cond` every 10 ms for at most `timeout_ms`.
inline bool WaitUntil(const std::function<bool()>& cond, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Gone, or a zombie nobody reaped yet (an orphan whose new parent is slow):
// either way it no longer runs.
inline bool ProcessGone(pid_t pid) {
  if (kill(pid, 0) != 0) return true;
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= stat.size()) return true;
  return stat[close_paren + 2] == 'Z' || stat[close_paren + 2] == 'X';
}

}  // namespace muster::agent::testing
