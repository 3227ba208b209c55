// Process and measurement helpers shared by muster-bench's modes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace muster::bench {

// A child process started by the bench (musterd, a real agent).
struct Child {
  pid_t pid = -1;
  int stdout_fd = -1;  // when captured
};

// fork + exec argv; stdout captured to a pipe when `capture_stdout`,
// stderr to `stderr_path` (empty: inherited).
Child Spawn(const std::vector<std::string>& argv, bool capture_stdout, const std::string& stderr_path);
// Reads the child's stdout until a line starting with `prefix`, at most
// `timeout_ms`; returns the rest of that line, empty on timeout or EOF.
std::string ReadLineWithPrefix(const Child& c, const std::string& prefix, int timeout_ms);
// SIGTERM, then SIGKILL after `grace_ms`; returns the exit status (waitpid).
int Stop(Child& c, int grace_ms);

// musterd's CPU time (user + system) in seconds, from /proc/<pid>/stat.
double CpuSeconds(pid_t pid);
// VmHWM / VmRSS of a process in MiB, from /proc/<pid>/status.
double PeakRssMiB(pid_t pid);
double RssMiB(pid_t pid);

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;
  size_t n = 0;
};
Percentiles PercentilesOf(std::vector<double> v);

std::string MakeTempDir();
void RemoveTree(const std::string& dir);
std::string Load1();  // "/proc/loadavg" first three fields

}  // namespace muster::bench
