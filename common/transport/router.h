// musterd's side of the wire: one endpoint, many peers, each known by the
// identity the transport gives its connection. ZeroMQ's ROUTER in
// production (zmq_router.h), an in-memory twin in tests (inproc_router.h),
// so the whole service runs in one process under a manual clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/proto/codec.h"
#include "muster/status.h"

namespace muster::transport {

// A received message, raw: the caller decodes (and answers garbage with an Error).
struct Incoming {
  std::string identity;  // empty on a DEALER
  std::string payload;
  bool extra_frames = false;  // a peer that sent more frames than expected
  // Who the connection authenticated as (a CURVE server's ZAP handler
  // decides: zap.h); empty when the connection is not authenticated.
  std::string principal{};
};

class Router {
 public:
  virtual ~Router() = default;
  // The endpoint actually bound (with the real port).
  virtual const std::string& endpoint() const = 0;
  // Returns when a message may be ready, or after `timeout_ms` (0: at once).
  virtual Status Wait(int64_t timeout_ms) = 0;
  // One message if one is ready.
  virtual std::optional<Incoming> TryRecv() = 0;
  // False when the peer is gone or its queue is full: the message is dropped.
  virtual bool Send(const std::string& peer, const wire::Envelope& env) = 0;
};

}  // namespace muster::transport
