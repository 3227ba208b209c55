#pragma once

#include <memory>

#include "agent/runtime/launcher.h"

namespace muster::agent {

// vfork/exec. Each process leads its own process group, dies with the thread
// that started it (PR_SET_PDEATHSIG), and is reaped through a SIGCHLD
// signalfd. When a leader ends, the rest of its group is SIGKILLed so no
// grandchild outlives its rank.
//
// SIGCHLD must be blocked in every thread for the signalfd to see it: Create()
// blocks it in the calling thread, and programs should block it in main()
// before starting any thread (ZeroMQ's included). A SIGCHLD delivered
// elsewhere is not lost for good: Reap() checks for ended children anyway.
class ProcessLauncher final : public Launcher {
 public:
  static Result<std::unique_ptr<ProcessLauncher>> Create();
  ~ProcessLauncher() override;
  ProcessLauncher(const ProcessLauncher&) = delete;
  ProcessLauncher& operator=(const ProcessLauncher&) = delete;

  Result<int32_t> Start(const ProcessSpec& spec) override;
  // Starts every process, then collects each one's exec report. vfork
  // returns once a child has exec'd, so the ranks' own start-up (the dynamic
  // loader, Python's imports) overlaps the next ranks' launch.
  std::vector<Result<int32_t>> StartAll(const std::vector<ProcessSpec>& specs) override;
  void SignalGroup(int32_t pgid, int sig) override;
  std::vector<ProcessExit> Reap() override;
  int wake_fd() const override { return signal_fd_; }

 private:
  explicit ProcessLauncher(int signal_fd) : signal_fd_(signal_fd) {}
  // A started child and the close-on-exec pipe that says whether its exec worked.
  struct Forked {
    int32_t pid = 0;
    int report_fd = -1;
  };
  Result<Forked> Fork(const ProcessSpec& spec);
  Result<int32_t> AwaitExec(const Forked& child, const ProcessSpec& spec);
  int signal_fd_;
};

}  // namespace muster::agent
