// A ZAP handler (rfc.zeromq.org/spec/27) for a CURVE server socket: libzmq
// asks it about every connecting client's long-term public key before a
// single message of that client is delivered. The authorizer decides, and
// the name it returns travels with every message of that connection as
// ZeroMQ's "User-Id" (zmq_util.h: Incoming::principal), so the receiver
// knows who is calling from the credential, never from a field.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "common/transport/curve.h"

namespace muster::transport {

class ZapHandler {
 public:
  // The principal a key may act as, or nullopt: refused. Called on the
  // handler's own thread.
  using Authorizer = std::function<std::optional<std::string>(const curve::Key& client)>;

  // Binds inproc://zeromq.zap.01 in `ctx` (one handler per context) and
  // answers until destroyed.
  ZapHandler(zmq::context_t& ctx, Authorizer authorize);
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  uint64_t accepted() const { return accepted_.load(); }
  uint64_t refused() const { return refused_.load(); }

 private:
  void Run();
  void Answer();

  zmq::socket_t sock_;
  Authorizer authorize_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> refused_{0};
  std::thread thread_;
};

// Socket options of a CURVE client (a DEALER) and server (a ROUTER).
void SetCurveClient(zmq::socket_t& sock, const curve::ClientKeys& keys);
void SetCurveServer(zmq::socket_t& sock, const curve::KeyPair& server);

}  // namespace muster::transport
