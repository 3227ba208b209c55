// What one CLI command pays for its connection: connect, handshake (NULL or
// CURVE), one request and its reply, against a libzmq ROUTER on loopback
// (with CURVE: a ZAP handler that knows the key). Compares the CLI's own
// ZMTP client (common/transport/zmtp_client.h) with libzmq's DEALER, each
// with a fresh connection per iteration, as each `muster` process has.
// A process's own start-up (loading libzmq's dependencies) is not in here:
// bench/README.md "Sequential CLI" measures whole processes.
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <thread>
#include <zmq.hpp>

#include "common/transport/curve.h"
#include "common/transport/zap.h"
#include "common/transport/zmq_util.h"
#include "common/transport/zmtp_client.h"

namespace muster::transport {
namespace {

class EchoRouter {
 public:
  explicit EchoRouter(const curve::KeyPair* server, curve::Key client = {}) {
    if (server)
      zap_ = std::make_unique<ZapHandler>(ctx_, [client](const curve::Key& k) -> std::optional<std::string> {
        if (k == client) return "bench";
        return std::nullopt;
      });
    sock_ = zmq::socket_t(ctx_, zmq::socket_type::router);
    sock_.set(zmq::sockopt::linger, 0);
    if (server) SetCurveServer(sock_, *server);
    sock_.bind("tcp://127.0.0.1:*");
    endpoint_ = sock_.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread([this] {
      while (!stop_) {
        zmq::pollitem_t items[] = {{sock_.handle(), 0, ZMQ_POLLIN, 0}};
        zmq::poll(items, 1, std::chrono::milliseconds(20));
        while (auto in = TryRecv(sock_, true)) {
          auto env = wire::Decode(in->payload);
          if (env.ok())
            SendTo(sock_, in->identity, wire::Envelope{wire::kProtocolVersion, env->request_id, wire::Ok{}});
        }
      }
    });
  }
  ~EchoRouter() {
    stop_ = true;
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }

 private:
  zmq::context_t ctx_{1};
  std::unique_ptr<ZapHandler> zap_;
  zmq::socket_t sock_;
  std::string endpoint_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

const curve::KeyPair& ServerKeys() {
  static const curve::KeyPair k = curve::GenerateKeyPair();
  return k;
}
const curve::KeyPair& ClientKeys() {
  static const curve::KeyPair k = curve::GenerateKeyPair();
  return k;
}

void BM_ZmtpClientNull(benchmark::State& state) {
  EchoRouter router(nullptr);
  for (auto _ : state) {
    ZmtpClient c(router.endpoint(), 5000);
    auto r = c.Call(wire::ListQueues{});
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
}

void BM_ZmtpClientCurve(benchmark::State& state) {
  EchoRouter router(&ServerKeys(), ClientKeys().public_key);
  for (auto _ : state) {
    ZmtpClient c(router.endpoint(), 5000, curve::ClientKeys{ClientKeys(), ServerKeys().public_key});
    auto r = c.Call(wire::ListQueues{});
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
}

// libzmq: a context (its I/O thread) and a DEALER per call, as a libzmq CLI
// would have per process.
void BM_LibzmqDealerCurve(benchmark::State& state) {
  EchoRouter router(&ServerKeys(), ClientKeys().public_key);
  for (auto _ : state) {
    zmq::context_t ctx(1);
    zmq::socket_t d(ctx, zmq::socket_type::dealer);
    d.set(zmq::sockopt::linger, 0);
    SetCurveClient(d, curve::ClientKeys{ClientKeys(), ServerKeys().public_key});
    d.connect(router.endpoint());
    Send(d, wire::Envelope{wire::kProtocolVersion, 1, wire::ListQueues{}});
    zmq::pollitem_t items[] = {{d.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 1, std::chrono::milliseconds(5000));
    if (!TryRecv(d, false)) state.SkipWithError("no reply");
  }
}

BENCHMARK(BM_ZmtpClientNull)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ZmtpClientCurve)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LibzmqDealerCurve)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace muster::transport

BENCHMARK_MAIN();
