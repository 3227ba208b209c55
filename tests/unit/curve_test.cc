// CurveZMQ (common/transport/curve.h): Z85 and key files, and the CLI's own
// CURVE client against libzmq's CURVE server with a ZAP handler (zap.h), in
// both directions: what the client boxes libzmq opens, what libzmq boxes the
// client opens, and the principal the ZAP handler names reaches the server.
#include "common/transport/curve.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <zmq.hpp>

#include "common/base/clock.h"
#include "common/transport/zap.h"
#include "common/transport/zmq_util.h"
#include "common/transport/zmtp_client.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_router.h"

namespace muster::transport {
namespace {

using curve::ClientKeys;
using curve::KeyPair;

TEST(Z85, MatchesLibzmqBothWays) {
  for (int i = 0; i < 20; ++i) {
    KeyPair kp = curve::GenerateKeyPair();
    char theirs[41];
    ASSERT_NE(zmq_z85_encode(theirs, kp.public_key.data(), 32), nullptr);
    EXPECT_EQ(curve::Z85(kp.public_key), std::string(theirs));
    auto back = curve::ParseZ85(theirs);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, kp.public_key);
  }
}

TEST(Z85, BadTextIsRefusedWithTheReason) {
  EXPECT_TRUE(curve::ParseZ85("short").status().message().find("40 Z85 characters") != std::string::npos);
  std::string bad(40, '0');
  bad[7] = '~';
  EXPECT_TRUE(curve::ParseZ85(bad).status().message().find("not a Z85 character: '~'") != std::string::npos);
  EXPECT_FALSE(curve::ParseZ85(std::string(40, '#')).ok()) << "#####  overflows 32 bits";
}

class KeyFiles : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::string Path(const std::string& name) { return dir_.path() + "/" + name; }
};

TEST_F(KeyFiles, ASecretFileRoundTripsWithMode0600) {
  KeyPair kp = curve::GenerateKeyPair();
  ASSERT_TRUE(curve::WriteSecretFile(Path("k"), kp).ok());
  struct stat st {};
  ASSERT_EQ(::stat(Path("k").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto read = curve::ReadSecretFile(Path("k"));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->public_key, kp.public_key);
  EXPECT_EQ(read->secret_key, kp.secret_key);
  // The public half is readable from the secret file and from a public file.
  EXPECT_EQ(curve::ReadPublicFile(Path("k")).value(), kp.public_key);
  ASSERT_TRUE(curve::WritePublicFile(Path("k.pub"), kp.public_key).ok());
  EXPECT_EQ(curve::ReadPublicFile(Path("k.pub")).value(), kp.public_key);
  EXPECT_FALSE(curve::ReadSecretFile(Path("k.pub")).ok()) << "a public file has no secret";
}

TEST_F(KeyFiles, ASecretFileOthersCanReadIsRefused) {
  ASSERT_TRUE(curve::WriteSecretFile(Path("k"), curve::GenerateKeyPair()).ok());
  ASSERT_EQ(::chmod(Path("k").c_str(), 0644), 0);
  auto read = curve::ReadSecretFile(Path("k"));
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("readable by others (mode 644); make it 0600"), std::string::npos)
      << read.status().message();
}

TEST_F(KeyFiles, MismatchedHalvesAndMissingFilesSayWhy) {
  KeyPair a = curve::GenerateKeyPair(), b = curve::GenerateKeyPair();
  {
    std::ofstream out(Path("mixed"));
    out << "public-key = " << curve::Z85(a.public_key) << "\nsecret-key = " << curve::Z85(b.secret_key)
        << "\n";
  }
  ASSERT_EQ(::chmod(Path("mixed").c_str(), 0600), 0);
  auto read = curve::ReadSecretFile(Path("mixed"));
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("the public key is not the secret key's"), std::string::npos);
  auto missing = curve::ReadPublicFile(Path("nope"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(Path("nope")), std::string::npos);
}

// A CURVE ROUTER whose ZAP handler knows one client key, as "alice": each
// request is answered with an Error whose message is the principal libzmq
// attached to it and the request's name.
std::unique_ptr<testing::TestRouter> CurveRouter(const KeyPair& server, const curve::Key& alice) {
  auto authorize = [alice](const curve::Key& k) -> std::optional<std::string> {
    if (k == alice) return "alice";
    return std::nullopt;
  };
  auto answer = [](const wire::Envelope& in, const std::string& who) {
    const auto& name = std::get<wire::SubmitJob>(in.body).spec.name;
    return std::vector<wire::Envelope>{
        {wire::kProtocolVersion, in.request_id, wire::Error{wire::ErrorCode::kUnknown, who + ":" + name}}};
  };
  return std::make_unique<testing::TestRouter>(answer, 0, testing::TestRouter::Curve{server, authorize});
}

