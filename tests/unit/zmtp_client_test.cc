// ZmtpClient (the CLI's libzmq-free client) against a real libzmq ROUTER, as
// musterd runs one: handshake, small and long frames, stale replies, timeouts,
// a peer that starts late, bad endpoints.
#include "common/transport/zmtp_client.h"

#include <gtest/gtest.h>

#include <thread>
#include <zmq.hpp>

#include "common/base/clock.h"
#include "common/transport/zmq_util.h"

namespace muster::transport {
namespace {

// A ROUTER on a free loopback port answering each request with `answer`
// (or not at all), on its own thread.
class Router {
 public:
  using Answer = std::function<std::vector<wire::Envelope>(const wire::Envelope&)>;
  explicit Router(Answer answer, int port = 0) : answer_(std::move(answer)) {
    sock_ = zmq::socket_t(ctx_, zmq::socket_type::router);
    sock_.set(zmq::sockopt::linger, 0);
    sock_.bind("tcp://127.0.0.1:" + (port ? std::to_string(port) : std::string("*")));
    endpoint_ = sock_.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread([this] { Loop(); });
  }
  ~Router() {
    stop_ = true;
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }
  int requests() const { return requests_; }

 private:
  void Loop() {
    while (!stop_) {
      zmq::pollitem_t items[] = {{sock_.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, std::chrono::milliseconds(20));
      auto in = TryRecv(sock_, true);
      if (!in) continue;
      ++requests_;
      auto env = wire::Decode(in->payload);
      if (!env.ok()) continue;
      for (const auto& reply : answer_(*env)) SendTo(sock_, in->identity, reply);
    }
  }
  Answer answer_;
  zmq::context_t ctx_{1};
  zmq::socket_t sock_;
  std::string endpoint_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
};

// Answers a SubmitJob with an Error whose message is the job's name, so
// both directions carry the request's bytes.
std::vector<wire::Envelope> Echo(const wire::Envelope& in) {
  const auto& submit = std::get<wire::SubmitJob>(in.body);
  return {wire::Envelope{wire::kProtocolVersion, in.request_id,
                         wire::Error{wire::ErrorCode::kUnknown, submit.spec.name}}};
}

wire::SubmitJob Named(std::string name) {
  wire::SubmitJob s;
  s.spec.name = std::move(name);
  return s;
}

std::string ErrorText(const Result<wire::Body>& r) {
  if (!r.ok()) return "call failed: " + r.status().ToString();
  auto* e = std::get_if<wire::Error>(&*r);
  return e ? e->message : std::string("not an Error");
}

TEST(ZmtpClient, TalksToALibzmqRouterWithShortAndLongFrames) {
  Router router(Echo);
  ZmtpClient client(router.endpoint(), 5000);
  EXPECT_EQ(ErrorText(client.Call(Named("a"))), "a");
  const std::string medium(300, 'm');             // a long frame (> 255 bytes)
  const std::string large(3 * 1024 * 1024, 'L');  // several TCP segments each way
  EXPECT_EQ(ErrorText(client.Call(Named(medium))), medium);
  EXPECT_EQ(ErrorText(client.Call(Named(large))), large);
  EXPECT_EQ(router.requests(), 3) << "one connection, three requests";
}

TEST(ZmtpClient, SkipsRepliesToOtherRequests) {
  Router router([](const wire::Envelope& in) {
    wire::Envelope stale{wire::kProtocolVersion, in.request_id + 100,
                         wire::Error{wire::ErrorCode::kUnknown, "stale"}};
    return std::vector<wire::Envelope>{stale, Echo(in)[0]};
  });
  ZmtpClient client(router.endpoint(), 5000);
  EXPECT_EQ(ErrorText(client.Call(Named("mine"))), "mine");
}

TEST(ZmtpClient, NoReplyIsUnavailableWithinTheTimeout) {
  Router router([](const wire::Envelope&) { return std::vector<wire::Envelope>{}; });
  ZmtpClient client(router.endpoint(), 300);
  int64_t start = MonotonicMs();
  auto r = client.Call(Named("x"));
  int64_t took = MonotonicMs() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_GE(took, 250);
  EXPECT_LT(took, 2000);
}

TEST(ZmtpClient, NobodyListeningIsUnavailable) {
  std::string endpoint;
  {
    Router gone(Echo);
    endpoint = gone.endpoint();
  }
  ZmtpClient client(endpoint, 200);
  auto r = client.Call(Named("x"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
}

TEST(ZmtpClient, ReachesAPeerThatStartsListeningWithinTheTimeout) {
  int port = 0;
  {
    Router probe(Echo);
    port = std::stoi(probe.endpoint().substr(probe.endpoint().rfind(':') + 1));
  }
  std::unique_ptr<Router> late;
  std::thread starter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    late = std::make_unique<Router>(Echo, port);
  });
  ZmtpClient client("tcp://127.0.0.1:" + std::to_string(port), 5000);
  auto r = client.Call(Named("late"));
  starter.join();
  EXPECT_EQ(ErrorText(r), "late");
}

TEST(ZmtpClient, BadEndpointsAreInvalidArguments) {
  for (const char* bad :
       {"foo", "ipc:///tmp/x", "tcp://", "tcp://host", "tcp://host:", "tcp://host:99999", "tcp://host:12a"}) {
    ZmtpClient client(bad, 200);
    auto r = client.Call(Named("x"));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad << ": " << r.status().ToString();
  }
}

}  // namespace
}  // namespace muster::transport
