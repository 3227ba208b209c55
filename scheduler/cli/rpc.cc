#include "scheduler/cli/rpc.h"

#include <string>

#include "common/transport/zmq_util.h"

namespace muster::cli {
namespace {

class ZmqRpc final : public Rpc {
 public:
  explicit ZmqRpc(const GlobalOptions& global) {
    // cppzmq throws for an endpoint ZeroMQ cannot parse ("foo", "tcp://:x").
    try {
      client_ = std::make_unique<transport::Client>(global.scheduler, global.timeout_ms);
    } catch (const zmq::error_t& e) {
      broken_ = Status::InvalidArgument("bad scheduler endpoint '" + global.scheduler + "': " + e.what() +
                                        " (use e.g. tcp://127.0.0.1:7600)");
    }
  }

  Result<wire::Body> Call(const wire::Body& request) override {
    if (!client_) return broken_;
    try {
      return client_->Call(request);
    } catch (const zmq::error_t& e) {
      return Status::Unavailable("cannot reach musterd at " + client_->endpoint() + ": " + e.what());
    }
  }

 private:
  std::unique_ptr<transport::Client> client_;
  Status broken_;
};

}  // namespace

std::unique_ptr<Rpc> MakeZmqRpc(const GlobalOptions& global) { return std::make_unique<ZmqRpc>(global); }

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
