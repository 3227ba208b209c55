// Runs the built `muster` binary for what only a real process shows: exit
// codes and messages when musterd cannot be reached, usage errors, and one
// round trip over real ZeroMQ to a stub that answers like musterd.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/transport/zmq_util.h"
#include "tests/support/test_router.h"

namespace {

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs muster with `args` and extra environment entries; collects both
// streams. The stubs here speak plain ZMTP unless a test gives keys: by
// default the CLI runs with MUSTER_INSECURE=1, and never with the caller's
// own MUSTER_* settings.
Outcome RunMuster(const std::vector<std::string>& args,
                  const std::vector<std::string>& env = {"MUSTER_INSECURE=1"}) {
  // Everything the child needs is built before fork(): other threads may run.
  std::vector<std::string> env_strings = env;
  for (char** e = environ; *e; ++e)
    if (std::string_view(*e).substr(0, 7) != "MUSTER_") env_strings.push_back(*e);
  std::vector<char*> envp, argv{const_cast<char*>(MUSTER_CLI_BINARY)};
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    execve(MUSTER_CLI_BINARY, argv.data(), envp.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  Outcome o;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&o.out, &o.err};
  int open_fds = 2;
  while (open_fds > 0 && poll(fds, 2, 10000) > 0) {
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return o;
}

// A loopback port that is bound but not listening: connecting to it is
// refused, and nobody else can take it while the test runs.
class DeadPort {
 public:
  DeadPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~DeadPort() { close(fd_); }
  std::string Endpoint() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(MusterBinary, UnreachableSchedulerIsExitThreeNamingTheEndpoint) {
  DeadPort port;
  Outcome o = RunMuster({"--scheduler", port.Endpoint(), "--timeout-ms", "300", "jobs"});
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_NE(o.err.find("muster: cannot reach musterd at " + port.Endpoint()), std::string::npos) << o.err;
  EXPECT_EQ(o.out, "");
}

TEST(MusterBinary, GlobalFlagsAfterTheCommandAndFromTheEnvironment) {
  DeadPort port;
  Outcome after = RunMuster({"submit", "--gpus", "1", "--timeout-ms", "300", "--scheduler", port.Endpoint(),
                             "--", "echo", "--timeout-ms", "999999"});
  EXPECT_EQ(after.exit_code, 3);
  EXPECT_NE(after.err.find(port.Endpoint()), std::string::npos) << after.err;

  Outcome env = RunMuster({"--timeout-ms", "300", "nodes", "--json"},
                          {"MUSTER_SCHEDULER=" + port.Endpoint(), "MUSTER_INSECURE=1"});
  EXPECT_EQ(env.exit_code, 3);
  EXPECT_NE(env.err.find(port.Endpoint()), std::string::npos) << env.err;
}

TEST(MusterBinary, UsageErrorsAreExitTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"--bogus", "jobs"},
           {"jobs", "--state", "sleeping"},
           {"show"},
           {"show", "abc"},
           {"submit", "--time-limit", "2x", "--", "true"},
           {"submit", "--gpus", "2"},
           {"submit", "--nodes", "2", "--", "true"},
           {"--scheduler", "not-an-endpoint", "--timeout-ms", "300", "nodes"},
       }) {
    Outcome o = RunMuster(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(o.exit_code, 2) << joined << "\n" << o.err;
    EXPECT_NE(o.err.find("muster: "), std::string::npos) << joined;
    EXPECT_EQ(o.out, "") << joined;
  }
}

TEST(MusterBinary, HelpIsExitZeroOnStdout) {
  Outcome top = RunMuster({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("usage: muster"), std::string::npos);
  Outcome logs = RunMuster({"logs", "--help"});
  EXPECT_EQ(logs.exit_code, 0);
  EXPECT_NE(logs.out.find("--follow"), std::string::npos);
}

// A ROUTER on an ephemeral loopback port (tests/support/test_router.h)
// answering each request from a function. Not musterd: just enough to see
// the binary's bytes go out and the reply come back through the real
// transport.
class StubScheduler {
 public:
  explicit StubScheduler(std::function<muster::wire::Body(const muster::wire::Body&)> answer)
      : router_([answer = std::move(answer)](const muster::wire::Envelope& in, const std::string&) {
          muster::wire::Envelope reply;
          reply.request_id = in.request_id;
          reply.body = answer(in.body);
          return std::vector<muster::wire::Envelope>{reply};
        }) {}
  const std::string& endpoint() const { return router_.endpoint(); }

 private:
  muster::testing::TestRouter router_;
};

TEST(MusterBinary, RoundTripOverZeroMq) {
  using namespace muster;
  StubScheduler stub([](const wire::Body& request) -> wire::Body {
    if (auto* submit = std::get_if<wire::SubmitJob>(&request)) {
      bool ok =
          submit->spec.argv == std::vector<std::string>{"echo", "-n", "hi"} && submit->spec.total_gpus == 2;
      return ok ? wire::Body{wire::SubmitReply{99}}
                : wire::Body{wire::Error{wire::ErrorCode::kInvalidSpec, "bad"}};
    }
    if (std::holds_alternative<wire::ListJobs>(request)) {
      Job job;
      job.id = 99;
      job.spec.total_gpus = 2;
      job.reason = PendingReason::kResources;
      return wire::JobList{{job}};
    }
    return wire::Error{wire::ErrorCode::kNotFound, "job 5 not found"};
  });
  Outcome submit =
      RunMuster({"--scheduler", stub.endpoint(), "submit", "--gpus", "2", "--", "echo", "-n", "hi"});
  EXPECT_EQ(submit.exit_code, 0) << submit.err;
  EXPECT_EQ(submit.out, "Submitted job 99\n");

  Outcome jobs = RunMuster({"jobs", "--json", "--scheduler", stub.endpoint()});
  EXPECT_EQ(jobs.exit_code, 0) << jobs.err;
  auto arr = nlohmann::json::parse(jobs.out);
  ASSERT_EQ(arr.size(), 1u);
  EXPECT_EQ(arr[0]["id"], 99);
  EXPECT_EQ(arr[0]["reason"], "Resources");

  Outcome cancel = RunMuster({"--scheduler", stub.endpoint(), "cancel", "5"});
  EXPECT_EQ(cancel.exit_code, 1);
  EXPECT_EQ(cancel.err, "muster: job 5 not found\n");
}

}  // namespace

namespace {

// musterd crashes after it read a submit and before it answered: the CLI
// sends the submit again, with the same request token, to the musterd that
// comes back on the same port (musterd dedups by token: tests/service).
TEST(MusterBinary, ASubmitWhoseConnectionBrokeIsSentAgainWithTheSameToken) {
  using namespace muster;
  std::string endpoint;
  {
    zmq::context_t ctx(1);
    zmq::socket_t probe(ctx, zmq::socket_type::router);
    probe.bind("tcp://127.0.0.1:*");
    endpoint = probe.get(zmq::sockopt::last_endpoint);
  }
  std::vector<std::string> tokens;
  std::thread musterd([&] {
    for (int life = 0; life < 2; ++life) {
      zmq::context_t ctx(1);
      zmq::socket_t router(ctx, zmq::socket_type::router);
      router.set(zmq::sockopt::linger, 1000);
      for (int i = 0; i < 100; ++i) {  // the port may linger for a moment
        try {
          router.bind(endpoint);
          break;
        } catch (const zmq::error_t&) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
      zmq::pollitem_t items[] = {{router.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, std::chrono::milliseconds(10000));
      auto in = transport::TryRecv(router, true);
      if (!in) return;
      auto env = wire::Decode(in->payload);
      if (!env.ok() || !std::holds_alternative<wire::SubmitJob>(env->body)) return;
      tokens.push_back(std::get<wire::SubmitJob>(env->body).token);
      if (life == 1)
        transport::SendTo(router, in->identity,
                          {wire::kProtocolVersion, env->request_id, wire::SubmitReply{99}});
      // life 0: gone without a word (the socket and its connections close)
    }
  });
  Outcome o = RunMuster({"--scheduler", endpoint, "--timeout-ms", "10000", "submit", "--", "true"});
  musterd.join();
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "Submitted job 99\n");
  ASSERT_EQ(tokens.size(), 2u) << "the submit was not sent again";
  EXPECT_EQ(tokens[0], tokens[1]);
  EXPECT_EQ(tokens[0].size(), 32u) << tokens[0];
}

}  // namespace

namespace {

using muster::transport::curve::KeyPair;

// The CLI's keys, as `muster keygen` writes them, against a CURVE stub that
// knows exactly one user key.
class MusterBinaryCurve : public ::testing::Test {
 protected:
  void SetUp() override {
    using namespace muster::transport;
    dir_ = ::testing::TempDir() + "muster-cli-curve-" + std::to_string(getpid());
    std::filesystem::create_directories(dir_);
    server_ = curve::GenerateKeyPair();
    ASSERT_TRUE(curve::WritePublicFile(dir_ + "/server.pub", server_.public_key).ok());
    Outcome made = RunMuster({"keygen", "--out", dir_ + "/alice.key"}, {});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    EXPECT_NE(made.out.find("user "), std::string::npos) << made.out;
    auto alice = curve::ReadSecretFile(dir_ + "/alice.key");
    ASSERT_TRUE(alice.ok()) << alice.status().ToString();
    alice_ = alice->public_key;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<muster::testing::TestRouter> Stub() {
    using namespace muster;
    return std::make_unique<muster::testing::TestRouter>(
        [](const wire::Envelope& req, const std::string& principal) {
          return std::vector<wire::Envelope>{{wire::kProtocolVersion, req.request_id,
                                              wire::Error{wire::ErrorCode::kNotFound, "hello " + principal}}};
        },
        0,
        muster::testing::TestRouter::Curve{
            server_, [this](const transport::curve::Key& k) -> std::optional<std::string> {
              if (k == alice_) return "user:alice";
              return std::nullopt;
            }});
  }

  std::string dir_;
  KeyPair server_;
  muster::transport::curve::Key alice_{};
};

TEST_F(MusterBinaryCurve, AKnownKeyIsTheCallersIdentity) {
  auto stub = Stub();
  Outcome o = RunMuster({"--scheduler", stub->endpoint(), "cancel", "5"},
                        {"MUSTER_KEY=" + dir_ + "/alice.key", "MUSTER_SERVER_KEY=" + dir_ + "/server.pub"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.err, "muster: hello user:alice\n");
}

TEST_F(MusterBinaryCurve, AnUnknownKeyIsRefusedWithAClearErrorBeforeAnyRequest) {
  auto stub = Stub();
  Outcome made = RunMuster({"keygen", "--out", dir_ + "/mallory.key"}, {});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  Outcome o = RunMuster({"--scheduler", stub->endpoint(), "--timeout-ms", "2000", "--key",
                         dir_ + "/mallory.key", "--server-key", dir_ + "/server.pub", "cancel", "5"},
                        {});
  EXPECT_EQ(o.exit_code, 1) << o.err;
  EXPECT_NE(o.err.find("refused"), std::string::npos) << o.err;
  EXPECT_EQ(stub->requests(), 0);
}

TEST_F(MusterBinaryCurve, NoKeyFileSaysHowToGetOne) {
  auto stub = Stub();
  Outcome o = RunMuster({"--scheduler", stub->endpoint(), "--key", dir_ + "/nobody.key", "--server-key",
                         dir_ + "/server.pub", "jobs"},
                        {});
  EXPECT_EQ(o.exit_code, 1) << o.err;
  EXPECT_NE(o.err.find("muster keygen"), std::string::npos) << o.err;
  EXPECT_EQ(stub->requests(), 0);
}

TEST_F(MusterBinaryCurve, KeygenRefusesToOverwriteAKey) {
  Outcome again = RunMuster({"keygen", "--out", dir_ + "/alice.key"}, {});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("exists"), std::string::npos) << again.err;
  struct stat st {};
  ASSERT_EQ(stat((dir_ + "/alice.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
