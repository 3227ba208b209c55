#include "agent/runtime/process_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/base/log.h"

extern char** environ;

namespace muster::agent {
namespace {

// What the child reports through the CLOEXEC pipe when it cannot exec.
enum class Stage : int32_t { kSetup = 1, kStdin, kChdir, kExec };
struct ChildFailure {
  Stage stage;
  int32_t err;
};

std::string Errno(int err) { return std::strerror(err); }

// Between fork and exec only async-signal-safe calls: everything the child
// needs was prepared by the parent.
[[noreturn]] void RunChild(pid_t parent, int log_fd, int report_fd, const char* workdir, char* const* argv,
                           char** envp) {
  auto fail = [report_fd](Stage stage, int err) {
    ChildFailure f{stage, err};
    ssize_t n;
    do n = write(report_fd, &f, sizeof f);
    while (n < 0 && errno == EINTR);
    _exit(127);
  };
  if (setpgid(0, 0) != 0) fail(Stage::kSetup, errno);
  // Die with the agent; if it already died before prctl, do not run at all.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(Stage::kSetup, errno);
  if (getppid() != parent) _exit(127);
  // The agent blocks SIGCHLD (and maybe SIGTERM/SIGINT) for its signalfds;
  // a blocked mask would be inherited through exec.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // muster-agent ignores SIGPIPE (its stdout may be a closed pipe); an
  // ignored disposition would survive exec, so jobs get the default back.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, nullptr);

  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0) fail(Stage::kStdin, errno);
  if (dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0) fail(Stage::kSetup, errno);
  // No descriptor of the agent (sockets, signalfd, test harness) leaks into
  // the job; the report pipe is already close-on-exec.
  close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (chdir(workdir) != 0) fail(Stage::kChdir, errno);
  environ = envp;  // so execvp searches the job's PATH
  execvp(argv[0], argv);
  fail(Stage::kExec, errno);
  _exit(127);  // not reached
}

std::string DescribeFailure(const ChildFailure& f, const ProcessSpec& spec) {
  switch (f.stage) {
    case Stage::kChdir:
      return "chdir '" + spec.workdir + "': " + Errno(f.err);
    case Stage::kExec:
      return "exec '" + spec.argv[0] + "': " + Errno(f.err);
    case Stage::kStdin:
      return "open /dev/null: " + Errno(f.err);
    case Stage::kSetup:
      break;
  }
  return "process setup: " + Errno(f.err);
}

}  // namespace

Result<std::unique_ptr<ProcessLauncher>> ProcessLauncher::Create() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  if (int rc = pthread_sigmask(SIG_BLOCK, &mask, nullptr); rc != 0)
    return Status::Internal("block SIGCHLD: " + Errno(rc));
  int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return Status::Internal("signalfd: " + Errno(errno));
  return std::unique_ptr<ProcessLauncher>(new ProcessLauncher(fd));
}

ProcessLauncher::~ProcessLauncher() { close(signal_fd_); }

Result<int32_t> ProcessLauncher::Start(const ProcessSpec& spec) {
  auto child = Fork(spec);
  if (!child.ok()) return child.status();
  return AwaitExec(*child, spec);
}

std::vector<Result<int32_t>> ProcessLauncher::StartAll(const std::vector<ProcessSpec>& specs) {
  std::vector<Result<Forked>> children;
  children.reserve(specs.size());
  for (const auto& spec : specs) children.push_back(Fork(spec));
  std::vector<Result<int32_t>> out;
  out.reserve(specs.size());
  for (size_t i = 0; i < specs.size(); ++i)
    out.push_back(children[i].ok() ? AwaitExec(*children[i], specs[i]) : Result<int32_t>(children[i].status()));
  return out;
}

Result<ProcessLauncher::Forked> ProcessLauncher::Fork(const ProcessSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) return Status::InvalidArgument("empty argv");

  // Everything the child touches is built here, before fork.
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const std::string workdir = spec.workdir.empty() ? "." : spec.workdir;

  int log_fd = open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::IoError("open log '" + spec.log_path + "': " + Errno(errno));
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    int err = errno;
    close(log_fd);
    return Status::Internal("pipe: " + Errno(err));
  }

  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) RunChild(parent, log_fd, report[1], workdir.c_str(), argv.data(), envp.data());
  int fork_errno = errno;
  close(log_fd);
  close(report[1]);
  if (pid < 0) {
    close(report[0]);
    return Status::ResourceExhausted("fork: " + Errno(fork_errno));
  }
  // Also from the parent, so the group exists before we may signal it.
  // (EACCES once the child has exec'd is fine: it did it itself.)
  setpgid(pid, pid);
  return Forked{static_cast<int32_t>(pid), report[0]};
}

Result<int32_t> ProcessLauncher::AwaitExec(const Forked& child, const ProcessSpec& spec) {
  ChildFailure failure{};
  ssize_t n;
  do n = read(child.report_fd, &failure, sizeof failure);
  while (n < 0 && errno == EINTR);
  close(child.report_fd);
  if (n == static_cast<ssize_t>(sizeof failure)) {
    int status = 0;
    while (waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
    }
    return Status::FailedPrecondition(DescribeFailure(failure, spec));
  }
  // EOF: exec closed the pipe, the program runs.
  return child.pid;
}

void ProcessLauncher::SignalGroup(int32_t pgid, int sig) {
  if (pgid <= 1) return;  // never kill(-1) or our own group by accident
  if (kill(-pgid, sig) != 0 && errno != ESRCH) {
    MLOG(Warning) << "kill(-" << pgid << ", " << sig << "): " << Errno(errno);
  }
}

std::vector<ProcessExit> ProcessLauncher::Reap() {
  // Drain the signalfd; the waitid loop below finds every ended child anyway
  // (SIGCHLDs coalesce).
  signalfd_siginfo info;
  while (read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
  }
  std::vector<ProcessExit> exits;
  while (true) {
    siginfo_t si;
    si.si_pid = 0;
    // Peek without reaping: while the leader is a zombie its pid, and so its
    // process group id, cannot be reused, so killing the group is safe.
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0) break;
    pid_t pid = si.si_pid;
    kill(-pid, SIGKILL);  // stray grandchildren go with their rank
    int status = 0;
    pid_t r;
    do r = waitpid(pid, &status, 0);
    while (r < 0 && errno == EINTR);
    if (r != pid) break;
    ProcessExit e;
    e.pid = pid;
    if (WIFSIGNALED(status)) {
      e.signal = WTERMSIG(status);
    } else {
      e.exit_code = WEXITSTATUS(status);
    }
    exits.push_back(e);
  }
  return exits;
}

}  // namespace muster::agent
