#include "scheduler/cli/rpc.h"

#include <sys/stat.h>

#include <cstdlib>
#include <random>
#include <string>
#include <thread>

#include "common/base/clock.h"
#include "common/transport/zmtp_client.h"

namespace muster::cli {
namespace {

// The CLI speaks ZMTP itself rather than through libzmq: a one-shot process
// pays more for loading libzmq and starting its threads than for the request.
class ZmtpRpc final : public Rpc {
 public:
  ZmtpRpc(const GlobalOptions& global, std::optional<transport::curve::ClientKeys> keys, Status keys_status)
      : client_(global.scheduler, global.timeout_ms, std::move(keys)),
        timeout_ms_(global.timeout_ms),
        keys_status_(std::move(keys_status)) {}

  // A submit with a request token is safe to send again: musterd answers a
  // repeat with the job the first made. So when the connection broke before
  // the answer (musterd crashed or restarted), it is sent again on a new
  // connection while the timeout allows.
  Result<wire::Body> Call(const wire::Body& request) override {
    if (!keys_status_.ok()) return keys_status_;
    const int64_t deadline = MonotonicMs() + timeout_ms_;
    auto reply = client_.Call(request);
    const auto* submit = std::get_if<wire::SubmitJob>(&request);
    while (!reply.ok() && submit && !submit->token.empty() && client_.connection_broke()) {
      const int64_t left = deadline - MonotonicMs() - kRetryPauseMs;
      if (left <= 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(kRetryPauseMs));
      client_.set_timeout_ms(static_cast<int>(left));
      reply = client_.Call(request);
    }
    return reply;
  }

 private:
  static constexpr int64_t kRetryPauseMs = 100;
  transport::ZmtpClient client_;
  int timeout_ms_;
  Status keys_status_;  // why there are no keys, when they were needed
};

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

std::unique_ptr<Rpc> MakeZmqRpc(const GlobalOptions& global) {
  std::optional<transport::curve::ClientKeys> keys;
  Status why;
  if (!global.insecure) {
    auto read = transport::curve::ReadClientKeys(global.key_file, global.server_key_file);
    if (read.ok())
      keys = *read;
    else
      why =
          Status(read.status().code(),
                 read.status().message() +
                     " (musterd needs your key: make one with `muster keygen` and ask an operator to add its "
                     "public key; --insecure only against musterd --insecure)");
  }
  return std::make_unique<ZmtpRpc>(global, std::move(keys), std::move(why));
}

void KeysFromEnvironment(GlobalOptions* global) {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v && *v ? v : "";
  };
  const std::string home = env("HOME");
  const std::string config = (home.empty() ? std::string(".") : home) + "/.config/muster/";
  global->key_file = env("MUSTER_KEY");
  if (global->key_file.empty()) global->key_file = config + "user.key";
  global->server_key_file = env("MUSTER_SERVER_KEY");
  if (global->server_key_file.empty())
    global->server_key_file =
        Exists(config + "server.pub") ? config + "server.pub" : "/etc/muster/server.pub";
  if (env("MUSTER_INSECURE") == "1") global->insecure = true;
}

std::string NewRequestToken() {
  std::random_device random;  // the kernel's random source (getrandom)
  static const char kHex[] = "0123456789abcdef";
  std::string token;
  for (int i = 0; i < 4; ++i)
    for (uint32_t v = random(), n = 0; n < 8; ++n, v >>= 4) token.push_back(kHex[v & 15]);
  return token;
}

const char* ErrorCodeName(wire::ErrorCode code) {
  switch (code) {
    case wire::ErrorCode::kUnknown:
      return "unknown error";
    case wire::ErrorCode::kBadRequest:
      return "bad request";
    case wire::ErrorCode::kVersionMismatch:
      return "protocol version mismatch";
    case wire::ErrorCode::kNotFound:
      return "not found";
    case wire::ErrorCode::kInvalidSpec:
      return "invalid job spec";
    case wire::ErrorCode::kFailedPrecondition:
      return "failed precondition";
    case wire::ErrorCode::kTooLarge:
      return "request too large";
    case wire::ErrorCode::kUnavailable:
      return "unavailable";
    case wire::ErrorCode::kInternal:
      return "internal error";
    case wire::ErrorCode::kNotRegistered:
      return "not registered";
    case wire::ErrorCode::kPermissionDenied:
      return "permission denied";
  }
  return "unknown error";
}

int ReportCallFailure(const Status& status, std::ostream& err) {
  err << "muster: " << status.message() << "\n";
  switch (status.code()) {
    case StatusCode::kUnavailable:
      return kExitUnavailable;
    case StatusCode::kInvalidArgument:
      return kExitUsage;
    default:
      return kExitRefused;
  }
}

int ReportRefusal(const wire::Error& error, std::ostream& err) {
  err << "muster: " << (error.message.empty() ? ErrorCodeName(error.code) : error.message) << "\n";
  return kExitRefused;
}

}  // namespace muster::cli
