#include "tests/support/process.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace muster::testing {
namespace {

using Clock = std::chrono::steady_clock;

// argv/envp built before fork: the child may only call async-signal-safe
// functions, and the test binary has threads.
struct ExecImage {
  std::vector<std::string> argv_storage;
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;

  ExecImage(const std::string& path, const std::vector<std::string>& args,
            const std::map<std::string, std::string>& env) {
    argv_storage.push_back(path);
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    for (char** e = environ; e && *e; ++e) {
      std::string kv = *e;
      auto eq = kv.find('=');
      if (eq != std::string::npos && env.count(kv.substr(0, eq))) continue;
      env_storage.push_back(std::move(kv));
    }
    for (const auto& [k, v] : env) env_storage.push_back(k + "=" + v);
    for (auto& s : argv_storage) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env_storage) envp.push_back(s.data());
    envp.push_back(nullptr);
  }
};

// In the child, after fork: own process group, die with the test binary,
// fds 0/1/2 as given, everything else closed, exec. Never returns.
[[noreturn]] void ExecChild(const ExecImage& image, int stdin_fd, int stdout_fd, int stderr_fd) {
  setpgid(0, 0);
  // If the test binary is killed (ctest timeout), take the daemons with it.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (stdin_fd >= 0) dup2(stdin_fd, 0);
  if (stdout_fd >= 0) dup2(stdout_fd, 1);
  if (stderr_fd >= 0) dup2(stderr_fd, 2);
  for (int fd = 3; fd < 1024; ++fd) close(fd);
  // Signals ignored or blocked by the test runner must not leak into the child.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int s = 1; s < NSIG; ++s) {
    if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
  }
  execve(image.argv[0], image.argv.data(), image.envp.data());
  const char msg[] = "exec failed\n";
  (void)!write(2, msg, sizeof(msg) - 1);
  _exit(127);
}

int OpenDevNull() { return open("/dev/null", O_RDWR | O_CLOEXEC); }

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

void KillGroupAndReap(pid_t pid, int* status) {
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
  while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

// ---- Process ---------------------------------------------------------------

std::unique_ptr<Process> Process::Spawn(const std::string& path, const std::vector<std::string>& args,
                                        const SpawnOptions& options) {
  if (access(path.c_str(), X_OK) != 0) {
    throw std::runtime_error("cannot execute " + path + ": " + std::strerror(errno));
  }
  ExecImage image(path, args, options.env);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  int devnull = OpenDevNull();
  int err_fd = -1;
  if (!options.stderr_path.empty()) {
    err_fd = open(options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (err_fd < 0) throw std::runtime_error("cannot open " + options.stderr_path);
  }
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) ExecChild(image, devnull, out[1], err_fd);
  // Also from the parent, so a signal to the group right after Spawn reaches it.
  setpgid(pid, pid);
  close(out[1]);
  close(devnull);
  if (err_fd >= 0) close(err_fd);

  std::unique_ptr<Process> p(new Process());
  p->path_ = path;
  p->pid_ = pid;
  p->stdout_fd_ = out[0];
  p->term_grace_ = options.term_grace;
  p->reader_ = std::thread([raw = p.get()] { raw->ReadLoop(); });
  return p;
}

Process::~Process() {
  Stop();
  stop_reader_ = true;
  if (reader_.joinable()) reader_.join();
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

void Process::ReadLoop() {
  char buf[4096];
  while (!stop_reader_) {
    pollfd pfd{stdout_fd_, POLLIN, 0};
    int r = poll(&pfd, 1, 100);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    ssize_t n = read(stdout_fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (n <= 0) {
      out_closed_ = true;
      cv_.notify_all();
      return;
    }
    out_.append(buf, static_cast<size_t>(n));
    cv_.notify_all();
  }
}

std::optional<std::string> Process::WaitForLine(const std::string& prefix, Millis timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  // Complete lines only: a line is ready once its newline arrived.
  auto find_line = [&]() -> std::optional<std::string> {
    size_t start = 0;
    for (size_t nl; (nl = out_.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (out_.compare(start, prefix.size(), prefix) == 0 && nl - start >= prefix.size()) {
        return out_.substr(start, nl - start);
      }
    }
    return std::nullopt;
  };
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (auto line = find_line()) return line;
    if (out_closed_) return std::nullopt;
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) return find_line();
  }
}

std::string Process::Stdout() const {
  std::lock_guard<std::mutex> lock(mu_);
  return out_;
}

void Process::SignalGroup(int sig) const {
  if (pid_ > 0 && !wait_status_) kill(-pid_, sig);
}

bool Process::Exited() {
  if (wait_status_) return true;
  if (pid_ <= 0) return true;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    wait_status_ = status;
    return true;
  }
  return false;
}

std::optional<int> Process::Wait(Millis timeout) {
  auto deadline = Clock::now() + timeout;
  while (!Exited()) {
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(Millis(10));
  }
  return wait_status_;
}

void Process::Kill9() {
  if (pid_ <= 0) return;
  if (!wait_status_) {
    int status = 0;
    KillGroupAndReap(pid_, &status);
    wait_status_ = status;
  } else {
    kill(-pid_, SIGKILL);  // leftovers of the group, if any
  }
}

void Process::Stop() {
  if (pid_ <= 0) return;
  if (!Exited()) {
    kill(-pid_, SIGTERM);
    if (!Wait(term_grace_)) Kill9();
  }
  kill(-pid_, SIGKILL);  // whatever else is left in its group
}

// ---- RunCommand --------------------------------------------------------------

std::string CommandResult::Describe() const {
  std::ostringstream os;
  if (timed_out) {
    os << "timed out after " << elapsed.count() << " ms";
  } else {
    os << "exit " << exit_code;
  }
  os << "; stdout: [" << out << "]; stderr: [" << err << "]";
  return os.str();
}

CommandResult RunCommand(const std::string& path, const std::vector<std::string>& args, Millis timeout,
                         const std::map<std::string, std::string>& env) {
  CommandResult res;
  auto start = Clock::now();
  ExecImage image(path, args, env);
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  int devnull = OpenDevNull();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) ExecChild(image, devnull, out[1], err[1]);
  setpgid(pid, pid);
  close(out[1]);
  close(err[1]);
  close(devnull);

  auto deadline = start + timeout;
  bool out_open = true, err_open = true;
  std::optional<int> status;
  std::optional<Clock::time_point> exited_at;
  char buf[8192];
  while (true) {
    if (!status) {
      int st = 0;
      if (waitpid(pid, &st, WNOHANG) == pid) {
        status = st;
        exited_at = Clock::now();
      }
    }
    if (!out_open && !err_open && status) break;
    // A grandchild may hold the pipes open; once the child is gone, drain briefly.
    if (exited_at && Clock::now() - *exited_at > Millis(300)) break;
    if (Clock::now() >= deadline) {
      res.timed_out = true;
      break;
    }
    pollfd pfds[2];
    int n = 0;
    if (out_open) pfds[n++] = {out[0], POLLIN, 0};
    if (err_open) pfds[n++] = {err[0], POLLIN, 0};
    if (n == 0) {
      std::this_thread::sleep_for(Millis(5));
      continue;
    }
    int r = poll(pfds, n, 20);
    if (r <= 0) continue;
    for (int i = 0; i < n; ++i) {
      if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = read(pfds[i].fd, buf, sizeof(buf));
      if (got < 0 && errno == EINTR) continue;
      bool is_out = pfds[i].fd == out[0];
      if (got <= 0) {
        (is_out ? out_open : err_open) = false;
      } else {
        (is_out ? res.out : res.err).append(buf, static_cast<size_t>(got));
      }
    }
  }
  if (!status) {
    int st = 0;
    KillGroupAndReap(pid, &st);
    status = st;
  } else {
    kill(-pid, SIGKILL);  // stray members of its group
  }
  close(out[0]);
  close(err[0]);
  res.exit_code = res.timed_out ? -1 : DecodeStatus(*status);
  res.elapsed = std::chrono::duration_cast<Millis>(Clock::now() - start);
  return res;
}

