#include "scheduler/cli/rpc.h"

#include <string>

#include "common/transport/zmtp_client.h"

namespace muster::cli {
namespace {

// The CLI speaks ZMTP itself rather than through libzmq: a one-shot process
// pays more for loading libzmq and starting its threads than for the request.
class ZmtpRpc final : public Rpc {
 public:
  explicit ZmtpRpc(const GlobalOptions& global) : client_(global.scheduler, global.timeout_ms) {}
  Result<wire::Body> Call(const wire::Body& request) override { return client_.Call(request); }

 private:
  transport::ZmtpClient client_;
};

}  // namespace

std::unique_ptr<Rpc> MakeZmqRpc(const GlobalOptions& global) { return std::make_unique<ZmtpRpc>(global); }

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
