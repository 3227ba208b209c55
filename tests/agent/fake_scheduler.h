// A tiny in-test musterd: a ROUTER on an ephemeral loopback port that the
// agent under test connects to. Messages not yet asked for wait in a backlog,
// so a test can expect them in any order; every wait is bounded.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/proto/messages.h"

namespace muster::agent::testing {

class FakeScheduler {
 public:
  FakeScheduler();
  const std::string& endpoint() const { return endpoint_; }

  // The next message (backlog first), or nullopt after `timeout_ms`.
  std::optional<wire::Envelope> Next(int timeout_ms);

  // The first message whose body is a T matching `pred`, searching the
  // backlog first; others stay in the backlog. Heartbeats are only counted
  // (heartbeats()), never kept.
  template <typename T>
  std::optional<T> WaitFor(int timeout_ms, const std::function<bool(const T&)>& pred = {},
                           uint64_t* request_id = nullptr) {
    auto env = WaitForEnvelope(timeout_ms, [&](const wire::Envelope& e) {
      auto* m = std::get_if<T>(&e.body);
      return m && (!pred || pred(*m));
    });
    if (!env) return std::nullopt;
    if (request_id) *request_id = env->request_id;
    return std::get<T>(env->body);
  }

  // Every message of type T that arrives within `ms` (backlog included).
  template <typename T>
  std::vector<T> CollectFor(int ms, const std::function<bool(const T&)>& pred = {}) {
    PumpFor(ms);
    std::vector<T> out;
    while (auto m = WaitFor<T>(0, pred)) out.push_back(*m);
    return out;
  }

  // Receives for `ms` into the backlog.
  void PumpFor(int ms);

  // Sends to the agent (the last identity seen).
  void Send(wire::Body body, uint64_t request_id = 0);
  void SendRaw(const std::string& bytes);

  int heartbeats() const { return heartbeats_; }
  const wire::Heartbeat& last_heartbeat() const { return last_heartbeat_; }

 private:
  std::optional<wire::Envelope> WaitForEnvelope(int timeout_ms,
                                                const std::function<bool(const wire::Envelope&)>& match);
  bool RecvOne(int timeout_ms);  // into backlog_

  zmq::context_t ctx_{1};
  zmq::socket_t router_;
  std::string endpoint_;
  std::string identity_;
  std::deque<wire::Envelope> backlog_;
  int heartbeats_ = 0;
  wire::Heartbeat last_heartbeat_;
  uint64_t next_id_ = 1000000;
};

}  // namespace muster::agent::testing
