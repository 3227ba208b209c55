#include "agent/runtime/fake_launcher.h"

#include <csignal>

namespace muster::agent {

Result<int32_t> FakeLauncher::Start(const ProcessSpec& spec) {
  MutexLock lock(&mu_);
  if (fail_next_) {
    std::string m = std::move(*fail_next_);
    fail_next_.reset();
    return Status::FailedPrecondition(std::move(m));
  }
  if (spec.argv.empty() || spec.argv[0].empty()) return Status::InvalidArgument("empty argv");
  int32_t pid = next_pid_++;
  started_.push_back({pid, spec});
  running_[pid] = true;
  return pid;
}

void FakeLauncher::SignalGroup(int32_t pgid, int sig) {
  MutexLock lock(&mu_);
  signals_.emplace_back(pgid, sig);
  auto it = running_.find(pgid);
  if (it == running_.end()) return;
  if (sig == SIGKILL || exit_on_signal_) {
    running_.erase(it);
    ended_.push_back({pgid, 0, sig});
  }
}

std::vector<ProcessExit> FakeLauncher::Reap() {
  MutexLock lock(&mu_);
  return std::exchange(ended_, {});
}

void FakeLauncher::FailNext(std::string message) {
  MutexLock lock(&mu_);
  fail_next_ = std::move(message);
}

void FakeLauncher::Exit(int32_t pid, int32_t exit_code, int32_t signal) {
  MutexLock lock(&mu_);
  if (running_.erase(pid) == 0) return;
  ended_.push_back({pid, signal == 0 ? exit_code : 0, signal});
}

void FakeLauncher::set_exit_on_signal(bool v) {
  MutexLock lock(&mu_);
  exit_on_signal_ = v;
}

std::vector<FakeLauncher::Started> FakeLauncher::started() const {
  MutexLock lock(&mu_);
  return started_;
}

std::vector<std::pair<int32_t, int>> FakeLauncher::signals() const {
  MutexLock lock(&mu_);
  return signals_;
}

bool FakeLauncher::IsRunning(int32_t pid) const {
  MutexLock lock(&mu_);
  return running_.count(pid) > 0;
}

}  // namespace muster::agent
