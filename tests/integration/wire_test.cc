// Bad input on the wire and an unreachable musterd: errors, never a crash.
#include <chrono>
#include <random>
#include <zmq.hpp>

#include "common/proto/codec.h"
#include "common/transport/zap.h"
#include "tests/integration/integration.h"

namespace muster::testing {
namespace {

using wire::ErrorCode;

// A raw DEALER, as a misbehaving client would use: no size limit of ours
// (but a key musterd knows: what an authenticated user could send).
class RawDealer {
 public:
  RawDealer(const std::string& endpoint, const std::optional<transport::curve::ClientKeys>& keys)
      : sock_(ctx_, zmq::socket_type::dealer) {
    sock_.set(zmq::sockopt::linger, 0);
    if (keys) transport::SetCurveClient(sock_, *keys);
    sock_.connect(endpoint);
  }

  // Sends `frames` as one message and waits for one reply frame.
  std::optional<std::string> Exchange(const std::vector<std::string>& frames, Millis timeout) {
    for (size_t i = 0; i < frames.size(); ++i) {
      auto flags = i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
      sock_.send(zmq::buffer(frames[i]), flags);
    }
    zmq::pollitem_t items[] = {{sock_.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 1, timeout);
    if (!(items[0].revents & ZMQ_POLLIN)) return std::nullopt;
    zmq::message_t msg;
    if (!sock_.recv(msg, zmq::recv_flags::dontwait)) return std::nullopt;
    std::string reply = msg.to_string();
    while (msg.more()) (void)sock_.recv(msg, zmq::recv_flags::none);
    return reply;
  }

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t sock_;
};

// The reply must decode and be an Error; returns it.
std::optional<wire::Error> AsError(const std::optional<std::string>& reply) {
  if (!reply) return std::nullopt;
  auto env = wire::Decode(*reply);
  if (!env.ok()) return std::nullopt;
  if (auto* e = std::get_if<wire::Error>(&env->body)) return *e;
  return std::nullopt;
}

std::string Encoded(uint64_t request_id, wire::Body body, uint16_t version = wire::kProtocolVersion) {
  wire::Envelope env;
  env.version = version;
  env.request_id = request_id;
  env.body = std::move(body);
  return wire::Encode(env);
}

class IntegrationWire : public ClusterTest {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o;
    o.agents = 1;
    o.gpus_per_agent = 1;
    return o;
  }

