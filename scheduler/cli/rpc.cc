#include "scheduler/cli/rpc.h"

#include <unistd.h>

#include <cstring>
#include <fstream>
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
  explicit ZmtpRpc(const GlobalOptions& global)
      : client_(global.scheduler, global.timeout_ms), timeout_ms_(global.timeout_ms) {}

  // A submit with a request token is safe to send again: musterd answers a
  // repeat with the job the first made. So when the connection broke before
  // the answer (musterd crashed or restarted), it is sent again on a new
  // connection while the timeout allows.
  Result<wire::Body> Call(const wire::Body& request) override {
    const int64_t deadline = MonotonicMs() + timeout_ms_;
    auto reply = client_.Call(request);
    const auto* submit = std::get_if<wire::SubmitJob>(&request);
    while (!reply.ok() && submit && !submit->token.empty() && Broken(reply.status())) {
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
  // The connection broke after it was made; not a handshake that failed
  // (a wrong key or mechanism fails again the same way).
  static bool Broken(const Status& s) {
    const std::string& m = s.message();
    if (m.find("greeting") != std::string::npos || m.find("handshake") != std::string::npos) return false;
    return s.code() == StatusCode::kUnavailable &&
           (m.find("closed the connection") != std::string::npos ||
            m.find("reset by peer") != std::string::npos || m.find("Broken pipe") != std::string::npos);
  }
  transport::ZmtpClient client_;
  int timeout_ms_;
};

}  // namespace

std::unique_ptr<Rpc> MakeZmqRpc(const GlobalOptions& global) { return std::make_unique<ZmtpRpc>(global); }

std::string NewRequestToken() {
  unsigned char bytes[16] = {};
  std::ifstream random("/dev/urandom", std::ios::binary);
  if (!random.read(reinterpret_cast<char*>(bytes), sizeof bytes)) {
    // No /dev/urandom (a bare chroot): unique enough for one user's retries.
    uint64_t a = static_cast<uint64_t>(::getpid()), b = static_cast<uint64_t>(MonotonicMs()) ^ (a << 40);
    std::memcpy(bytes, &a, 8);
    std::memcpy(bytes + 8, &b, 8);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char c : bytes) {
    token.push_back(kHex[c >> 4]);
    token.push_back(kHex[c & 15]);
  }
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
