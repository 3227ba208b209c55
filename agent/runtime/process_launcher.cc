#include "agent/runtime/process_launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "common/base/log.h"

namespace muster::agent {
namespace {

// What the child reports through the CLOEXEC pipe when it cannot exec.
enum class Stage : int32_t { kSetup = 1, kStdin, kChdir, kExec, kUser };
struct ChildFailure {
  Stage stage;
  int32_t err;
};

std::string Errno(int err) { return std::strerror(err); }

// The longest a child may take from fork to exec.
constexpr int kExecTimeoutMs = 10000;

// What the child needs, all built by the parent before vfork: the child
// shares the parent's memory until it execs, so it allocates nothing and
// writes to no variable of the parent's.
struct ChildPlan {
  pid_t parent;
  int log_fd;
  int report_fd;
  const char* workdir;
  const char* path;  // the resolved program, or argv[0] when none was found
  int lookup_errno;  // set when PATH held no such program: fail with it
  char* const* argv;
  char* const* sh_argv;  // {"/bin/sh", path, argv[1..]}: execvp's fallback for a script without "#!"
  char* const* envp;
  bool switch_user;  // then become uid/gid with `groups` before anything of the job's
  uid_t uid;
  gid_t gid;
  const gid_t* groups;
  size_t ngroups;
};

// Between vfork and exec only system calls. The parent blocked every signal
// before vfork, so no handler of the agent's can run on the shared memory;
// handlers go back to the default before the mask opens.
// Not inlined: the child's locals then live below Fork's frame, never in
// it, whatever the compiler does with a returns-twice vfork.
[[noreturn]] __attribute__((noinline)) void RunChild(const ChildPlan& p) {
  auto fail = [&p](Stage stage, int err) {
    ChildFailure f{stage, err};
    ssize_t n;
    do n = write(p.report_fd, &f, sizeof f);
    while (n < 0 && errno == EINTR);
    _exit(127);
  };
  if (setpgid(0, 0) != 0) fail(Stage::kSetup, errno);
  if (p.switch_user) {
    // Raw system calls: glibc's setuid() would also try to change the
    // credentials of every thread of the process it thinks it is in, and
    // this vfork child shares the agent's memory. Groups first, then the
    // gid, then the uid (after which nothing else may be changed).
    if (syscall(SYS_setgroups, p.ngroups, p.groups) != 0) fail(Stage::kUser, errno);
    if (syscall(SYS_setresgid, p.gid, p.gid, p.gid) != 0) fail(Stage::kUser, errno);
    if (syscall(SYS_setresuid, p.uid, p.uid, p.uid) != 0) fail(Stage::kUser, errno);
  }
  // Die with the agent; if it already died before prctl, do not run at all.
  // After the switch: a change of credentials clears the death signal.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(Stage::kSetup, errno);
  if (getppid() != p.parent) _exit(127);
  // A caught signal would run the agent's handler in the job; an ignored
  // SIGPIPE (muster-agent ignores it: its stdout may be a closed pipe) would
  // survive exec. Jobs get the defaults, then no blocked signal either: the
  // agent blocks SIGCHLD (and maybe SIGTERM/SIGINT) for its signalfds.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    struct sigaction cur {};
    if (sigaction(sig, nullptr, &cur) != 0) continue;  // reserved by libc
    if (sig == SIGPIPE || (cur.sa_handler != SIG_DFL && cur.sa_handler != SIG_IGN))
      sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0) fail(Stage::kStdin, errno);
  if (dup2(p.log_fd, STDOUT_FILENO) < 0 || dup2(p.log_fd, STDERR_FILENO) < 0) fail(Stage::kSetup, errno);
  // No descriptor of the agent (sockets, signalfd, test harness) leaks into
  // the job; the report pipe is already close-on-exec.
  close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (chdir(p.workdir) != 0) fail(Stage::kChdir, errno);
  if (p.lookup_errno != 0) fail(Stage::kExec, p.lookup_errno);
  execve(p.path, p.argv, p.envp);
  if (errno == ENOEXEC) execve(p.sh_argv[0], p.sh_argv, p.envp);
  fail(Stage::kExec, errno);
  _exit(127);  // not reached
}

// execvp's search, done by the parent against the job's own PATH (execvp
// would search the agent's): the first regular, executable file. A relative
// PATH entry or program is relative to the job's working directory.
std::string ResolveProgram(const ProcessSpec& spec, const std::string& workdir, int* lookup_errno) {
  const std::string& name = spec.argv[0];
  *lookup_errno = 0;
  if (name.find('/') != std::string::npos) return name;  // as given; execve reports what is wrong
  std::string search = "/bin:/usr/bin";                  // execvp's default when PATH is unset
  for (const auto& e : spec.env)
    if (e.rfind("PATH=", 0) == 0) search = e.substr(5);
  int first_error = ENOENT;
  size_t from = 0;
  while (from <= search.size()) {
    size_t colon = search.find(':', from);
    if (colon == std::string::npos) colon = search.size();
    std::string dir = search.substr(from, colon - from);
    from = colon + 1;
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    std::string on_disk = candidate[0] == '/' ? candidate : workdir + "/" + candidate;
    struct stat st;
    if (stat(on_disk.c_str(), &st) != 0) {
      if (errno == EACCES) first_error = EACCES;  // an unsearchable directory, as execvp says
      continue;
    }
    // Found but not runnable (not a file, no x bit for the agent's effective
    // ids): execvp goes on looking, then says EACCES.
    if (!S_ISREG(st.st_mode) || faccessat(AT_FDCWD, on_disk.c_str(), X_OK, AT_EACCESS) != 0) {
      first_error = EACCES;
      continue;
    }
    return candidate;
  }
  *lookup_errno = first_error;
  return name;
}

std::string DescribeFailure(const ChildFailure& f, const ProcessSpec& spec) {
  switch (f.stage) {
    case Stage::kChdir:
      return "chdir '" + spec.workdir + "': " + Errno(f.err);
    case Stage::kExec:
      return "exec '" + spec.argv[0] + "': " + Errno(f.err);
    case Stage::kStdin:
      return "open /dev/null: " + Errno(f.err);
    case Stage::kUser:
      return "become uid " + std::to_string(spec.run_as ? spec.run_as->uid : 0) + ": " + Errno(f.err);
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
    out.push_back(children[i].ok() ? AwaitExec(*children[i], specs[i])
                                   : Result<int32_t>(children[i].status()));
  return out;
}

Result<ProcessLauncher::Forked> ProcessLauncher::Fork(const ProcessSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) return Status::InvalidArgument("empty argv");

  // Everything the child touches is built here, before vfork.
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const std::string workdir = spec.workdir.empty() ? "." : spec.workdir;
  int lookup_errno = 0;
  const std::string path = ResolveProgram(spec, workdir, &lookup_errno);
  std::vector<char*> sh_argv{const_cast<char*>("/bin/sh"), const_cast<char*>(path.c_str())};
  sh_argv.insert(sh_argv.end(), argv.begin() + 1, argv.end());

  // The job's output is its user's: nobody else on the node reads it
  // (`muster logs` goes through the agent, which checks who asks).
  int log_fd = open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) return Status::IoError("open log '" + spec.log_path + "': " + Errno(errno));
  std::vector<gid_t> groups;
  if (spec.run_as) {
    groups.assign(spec.run_as->groups.begin(), spec.run_as->groups.end());
    // The log is the user's own file.
    if (fchown(log_fd, spec.run_as->uid, spec.run_as->gid) != 0) {
      int err = errno;
      close(log_fd);
      return Status::IoError("chown log '" + spec.log_path + "': " + Errno(err));
    }
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    int err = errno;
    close(log_fd);
    return Status::Internal("pipe: " + Errno(err));
  }
  const ChildPlan plan{getpid(),
                       log_fd,
                       report[1],
                       workdir.c_str(),
                       path.c_str(),
                       lookup_errno,
                       argv.data(),
                       sh_argv.data(),
                       envp.data(),
                       spec.run_as.has_value(),
                       spec.run_as ? spec.run_as->uid : 0,
                       spec.run_as ? spec.run_as->gid : 0,
                       groups.data(),
                       groups.size()};

