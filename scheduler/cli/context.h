// What a CLI command needs from the outside world, injected so commands run
// against a fake musterd, string streams and a manual clock in tests
// (docs/architecture.md principles 6, 7). main.cc wires the real ones.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "common/base/clock.h"
#include "common/proto/messages.h"
#include "muster/status.h"

namespace muster::cli {

// The process exit status; scripts rely on these values.
enum ExitCode : int {
  kExitOk = 0,
  kExitRefused = 1,      // musterd answered Error (or an unexpected reply)
  kExitUsage = 2,        // bad flags, bad duration, a spec invalid locally
  kExitUnavailable = 3,  // musterd did not answer within the timeout
};

// Flags every command accepts, before or after the command name.
struct GlobalOptions {
  std::string scheduler;  // ZeroMQ endpoint of musterd
  int timeout_ms = 5000;  // per request
  // The caller's CURVE key pair and musterd's public key (docs/security.md);
  // `insecure`: no keys, only against musterd --insecure.
  std::string key_file;
  std::string server_key_file;
  bool insecure = false;
};

// One request -> one reply. Unavailable when no reply came in time,
// InvalidArgument for an endpoint that cannot be used at all.
class Rpc {
 public:
  virtual ~Rpc() = default;
  virtual Result<wire::Body> Call(const wire::Body& request) = 0;
};

// Makes the connection lazily: `--help` and usage errors never open a socket,
// and global flags given after the command still apply.
using RpcFactory = std::function<std::unique_ptr<Rpc>(const GlobalOptions&)>;

// Facts about the submitting process that `submit` defaults from.
struct SubmitDefaults {
  std::string user;  // also the default team
  std::string cwd;   // absolute; the default workdir, and the base of a relative --workdir
  // The submitter's environment ("NAME=value"), for --export.
  std::vector<std::string> environment{};
};

struct Context {
  std::ostream& out;
  std::ostream& err;
  const Clock& clock;
  RpcFactory connect;
  std::function<void(int ms)> sleep_ms;  // `logs --follow` between polls
  GlobalOptions global;                  // defaults; the command line overrides
  SubmitDefaults submit_defaults;
};

}  // namespace muster::cli
