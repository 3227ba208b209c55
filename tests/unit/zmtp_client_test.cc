// ZmtpClient (the CLI's libzmq-free client) against a real libzmq ROUTER, as
// musterd runs one: handshake, small and long frames, stale replies, timeouts,
// a peer that starts late, bad endpoints.
#include "common/transport/zmtp_client.h"

#include <gtest/gtest.h>

#include <thread>
#include <zmq.hpp>

#include "common/base/clock.h"
#include "tests/support/test_router.h"

namespace muster::transport {
namespace {

using testing::Echo;
using testing::ErrorText;
using testing::Named;
using Router = testing::TestRouter;

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
  Router router([](const wire::Envelope& in, const std::string& who) {
    wire::Envelope stale{wire::kProtocolVersion, in.request_id + 100,
                         wire::Error{wire::ErrorCode::kUnknown, "stale"}};
    return std::vector<wire::Envelope>{stale, Echo(in, who)[0]};
  });
  ZmtpClient client(router.endpoint(), 5000);
  EXPECT_EQ(ErrorText(client.Call(Named("mine"))), "mine");
}

TEST(ZmtpClient, NoReplyIsUnavailableWithinTheTimeout) {
  Router router([](const wire::Envelope&, const std::string&) { return std::vector<wire::Envelope>{}; });
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