  // musterd still answers a real client.
  void ExpectServing() {
    Json nodes = cluster().Nodes();
    ASSERT_EQ(nodes.size(), 1u) << nodes.dump(2);
    EXPECT_EQ(nodes[0]["name"], "node-0");
    EXPECT_TRUE(cluster().MusterdRunning());
  }
};

TEST_F(IntegrationWire, GarbageFramesGetAnErrorAndMusterdKeepsServing) {
  RawDealer dealer(cluster().endpoint(), cluster().Keys());
  std::mt19937 rng(42);
  auto random_bytes = [&](size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
  };

  struct Case {
    std::string what;
    std::vector<std::string> frames;
  };
  std::vector<Case> cases = {
      {"1000 random bytes", {random_bytes(1000)}},
      {"13 random bytes", {random_bytes(13)}},
      {"an empty frame", {std::string()}},
      {"a valid envelope with an unknown protocol version", {Encoded(7, wire::ListNodes{}, 999)}},
      {"a message of two frames", {Encoded(8, wire::ListNodes{}), Encoded(9, wire::ListNodes{})}},
  };
  for (const Case& c : cases) {
    auto err = AsError(dealer.Exchange(c.frames, Millis(5000)));
    EXPECT_TRUE(err.has_value()) << c.what << ": no Error reply";
    if (err) {
      EXPECT_FALSE(err->message.empty()) << c.what;
    }
  }
  ExpectServing();

  // The same socket still works for a well-formed request afterwards.
  auto reply = dealer.Exchange({Encoded(10, wire::ListNodes{})}, Millis(5000));
  ASSERT_TRUE(reply.has_value());
  auto env = wire::Decode(*reply);
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(env->request_id, 10u);
  EXPECT_TRUE(std::holds_alternative<wire::NodeList>(env->body)) << wire::BodyName(env->body);
}

TEST_F(IntegrationWire, OversizedFrameGetsAnErrorAndMusterdKeepsServing) {
  RawDealer dealer(cluster().endpoint(), cluster().Keys());
  std::string big(wire::kMaxFrameBytes + 64 * 1024, 'x');
  auto err = AsError(dealer.Exchange({big}, Millis(10000)));
  ASSERT_TRUE(err.has_value()) << "no Error reply to a frame of " << big.size() << " bytes";
  EXPECT_TRUE(err->code == ErrorCode::kTooLarge || err->code == ErrorCode::kBadRequest)
      << "code " << static_cast<int>(err->code) << ": " << err->message;
  ExpectServing();
}

TEST_F(IntegrationWire, InvalidSpecsAndUnknownIdsAreRefusedByMusterdItself) {
  // Straight to musterd, past any checks the CLI makes.
  const std::set<int64_t> before = JobIds(cluster().Jobs());
  RawDealer dealer(cluster().endpoint(), cluster().Keys());
  auto submit = [&](uint64_t rid, JobSpec spec) {
    return AsError(dealer.Exchange({Encoded(rid, wire::SubmitJob{std::move(spec)})}, Millis(5000)));
  };
  auto valid = [] {
    JobSpec s;
    s.name = "wire";
    s.team = "tester";
    s.user = "";  // the caller's (the test's operator, who has an account here)
    s.queue = "default";
    s.argv = {"/bin/true"};
    s.total_gpus = 1;
    return s;
  };
  JobSpec no_gpus_per_node = valid();
  no_gpus_per_node.total_gpus = 0;
  no_gpus_per_node.nodes = 2;
  JobSpec zero_gpus = valid();
  zero_gpus.total_gpus = 0;
  JobSpec no_command = valid();
  no_command.argv.clear();
  JobSpec too_many_per_node = valid();
  too_many_per_node.total_gpus = 0;
  too_many_per_node.nodes = 1;
  too_many_per_node.gpus_per_node = kMaxGpusPerNode + 1;

  uint64_t rid = 100;
  for (auto& [what, spec] :
       std::vector<std::pair<std::string, JobSpec>>{{"--nodes 2 without --gpus-per-node", no_gpus_per_node},
                                                    {"0 GPUs", zero_gpus},
                                                    {"no command", no_command},
                                                    {"65 GPUs per node", too_many_per_node}}) {
    auto err = submit(rid++, spec);
    ASSERT_TRUE(err.has_value()) << what << ": no Error reply";
    EXPECT_EQ(err->code, ErrorCode::kInvalidSpec) << what << ": " << err->message;
    EXPECT_FALSE(err->message.empty()) << what;
  }

  wire::ListJobs unknown;
  unknown.ids = {987654};
  auto err = AsError(dealer.Exchange({Encoded(rid++, unknown)}, Millis(5000)));
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, ErrorCode::kNotFound) << err->message;
  err = AsError(dealer.Exchange({Encoded(rid++, wire::CancelJob{987654})}, Millis(5000)));
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, ErrorCode::kNotFound) << err->message;

  EXPECT_EQ(JobIds(cluster().Jobs()), before);
  ExpectServing();

  // The control: the same spec without the mistake is accepted.
  auto reply = dealer.Exchange({Encoded(rid++, wire::SubmitJob{valid()})}, Millis(5000));
  ASSERT_TRUE(reply.has_value());
  auto env = wire::Decode(*reply);
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  auto* accepted = std::get_if<wire::SubmitReply>(&env->body);
  ASSERT_NE(accepted, nullptr) << wire::BodyName(env->body);
  EXPECT_EQ(cluster().WaitForJobState(static_cast<int64_t>(accepted->id), "COMPLETED")["state"], "COMPLETED");
}

