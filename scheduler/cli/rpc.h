// Talking to musterd: the real ZeroMQ Rpc and the one place that turns a
// failed request into a message on stderr and an exit code.
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <variant>

#include "common/proto/messages.h"
#include "scheduler/cli/context.h"

namespace muster::cli {

// The CLI's own ZMTP client (CURVE unless `global.insecure`) behind the Rpc
// interface.
std::unique_ptr<Rpc> MakeZmqRpc(const GlobalOptions& global);

// The key files when no flag names them: $MUSTER_KEY, else
// ~/.config/muster/user.key; $MUSTER_SERVER_KEY, else
// ~/.config/muster/server.pub when it exists, else /etc/muster/server.pub;
// MUSTER_INSECURE=1 for no keys.
void KeysFromEnvironment(GlobalOptions* global);

// Prints "muster: <why>" for a failed call and returns the exit code it means:
// no reply in time -> kExitUnavailable, an unusable endpoint -> kExitUsage,
// anything else -> kExitRefused.
int ReportCallFailure(const Status& status, std::ostream& err);
// Prints "muster: <message>" for musterd's Error answer; kExitRefused.
int ReportRefusal(const wire::Error& error, std::ostream& err);
const char* ErrorCodeName(wire::ErrorCode code);
// A fresh request token for an idempotent submit: 32 hex digits from the
// kernel's random source.
std::string NewRequestToken();

// Sends `request` and returns the reply when it is a T. Otherwise the failure
// (no reply, musterd's Error, a reply of another type) is reported on `err`
// and `*exit_code` says how the process should end.
template <typename T>
std::optional<T> CallFor(Rpc& rpc, const wire::Body& request, std::ostream& err, int* exit_code) {
  auto reply = rpc.Call(request);
  if (!reply.ok()) {
    *exit_code = ReportCallFailure(reply.status(), err);
    return std::nullopt;
  }
  if (auto* t = std::get_if<T>(&reply.value())) return std::move(*t);
  if (auto* e = std::get_if<wire::Error>(&reply.value())) {
    *exit_code = ReportRefusal(*e, err);
    return std::nullopt;
  }
  err << "muster: unexpected reply " << wire::BodyName(reply.value()) << " from musterd\n";
  *exit_code = kExitRefused;
  return std::nullopt;
}

}  // namespace muster::cli