  // vfork, not fork: no copy of the agent's page tables, and the parent goes
  // on once the child has exec'd (or failed). Every signal stays blocked
  // across it so that no handler runs in the child on the shared memory.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  // A child that becomes another user could be stopped (SIGSTOP) by that
  // user before it execs, which would hold a vfork parent for ever: such a
  // child is a real fork, and AwaitExec bounds the wait for its exec.
  pid_t pid = spec.run_as ? fork() : vfork();
  if (pid == 0) RunChild(plan);
  int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  close(log_fd);
  close(report[1]);
  if (pid < 0) {
    close(report[0]);
    return Status::ResourceExhausted("vfork: " + Errno(fork_errno));
  }
  return Forked{static_cast<int32_t>(pid), report[0]};
}

Result<int32_t> ProcessLauncher::AwaitExec(const Forked& child, const ProcessSpec& spec) {
  ChildFailure failure{};
  pollfd pfd{child.report_fd, POLLIN, 0};
  int ready;
  do ready = poll(&pfd, 1, kExecTimeoutMs);
  while (ready < 0 && errno == EINTR);
  if (ready == 0) {
    // Stopped (or stuck) between fork and exec: it never ran the job.
    close(child.report_fd);
    kill(child.pid, SIGKILL);
    int status = 0;
    while (waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
    }
    return Status::FailedPrecondition("the rank did not exec within " +
                                      std::to_string(kExecTimeoutMs / 1000) +
                                      " s (stopped before it started?)");
  }
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
