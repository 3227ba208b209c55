// A libzmq ROUTER on a free loopback port, answering on its own thread, for
// tests of clients (the CLI's ZMTP client, CURVE): each request is passed to
// `answer` with the principal libzmq attached to it (with CURVE, what the
// ZAP handler named; empty otherwise). Header-only; link muster_transport.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "common/transport/curve.h"
#include "common/transport/zap.h"
#include "common/transport/zmq_util.h"

namespace muster::testing {

class TestRouter {
 public:
  using Answer =
      std::function<std::vector<wire::Envelope>(const wire::Envelope& request, const std::string& principal)>;
  struct Curve {
    transport::curve::KeyPair server;
    transport::ZapHandler::Authorizer authorize;
  };

  // `port` 0: any free one. With `curve`, a CURVE server behind a ZAP handler.
  explicit TestRouter(Answer answer, int port = 0, std::optional<Curve> curve = std::nullopt)
      : answer_(std::move(answer)) {
    if (curve) zap_ = std::make_unique<transport::ZapHandler>(ctx_, curve->authorize);
    sock_ = zmq::socket_t(ctx_, zmq::socket_type::router);
    sock_.set(zmq::sockopt::linger, 0);
    if (curve) transport::SetCurveServer(sock_, curve->server);
    sock_.bind("tcp://127.0.0.1:" + (port ? std::to_string(port) : std::string("*")));
    endpoint_ = sock_.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread([this] { Loop(); });
  }
  ~TestRouter() {
    stop_ = true;
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }
  int requests() const { return requests_; }
  const transport::ZapHandler* zap() const { return zap_.get(); }

 private:
  void Loop() {
    while (!stop_) {
      zmq::pollitem_t items[] = {{sock_.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, std::chrono::milliseconds(20));
      while (auto in = transport::TryRecv(sock_, true)) {
        ++requests_;
        auto env = wire::Decode(in->payload);
        if (!env.ok()) continue;
        for (const auto& reply : answer_(*env, in->principal)) transport::SendTo(sock_, in->identity, reply);
      }
    }
  }
  Answer answer_;
  zmq::context_t ctx_{1};
  std::unique_ptr<transport::ZapHandler> zap_;
  zmq::socket_t sock_;
  std::string endpoint_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
};

// A SubmitJob named `name`: its name travels both ways through Echo.
inline wire::SubmitJob Named(std::string name) {
  wire::SubmitJob s;
  s.spec.name = std::move(name);
  return s;
}

// Answers a SubmitJob with an Error whose message is the job's name, so both
// directions carry the request's bytes.
inline std::vector<wire::Envelope> Echo(const wire::Envelope& in, const std::string& /*principal*/) {
  const auto& submit = std::get<wire::SubmitJob>(in.body);
  return {wire::Envelope{wire::kProtocolVersion, in.request_id,
                         wire::Error{wire::ErrorCode::kUnknown, submit.spec.name}}};
}

// The Error's message of a reply, or what went wrong instead.
inline std::string ErrorText(const Result<wire::Body>& r) {
  if (!r.ok()) return "call failed: " + r.status().ToString();
  auto* e = std::get_if<wire::Error>(&*r);
  return e ? e->message : std::string("not an Error");
}

}  // namespace muster::testing
