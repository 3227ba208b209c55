// A one-shot request/reply client that speaks ZMTP 3.0 (ZeroMQ's wire
// protocol, rfc.zeromq.org/spec/23) as a DEALER over one blocking TCP
// socket, without libzmq: with CURVE security (curve.h) when given keys,
// NULL security otherwise.
//
// Why: the CLI is one process per command, and for it libzmq costs more than
// the request itself — some fifteen shared libraries to load and a context
// with its own threads (bench/README.md "Sequential CLI"). musterd still sees
// an ordinary DEALER peer on its ROUTER. Daemons and long-lived clients keep
// using libzmq (zmq_util.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/proto/messages.h"
#include "common/transport/curve.h"
#include "muster/status.h"

namespace muster::transport {

class ZmtpClient {
 public:
  // `endpoint` is tcp://HOST:PORT (HOST a name, an IPv4 address or [IPv6]).
  // Nothing is connected until the first Call.
  // With `keys`, the connection is CurveZMQ: the server must hold the
  // secret half of keys.server and accept keys.client.
  ZmtpClient(std::string endpoint, int timeout_ms, std::optional<curve::ClientKeys> keys = std::nullopt);
  ~ZmtpClient();
  ZmtpClient(const ZmtpClient&) = delete;
  ZmtpClient& operator=(const ZmtpClient&) = delete;

  // Sends one request and waits for its reply, all within the timeout
  // (connection attempts included: a musterd that starts listening in the
  // meantime is reached, as with libzmq's reconnects). Unavailable when no
  // reply came in time, InvalidArgument for an endpoint that cannot be used.
  Result<wire::Body> Call(const wire::Body& request);
  const std::string& endpoint() const { return endpoint_; }
  // For the calls after this one.
  void set_timeout_ms(int timeout_ms) { timeout_ms_ = timeout_ms; }
  // The last Call failed because the connection broke after the handshake
  // (the peer closed or reset it): the request may or may not have arrived.
  // Not set for a timeout, a refused connection or a failed handshake.
  bool connection_broke() const { return broke_; }

 private:
  Status Connect(int64_t deadline_ms);
  Status Handshake(int64_t deadline_ms);
  Status CurveHandshake(int64_t deadline_ms);
  Status SendMessage(const std::string& payload, int64_t deadline_ms);
  Status WriteAll(const std::string& bytes, int64_t deadline_ms);
  Status ReadExactly(size_t n, std::string* out, int64_t deadline_ms);
  struct Frame {
    bool command = false;
    bool more = false;
    std::string body;
  };
  Result<Frame> ReadFrame(int64_t deadline_ms);
  // A frame of a message: unboxed when the connection is CURVE.
  Result<Frame> ReadMessage(int64_t deadline_ms);
  Status Unavailable(const std::string& why) const;
  void Close();

  std::string endpoint_;
  int timeout_ms_;
  std::optional<curve::ClientKeys> keys_;
  std::optional<curve::ClientSession> session_;  // per connection
  int fd_ = -1;
  bool ready_ = false;  // the handshake on fd_ is done
  bool broke_ = false;
  uint64_t next_id_ = 1;
};

}  // namespace muster::transport
