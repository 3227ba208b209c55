// Starting and supervising rank processes behind a narrow interface
// (docs/architecture.md principle 7): fork/exec for real, a fake for tests of the agent service.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "muster/status.h"

namespace muster::agent {

// The UNIX identity a process runs as (the agent must be root to switch).
struct RunAs {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;  // supplementary groups (initgroups' list)
  bool operator==(const RunAs&) const = default;
};

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in the PATH of `env`
  std::vector<std::string> env;   // the complete environment, "NAME=value"
  std::string workdir;            // must exist; entered as `run_as`
  std::string log_path;           // stdout and stderr are appended here (created, owned by `run_as`)
  std::optional<RunAs> run_as{};  // nullopt: the agent's own identity
};

// A supervised process that ended: it was reaped and its process group killed.
struct ProcessExit {
  int32_t pid = 0;
  int32_t exit_code = 0;  // WEXITSTATUS, when signal == 0
  int32_t signal = 0;     // WTERMSIG, 0 when it exited
  bool operator==(const ProcessExit&) const = default;
};

class Launcher {
 public:
  virtual ~Launcher() = default;

  // Starts one process as the leader of its own process group (so its pgid
  // is its pid). An error means it never ran: the message names what failed
  // ("exec 'nosuchcmd': No such file or directory").
  virtual Result<int32_t> Start(const ProcessSpec& spec) = 0;

  // Starts several processes, one result per spec in order, as if by Start
  // for each. A launcher may overlap them (the ranks of a gang exec in
  // parallel rather than one after another).
  virtual std::vector<Result<int32_t>> StartAll(const std::vector<ProcessSpec>& specs) {
    std::vector<Result<int32_t>> out;
    out.reserve(specs.size());
    for (const auto& s : specs) out.push_back(Start(s));
    return out;
  }

  // Sends `sig` to the whole process group `pgid`. A group that is gone is not an error.
  virtual void SignalGroup(int32_t pgid, int sig) = 0;

  // Non-blocking: every started process that has ended since the last call.
  virtual std::vector<ProcessExit> Reap() = 0;

  // A file descriptor that becomes readable when Reap() has something to
  // return (poll it with the sockets), or -1: then call Reap() periodically.
  virtual int wake_fd() const = 0;
};

}  // namespace muster::agent