using testing::ErrorText;
using testing::Named;

class CurveWire : public ::testing::Test {
 protected:
  KeyPair server_ = curve::GenerateKeyPair();
  KeyPair alice_ = curve::GenerateKeyPair();
  std::unique_ptr<testing::TestRouter> router_ = CurveRouter(server_, alice_.public_key);
  ClientKeys AliceKeys() const { return ClientKeys{alice_, server_.public_key}; }
};

TEST_F(CurveWire, TheCliClientAndLibzmqOpenEachOthersBoxesShortAndLong) {
  ZmtpClient client(router_->endpoint(), 5000, AliceKeys());
  EXPECT_EQ(ErrorText(client.Call(Named("hi"))), "alice:hi");
  // Over 255 bytes (a long ZMTP frame) and 1 MiB, both ways, on the same connection.
  for (size_t n : {300ul, 1ul << 20}) {
    std::string big(n, 'x');
    big[n / 2] = '\0';
    EXPECT_EQ(ErrorText(client.Call(Named(big))), "alice:" + big) << n << " bytes";
  }
  EXPECT_EQ(router_->zap()->accepted(), 1u) << "one connection, one ZAP check";
}

TEST_F(CurveWire, LibzmqsOwnCurveClientGetsThePrincipalToo) {
  zmq::context_t ctx(1);
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  SetCurveClient(dealer, AliceKeys());
  dealer.connect(router_->endpoint());
  Send(dealer, wire::Envelope{wire::kProtocolVersion, 7, Named("from-libzmq")});
  zmq::pollitem_t items[] = {{dealer.handle(), 0, ZMQ_POLLIN, 0}};
  zmq::poll(items, 1, std::chrono::milliseconds(5000));
  auto in = TryRecv(dealer, false);
  ASSERT_TRUE(in);
  auto env = wire::Decode(in->payload);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(std::get<wire::Error>(env->body).message, "alice:from-libzmq");
}

TEST_F(CurveWire, AnUnknownClientKeyIsRefusedBeforeAnyMessageArrives) {
  ZmtpClient mallory(router_->endpoint(), 2000, ClientKeys{curve::GenerateKeyPair(), server_.public_key});
  auto r = mallory.Call(Named("let me in"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << "refused, not unreachable";
  EXPECT_NE(r.status().message().find("does not know this key"), std::string::npos) << r.status().message();
  EXPECT_EQ(router_->requests(), 0) << "nothing of an unknown key reaches the server";
  EXPECT_EQ(router_->zap()->refused(), 1u);
}

TEST_F(CurveWire, AWrongServerKeyFailsTheHandshakeInsteadOfTalkingToAnImpostor) {
  const int64_t t0 = MonotonicMs();
  ZmtpClient client(router_->endpoint(), 2000, ClientKeys{alice_, curve::GenerateKeyPair().public_key});
  auto r = client.Call(Named("hi"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("CURVE handshake"), std::string::npos) << r.status().message();
  EXPECT_LT(MonotonicMs() - t0, 2500);
  EXPECT_EQ(router_->requests(), 0);
}

TEST_F(CurveWire, APlainTextClientIsToldTheServerWantsCurve) {
  ZmtpClient plain(router_->endpoint(), 2000);
  auto r = plain.Call(Named("hi"));
  ASSERT_FALSE(r.ok());
  const std::string& m = r.status().message();
  EXPECT_TRUE(m.find("does not use NULL security") != std::string::npos ||
              m.find("closed the connection on our NULL greeting: it may use another security mechanism") !=
                  std::string::npos)
      << m;
  EXPECT_EQ(router_->requests(), 0);
}

// The handshake out of order: nothing is unboxed before READY, and only a
// WELCOME (or the server's ERROR, with its reason) follows HELLO.
TEST(CurveSession, HandshakeStepsOutOfOrderAreRefused) {
  KeyPair server = curve::GenerateKeyPair();
  curve::ClientSession s(ClientKeys{curve::GenerateKeyPair(), server.public_key});
  EXPECT_FALSE(s.Unbox("\x07MESSAGE-anything-at-all-here").ok()) << "before the handshake";
  auto init = s.Initiate(std::string(168, '\0'), "");
  ASSERT_FALSE(init.ok());
  EXPECT_NE(init.status().message().find("expected WELCOME"), std::string::npos);
  auto refused = s.Initiate(std::string("\x05"
                                        "ERROR\x03"
                                        "400",
                                        10),
                            "");
  EXPECT_NE(refused.status().message().find("the server refused: 400"), std::string::npos)
      << refused.status().message();
}

}  // namespace
}  // namespace muster::transport
