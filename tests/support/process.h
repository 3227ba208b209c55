// Child processes for tests that drive the real binaries: spawn one in its own
// process group with its stdout captured, wait for a line it prints, and be
// sure it is gone when the test ends (even when an assertion failed).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace muster::testing {

using Millis = std::chrono::milliseconds;

struct SpawnOptions {
  // Added to (or replacing in) the test's own environment.
  std::map<std::string, std::string> env;
  // Where the child's stderr goes: a file (appended), or the test's stderr when empty.
  std::string stderr_path;
  // Bound on SIGTERM -> SIGKILL when the process is stopped.
  Millis term_grace{3000};
};

// A running child: leader of its own process group, stdin /dev/null, stdout
// read by a thread into a line buffer. The destructor stops it (SIGTERM to
// the group, SIGKILL after `term_grace`) and reaps it. Non-copyable.
class Process {
 public:
  // Starts `path` (an absolute path) with `args` (argv[1..]). Throws
  // std::runtime_error when the process cannot be started at all.
  static std::unique_ptr<Process> Spawn(const std::string& path, const std::vector<std::string>& args,
                                        const SpawnOptions& options = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& path() const { return path_; }

  // The first stdout line starting with `prefix`, waiting up to `timeout`;
  // nullopt on timeout or when stdout closed without such a line.
  std::optional<std::string> WaitForLine(const std::string& prefix, Millis timeout);
  // Everything read from stdout so far.
  std::string Stdout() const;

  // Sends `sig` to the whole process group.
  void SignalGroup(int sig) const;
  // Whether it has exited (reaps it if so).
  bool Exited();
  // Waits up to `timeout` for it to exit; its wait status, or nullopt.
  std::optional<int> Wait(Millis timeout);
  // SIGKILL to the group now, then reap: the crash a test injects.
  void Kill9();
  // SIGTERM, bounded wait, SIGKILL: what the destructor does.
  void Stop();

 private:
  Process() = default;
  void ReadLoop();

  std::string path_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  Millis term_grace_{3000};
  std::optional<int> wait_status_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string out_;          // guarded by mu_
  bool out_closed_ = false;  // guarded by mu_
  std::atomic<bool> stop_reader_{false};
  std::thread reader_;
};

struct CommandResult {
  int exit_code = -1;  // WEXITSTATUS, or 128+signal, or -1 on timeout
  bool timed_out = false;
  std::string out;
  std::string err;
  std::chrono::milliseconds elapsed{0};
  // "exit 1; stderr: ..." for assertion messages.
  std::string Describe() const;
};

// Runs `path args...` to completion (stdin /dev/null), capturing stdout and
// stderr; after `timeout` the process group is killed and timed_out is set.
CommandResult RunCommand(const std::string& path, const std::vector<std::string>& args,
                         Millis timeout = Millis(15000), const std::map<std::string, std::string>& env = {});

// True while `pid` exists and is not a zombie.
bool IsProcessAlive(pid_t pid);
// Polls until `pid` is gone or `timeout` passed; true when gone.
bool WaitForProcessGone(pid_t pid, Millis timeout);

// Kills (SIGKILL) every process of this user whose environment holds
// `name=value`, repeating until none is left or `timeout`; returns how many
// it signalled. Used in teardown to catch ranks and their grandchildren.
int KillProcessesWithEnv(const std::string& name, const std::string& value, Millis timeout = Millis(3000));

// A TCP port on 127.0.0.1 that was free a moment ago (bound, then closed):
// nothing listens on it.
int UnusedLoopbackPort();

// The whole file, or "" when it cannot be read.
std::string ReadFile(const std::string& path);
// The last `max_bytes` of a file (for failure diagnostics).
std::string TailFile(const std::string& path, size_t max_bytes = 4000);

}  // namespace muster::testing
