#include "common/transport/zmq_util.h"

#include "common/base/clock.h"
#include "common/transport/zap.h"

namespace muster::transport {

zmq::socket_t MakeDealer(zmq::context_t& ctx, const std::string& endpoint,
                         const std::optional<curve::ClientKeys>& keys) {
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  if (keys) SetCurveClient(s, *keys);
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::sndhwm, 100000);
  s.set(zmq::sockopt::rcvhwm, 100000);
  s.set(zmq::sockopt::reconnect_ivl, 100);
  s.set(zmq::sockopt::reconnect_ivl_max, 1000);
  s.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(wire::kMaxFrameBytes));
  s.connect(endpoint);
  return s;
}

void Send(zmq::socket_t& dealer, const wire::Envelope& env) {
  std::string bytes = wire::Encode(env);
  dealer.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
}

bool SendTo(zmq::socket_t& router, const std::string& identity, const wire::Envelope& env) {
  std::string bytes = wire::Encode(env);
  try {
    auto r1 = router.send(zmq::buffer(identity), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    if (!r1) return false;
    auto r2 = router.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
    return r2.has_value();
  } catch (const zmq::error_t&) {
    return false;  // EHOSTUNREACH: the peer disconnected
  }
}

std::optional<Incoming> TryRecv(zmq::socket_t& sock, bool is_router) {
  zmq::message_t first;
  if (!sock.recv(first, zmq::recv_flags::dontwait)) return std::nullopt;
  Incoming in;
  if (is_router) {
    in.identity = first.to_string();
    if (!first.more()) return in;  // empty payload
    zmq::message_t payload;
    (void)sock.recv(payload, zmq::recv_flags::none);
    in.payload = payload.to_string();
    // The ZAP handler's verdict travels with each message of the connection.
    if (const char* who = zmq_msg_gets(payload.handle(), "User-Id")) in.principal = who;
    while (payload.more()) {  // drain and flag extra frames
      in.extra_frames = true;
      (void)sock.recv(payload, zmq::recv_flags::none);
    }
  } else {
    in.payload = first.to_string();
    while (first.more()) {
      in.extra_frames = true;
      (void)sock.recv(first, zmq::recv_flags::none);
    }
  }
  return in;
}

Client::Client(std::string endpoint, int timeout_ms, const std::optional<curve::ClientKeys>& keys)
    : endpoint_(std::move(endpoint)), timeout_ms_(timeout_ms), sock_(MakeDealer(ctx_, endpoint_, keys)) {}

Result<wire::Envelope> Client::Await(uint64_t request_id) {
  int64_t deadline = MonotonicMs() + timeout_ms_;
  while (true) {
    int64_t left = deadline - MonotonicMs();
    if (left <= 0) break;
    zmq::pollitem_t items[] = {{sock_.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 1, std::chrono::milliseconds(left));
    if (!(items[0].revents & ZMQ_POLLIN)) continue;
    auto in = TryRecv(sock_, false);
    if (!in) continue;
    auto env = wire::Decode(in->payload);
    if (!env.ok()) return env.status();
    if (env->request_id != request_id && request_id != 0) continue;  // a stale reply
    return env;
  }
  return Status::Unavailable("cannot reach musterd at " + endpoint_ + " (no reply in " +
                             std::to_string(timeout_ms_) + " ms)");
}

Result<wire::Body> Client::Call(const wire::Body& request) {
  wire::Envelope env;
  env.request_id = next_id_++;
  env.body = request;
  Send(sock_, env);
  auto reply = Await(env.request_id);
  if (!reply.ok()) return reply.status();
  return std::move(reply->body);
}

Result<wire::Envelope> Client::CallRaw(const std::string& bytes) {
  sock_.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
  return Await(0);
}

}  // namespace muster::transport
