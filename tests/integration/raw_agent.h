// An agent speaking the wire protocol by hand (docs/protocol.md, "Agent <->
// musterd"), for tests that need an agent to do exactly one thing at one
// moment: send a health change, hold a reservation, lose a commit.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <zmq.hpp>

#include "common/proto/codec.h"
#include "tests/support/process.h"

namespace muster::testing {

class RawAgent {
 public:
  explicit RawAgent(const std::string& endpoint) : sock_(ctx_, zmq::socket_type::dealer) {
    sock_.set(zmq::sockopt::linger, 0);
    sock_.connect(endpoint);
  }
  void Send(wire::Body body) {
    wire::Envelope env;
    env.request_id = next_id_++;
    env.body = std::move(body);
    sock_.send(zmq::buffer(wire::Encode(env)), zmq::send_flags::none);
  }
  // The next message's body, or nullopt after `timeout`.
  std::optional<wire::Body> Receive(Millis timeout) {
    auto env = ReceiveEnvelope(timeout);
    if (!env) return std::nullopt;
    return std::move(env->body);
  }
  std::optional<wire::Envelope> ReceiveEnvelope(Millis timeout) {
    zmq::pollitem_t items[] = {{sock_.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 1, timeout);
    zmq::message_t msg;
    if (!(items[0].revents & ZMQ_POLLIN) || !sock_.recv(msg, zmq::recv_flags::dontwait)) return std::nullopt;
    auto env = wire::Decode(msg.to_string());
    if (!env.ok()) return std::nullopt;
    return std::move(env).value();
  }
  // The next message that is a T, dropping others, or nullopt after `timeout`;
  // `request_id`, if given, gets the id musterd sent it with (to answer it).
  template <typename T>
  std::optional<T> ReceiveA(Millis timeout, uint64_t* request_id = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto env = ReceiveEnvelope(left);
      if (!env || !std::holds_alternative<T>(env->body)) continue;
      if (request_id) *request_id = env->request_id;
      return std::get<T>(env->body);
    }
  }
  // Answers musterd's request `request_id` (ReadLog, say).
  void Reply(uint64_t request_id, wire::Body body) {
    wire::Envelope env;
    env.request_id = request_id;
    env.body = std::move(body);
    sock_.send(zmq::buffer(wire::Encode(env)), zmq::send_flags::none);
  }

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t sock_;
  uint64_t next_id_ = 1;
};

}  // namespace muster::testing
