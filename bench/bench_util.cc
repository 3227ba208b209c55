#include "bench/bench_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace muster::bench {

Child Spawn(const std::vector<std::string>& argv, bool capture_stdout, const std::string& stderr_path) {
  int fds[2] = {-1, -1};
  if (capture_stdout && pipe2(fds, O_CLOEXEC) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    if (capture_stdout) dup2(fds[1], 1);
    if (!stderr_path.empty()) {
      int fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) dup2(fd, 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  Child c;
  c.pid = pid;
  if (capture_stdout) {
    close(fds[1]);
    c.stdout_fd = fds[0];
  }
  return c;
}

std::string ReadLineWithPrefix(const Child& c, const std::string& prefix, int timeout_ms) {
  std::string buf;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      if (line.compare(0, prefix.size(), prefix) == 0) return line.substr(prefix.size());
    }
    pollfd p{c.stdout_fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char tmp[4096];
    ssize_t n = read(c.stdout_fd, tmp, sizeof tmp);
    if (n <= 0) return "";
    buf.append(tmp, static_cast<size_t>(n));
  }
  return "";
}

int Stop(Child& c, int grace_ms) {
  if (c.pid <= 0) return -1;
  kill(c.pid, SIGTERM);
  int status = 0;
  for (int waited = 0; waited < grace_ms; waited += 10) {
    if (waitpid(c.pid, &status, WNOHANG) == c.pid) {
      c.pid = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(c.pid, SIGKILL);
  waitpid(c.pid, &status, 0);
  c.pid = -1;
  return status;
}

double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close_paren = all.rfind(')');
  if (close_paren == std::string::npos) return 0;
  std::istringstream rest(all.substr(close_paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // Fields after the name start at 3 (state); utime is 14, stime 15.
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

static double StatusKiB(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, key.size(), key) == 0) return std::atof(line.c_str() + key.size());
  return 0;
}
double PeakRssMiB(pid_t pid) { return StatusKiB(pid, "VmHWM:") / 1024.0; }
double RssMiB(pid_t pid) { return StatusKiB(pid, "VmRSS:") / 1024.0; }

Percentiles PercentilesOf(std::vector<double> v) {
  Percentiles p;
  p.n = v.size();
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return v[std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5))];
  };
  p.p50 = at(0.50);
  p.p99 = at(0.99);
  p.max = v.back();
  return p;
}

std::string MakeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/muster-bench-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) return "";
  return buf.data();
}

void RemoveTree(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

std::string Load1() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace muster::bench
