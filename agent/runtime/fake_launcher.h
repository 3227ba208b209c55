#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/runtime/launcher.h"

namespace muster::agent {

// An in-memory Launcher: nothing runs. Tests decide when a "process" ends
// (Exit), which starts fail (FailNext), and see the signals sent. A process
// that gets SIGKILL ends at once; other signals are only recorded unless
// `exit_on_signal` is set. Thread-safe: a test thread may drive it while an
// agent's loop uses it (wake_fd() is -1, so the loop polls Reap()).
class FakeLauncher final : public Launcher {
 public:
  struct Started {
    int32_t pid;
    ProcessSpec spec;
  };

  Result<int32_t> Start(const ProcessSpec& spec) override;
  void SignalGroup(int32_t pgid, int sig) override;
  std::vector<ProcessExit> Reap() override;
  int wake_fd() const override { return -1; }

  // Test controls.
  void FailNext(std::string message);
  void Exit(int32_t pid, int32_t exit_code, int32_t signal = 0);
  void set_exit_on_signal(bool v);
  std::vector<Started> started() const;
  std::vector<std::pair<int32_t, int>> signals() const;  // (pgid, sig)
  bool IsRunning(int32_t pid) const;

 private:
  mutable std::mutex mu_;
  int32_t next_pid_ = 1000;                       // guarded by mu_
  std::vector<Started> started_;                  // guarded by mu_
  std::map<int32_t, bool> running_;               // guarded by mu_
  std::vector<ProcessExit> ended_;                // guarded by mu_
  std::vector<std::pair<int32_t, int>> signals_;  // guarded by mu_
  std::optional<std::string> fail_next_;          // guarded by mu_
  bool exit_on_signal_ = false;                   // guarded by mu_
};

}  // namespace muster::agent
