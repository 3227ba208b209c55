// ZeroMQ framing shared by every process. A message is one frame holding an
// encoded Envelope; a ROUTER sees [identity, payload], a DEALER [payload].
#pragma once

#include <optional>
#include <string>
#include <zmq.hpp>

#include "common/proto/codec.h"
#include "common/transport/curve.h"
#include "common/transport/router.h"
#include "muster/status.h"

namespace muster::transport {

// A DEALER socket with sane defaults: no linger, bounded queues; a CURVE
// client of the server in `keys` when given.
zmq::socket_t MakeDealer(zmq::context_t& ctx, const std::string& endpoint,
                         const std::optional<curve::ClientKeys>& keys = std::nullopt);

// Send one envelope from a DEALER.
void Send(zmq::socket_t& dealer, const wire::Envelope& env);
// Send one envelope from a ROUTER to the peer with `identity`.
// Returns false when the peer is gone (ZMQ_ROUTER_MANDATORY) or its queue is full.
bool SendTo(zmq::socket_t& router, const std::string& identity, const wire::Envelope& env);

// Non-blocking receive of one message; nullopt when none is ready.
std::optional<Incoming> TryRecv(zmq::socket_t& sock, bool is_router);

// A blocking request/reply client over a DEALER (the CLI, tests, tools).
// Each call waits at most `timeout_ms` for its reply; replies to earlier,
// timed-out requests are skipped by request id.
class Client {
 public:
  Client(std::string endpoint, int timeout_ms, const std::optional<curve::ClientKeys>& keys = std::nullopt);
  Result<wire::Body> Call(const wire::Body& request);
  // Send raw bytes (tests of garbage handling) and wait for any reply.
  Result<wire::Envelope> CallRaw(const std::string& bytes);
  const std::string& endpoint() const { return endpoint_; }

 private:
  Result<wire::Envelope> Await(uint64_t request_id);
  std::string endpoint_;
  int timeout_ms_;
  zmq::context_t ctx_{1};
  zmq::socket_t sock_;
  uint64_t next_id_ = 1;
};

}  // namespace muster::transport