TEST(IntegrationCliUnreachable, ExitsThreeAndNamesTheEndpoint) {
  std::string missing = MissingBinaries();
  ASSERT_TRUE(missing.empty()) << "binaries not found: " << missing;
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(UnusedLoopbackPort());
  // Keys as a user has them: the CLI gets as far as connecting.
  TempDir keys("muster-keys");
  ASSERT_TRUE(
      transport::curve::WriteSecretFile(keys.Sub("me.key"), transport::curve::GenerateKeyPair()).ok());
  ASSERT_TRUE(transport::curve::WritePublicFile(keys.Sub("server.pub"),
                                                transport::curve::GenerateKeyPair().public_key)
                  .ok());
  const std::map<std::string, std::string> env = {{"MUSTER_KEY", keys.Sub("me.key")},
                                                  {"MUSTER_SERVER_KEY", keys.Sub("server.pub")}};
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"jobs"},
                                             {"nodes"},
                                             {"show", "1"},
                                             {"cancel", "1"},
                                             {"submit", "--gpus", "1", "--", "/bin/true"}}) {
    std::vector<std::string> full = {"--scheduler", endpoint, "--timeout-ms", "300"};
    full.insert(full.end(), args.begin(), args.end());
    CommandResult r = RunCommand(CliBinary(), full, Millis(15000), env);
    EXPECT_EQ(r.exit_code, 3) << "muster " << args[0] << ": " << r.Describe();
    EXPECT_TRUE(Contains(r.err, endpoint))
        << "muster " << args[0] << " should name " << endpoint << ": " << r.Describe();
    EXPECT_LT(r.elapsed, std::chrono::seconds(8)) << "muster " << args[0] << " took too long to give up";
  }
  // The endpoint may come from the environment too.
  auto with_endpoint = env;
  with_endpoint["MUSTER_SCHEDULER"] = endpoint;
  CommandResult r = RunCommand(CliBinary(), {"--timeout-ms", "300", "nodes"}, Millis(15000), with_endpoint);
  EXPECT_EQ(r.exit_code, 3) << r.Describe();
  EXPECT_TRUE(Contains(r.err, endpoint)) << r.Describe();
}

// ListNodes is paged by name, so a 10,000-node cluster fits the frame limit.
class IntegrationNodePages : public SizedClusterTest<3, 1> {};

TEST_F(IntegrationNodePages, PagesFollowNamesAndSayWhenMoreRemain) {
  RawDealer dealer(cluster().endpoint(), cluster().Keys());
  auto page = [&](uint64_t rid, std::string after, uint32_t limit) {
    auto reply = dealer.Exchange({Encoded(rid, wire::ListNodes{std::move(after), limit})}, Millis(5000));
    if (!reply) return wire::NodeList{};
    auto env = wire::Decode(*reply);
    auto* list = env.ok() ? std::get_if<wire::NodeList>(&env->body) : nullptr;
    return list ? *list : wire::NodeList{};
  };
  wire::NodeList first = page(1, "", 2);
  ASSERT_EQ(first.nodes.size(), 2u);
  EXPECT_EQ(first.nodes[0].node.name, "node-0");
  EXPECT_EQ(first.nodes[1].node.name, "node-1");
  EXPECT_TRUE(first.more);
  wire::NodeList rest = page(2, "node-1", 2);
  ASSERT_EQ(rest.nodes.size(), 1u);
  EXPECT_EQ(rest.nodes[0].node.name, "node-2");
  EXPECT_FALSE(rest.more);
  EXPECT_EQ(page(3, "", 0).nodes.size(), 3u) << "0: musterd's page size";
  EXPECT_EQ(cluster().Nodes().size(), 3u) << "the CLI pages through all of them";
}

}  // namespace
}  // namespace muster::testing
