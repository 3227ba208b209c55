#include "common/transport/zmq_router.h"

#include <zmq.hpp>

#include "common/transport/zmq_util.h"

namespace muster::transport {
namespace {

constexpr int kListenBacklog = 4096;  // connections waiting for accept()
constexpr int kKeepaliveIdleS = 60;
constexpr int kKeepaliveIntervalS = 10;
constexpr int kKeepaliveProbes = 3;

class ZmqRouter final : public Router {
 public:
  Status Bind(const std::string& listen, std::optional<CurveServer> curve) {
    std::string ep = listen;
    // "tcp://host:0" means "any free port", which ZeroMQ spells "*".
    if (ep.size() > 2 && ep.compare(ep.size() - 2, 2, ":0") == 0) ep = ep.substr(0, ep.size() - 1) + "*";
    try {
      sock_ = zmq::socket_t(ctx_, zmq::socket_type::router);
      if (curve) {
        // The handler first: a CURVE socket in a context without one lets every key in.
        zap_ = std::make_unique<ZapHandler>(ctx_, std::move(curve->authorize));
        SetCurveServer(sock_, curve->keys);
      }
      sock_.set(zmq::sockopt::linger, 0);
      sock_.set(zmq::sockopt::router_mandatory, 1);
      sock_.set(zmq::sockopt::sndhwm, 1000000);
      sock_.set(zmq::sockopt::rcvhwm, 1000000);
      // Frames past this are dropped by ZeroMQ itself (no reply possible);
      // frames under it but over the protocol limit get an error reply.
      sock_.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(4 * wire::kMaxFrameBytes));
      // ZeroMQ's default listen backlog is 100: when a whole cluster
      // reconnects at once (musterd restarted, a switch back up) the kernel
      // drops the other SYNs and those agents wait out TCP's 1 s, 3 s, 7 s...
      // retries. The kernel caps this at net.core.somaxconn (4096 on Debian 12).
      sock_.set(zmq::sockopt::backlog, kListenBacklog);
      // A dead host holds no connection for long: the kernel's TCP
      // keepalive probes an idle peer after 60 s and drops it 30 s later.
      // (Not ZeroMQ's own heartbeats: libzmq cancels a timer by a linear
      // search of all of them, which at 10,000 agents took two thirds of
      // musterd's CPU.) A handshake must end within libzmq's 30 s.
      sock_.set(zmq::sockopt::tcp_keepalive, 1);
      sock_.set(zmq::sockopt::tcp_keepalive_idle, kKeepaliveIdleS);
      sock_.set(zmq::sockopt::tcp_keepalive_intvl, kKeepaliveIntervalS);
      sock_.set(zmq::sockopt::tcp_keepalive_cnt, kKeepaliveProbes);
      sock_.bind(ep);
      endpoint_ = sock_.get(zmq::sockopt::last_endpoint);
    } catch (const zmq::error_t& e) {
      return Status::Unavailable("cannot listen on " + listen + ": " + e.what());
    }
    return Status::Ok();
  }

  const std::string& endpoint() const override { return endpoint_; }

  Status Wait(int64_t timeout_ms) override {
    zmq::pollitem_t items[] = {{sock_.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 1, std::chrono::milliseconds(timeout_ms));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) return Status::Ok();
      return Status::Internal(std::string("poll: ") + e.what());
    }
    return Status::Ok();
  }

  std::optional<Incoming> TryRecv() override {
    while (true) {
      try {
        return transport::TryRecv(sock_, /*is_router=*/true);
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) throw;
      }
    }
  }

  bool Send(const std::string& peer, const wire::Envelope& env) override { return SendTo(sock_, peer, env); }

 private:
  zmq::context_t ctx_{1};
  std::unique_ptr<ZapHandler> zap_;  // destroyed after the socket, before the context
  zmq::socket_t sock_;
  std::string endpoint_;
};

}  // namespace

Result<std::unique_ptr<Router>> BindZmqRouter(const std::string& listen, std::optional<CurveServer> curve) {
  auto router = std::make_unique<ZmqRouter>();
  MUSTER_RETURN_IF_ERROR(router->Bind(listen, std::move(curve)));
  return std::unique_ptr<Router>(std::move(router));
}

}  // namespace muster::transport