// ---- processes by pid ----------------------------------------------------------

bool IsProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;
  // A zombie still answers kill(pid, 0); it is dead for our purposes.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close_paren = content.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= content.size()) return false;
  char state = content[close_paren + 2];
  return state != 'Z' && state != 'X';
}

bool WaitForProcessGone(pid_t pid, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  while (IsProcessAlive(pid)) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(Millis(20));
  }
  return true;
}

int KillProcessesWithEnv(const std::string& name, const std::string& value, Millis timeout) {
  const std::string needle = name + "=" + value;
  const pid_t self = getpid();
  int signalled = 0;
  auto deadline = Clock::now() + timeout;
  while (true) {
    int found = 0;
    DIR* d = opendir("/proc");
    if (!d) return signalled;
    while (dirent* e = readdir(d)) {
      char* end = nullptr;
      long pid = std::strtol(e->d_name, &end, 10);
      if (*end != '\0' || pid <= 0 || pid == self) continue;
      std::ifstream f(std::string("/proc/") + e->d_name + "/environ", std::ios::binary);
      if (!f) continue;  // not ours, or gone
      std::string env((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      size_t pos = 0;
      bool match = false;
      while (pos < env.size()) {
        size_t nul = env.find('\0', pos);
        if (nul == std::string::npos) nul = env.size();
        if (env.compare(pos, nul - pos, needle) == 0) {
          match = true;
          break;
        }
        pos = nul + 1;
      }
      if (match && IsProcessAlive(static_cast<pid_t>(pid))) {
        kill(static_cast<pid_t>(pid), SIGKILL);
        ++found;
      }
    }
    closedir(d);
    signalled += found;
    if (found == 0 || Clock::now() >= deadline) return signalled;
    std::this_thread::sleep_for(Millis(50));
  }
}

int UnusedLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return "";
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

std::string TailFile(const std::string& path, size_t max_bytes) {
  std::string s = ReadFile(path);
  if (s.size() <= max_bytes) return s;
  return "..." + s.substr(s.size() - max_bytes);
}

}  // namespace muster::testing
