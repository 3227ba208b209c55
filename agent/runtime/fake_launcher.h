#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/runtime/launcher.h"
#include "common/base/mutex.h"

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
  // State below is protected by mu_.
  mutable Mutex mu_;
  int32_t next_pid_ GUARDED_BY(mu_) = 1000;
  std::vector<Started> started_ GUARDED_BY(mu_);
  std::map<int32_t, bool> running_ GUARDED_BY(mu_);
  std::vector<ProcessExit> ended_ GUARDED_BY(mu_);
  std::vector<std::pair<int32_t, int>> signals_ GUARDED_BY(mu_);
  std::optional<std::string> fail_next_ GUARDED_BY(mu_);
  bool exit_on_signal_ GUARDED_BY(mu_) = false;
};

}  // namespace muster::agent
