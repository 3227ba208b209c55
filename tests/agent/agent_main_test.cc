// The muster-agent program: flags, exit codes, the registration line, SIGTERM.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/gpu/nvml_gpu_probe.h"
#include "tests/agent/fake_scheduler.h"
#include "tests/agent/test_util.h"

extern char** environ;

namespace muster::agent {
namespace {

using testing::FakeScheduler;
using testing::ProcessGone;
using testing::ReadFile;
using testing::TempDir;
using testing::WaitUntil;

constexpr int kWaitMs = 5000;

// muster-agent as a child process, stdout and stderr to files; killed in the destructor.
class AgentProcess {
 public:
  AgentProcess(const TempDir& dir, std::vector<std::string> args)
      : out_(dir.Sub("agent.out")), err_(dir.Sub("agent.err")) {
    args.insert(args.begin(), MUSTER_AGENT_BIN);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    if (posix_spawn(&pid_, argv[0], &fa, &attr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
  }
  ~AgentProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // The exit status (WEXITSTATUS, or 128+signal), or -1 if still running after `timeout_ms`.
  int Wait(int timeout_ms) {
    int status = 0;
    bool done = WaitUntil([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout_ms);
    if (!done) return -1;
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string out() const { return ReadFile(out_); }
  std::string err() const { return ReadFile(err_); }

 private:
  std::string out_, err_;
  pid_t pid_ = -1;
  bool exited_ = false;
};

TEST(AgentMainTest, HelpExitsZero) {
  TempDir dir;
  AgentProcess agent(dir, {"--help"});
  EXPECT_EQ(agent.Wait(kWaitMs), 0);
  EXPECT_NE(agent.out().find("--fake-gpus"), std::string::npos);
  EXPECT_NE(agent.out().find("--scheduler"), std::string::npos);
}

TEST(AgentMainTest, BadFlagsAreUsageErrors) {
  TempDir dir;
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--fake-gpus", "1", "--labels", "rack"},
           {"--fake-gpus", "1", "--labels", "=r1"},
           {"--fake-gpus", "1", "--labels", "bad key=1"},
           {"--fake-gpus", "-1"},
           {"--fake-gpus", "1", "--name", "no/slashes"},
           {"--fake-gpus", "1", "--log-level", "loud"},
           {"--no-such-flag"},
           {"--fake-gpus", "1", "--config", "/nonexistent/muster.conf"},
           {"--fake-gpus", "2", "--fake-unhealthy-gpus", "2"},
           {"--fake-gpus", "2", "--fake-unhealthy-gpus", "x"},
           {"--fake-unhealthy-gpus", "0"},
       }) {
    args.push_back("--work-dir");
    args.push_back(dir.Sub("work"));
    AgentProcess agent(dir, args);
    EXPECT_EQ(agent.Wait(kWaitMs), 2)
        << args[1] << " " << (args.size() > 2 ? args[2] : "") << ": " << agent.err();
    EXPECT_NE(agent.err().find("muster-agent: "), std::string::npos);
  }
}

TEST(AgentMainTest, NoGpusAndNoFakeGpusExitsOne) {
  if (NvmlGpuProbe().Discover().ok()) GTEST_SKIP() << "this machine has NVML";
  TempDir dir;
  AgentProcess agent(dir, {"--name", "n1", "--work-dir", dir.Sub("work"), "--insecure"});
  EXPECT_EQ(agent.Wait(kWaitMs), 1);
  EXPECT_NE(agent.err().find("muster-agent: no GPUs found (NVML libnvidia-ml.so.1 not available); pass "
                             "--fake-gpus N to run without GPUs"),
            std::string::npos)
      << agent.err();
  EXPECT_EQ(agent.out(), "");
}

TEST(AgentMainTest, WithoutItsKeyFileItSaysWhichAndExitsOne) {
  TempDir dir;
  AgentProcess agent(dir, {"--name", "n1", "--fake-gpus", "1", "--work-dir", dir.Sub("work"), "--key",
                           dir.Sub("missing.key"), "--server-key", dir.Sub("server.pub")});
  EXPECT_EQ(agent.Wait(kWaitMs), 1);
  EXPECT_NE(agent.err().find("cannot read key file " + dir.Sub("missing.key")), std::string::npos)
      << agent.err();
}

TEST(AgentMainTest, RegistersPrintsOneLineAndStopsCleanlyOnSigterm) {
  TempDir dir;
  FakeScheduler sched;
  AgentProcess agent(dir, {"--scheduler", sched.endpoint(), "--name", "node-a", "--fake-gpus", "2",
                           "--labels", "rack=r1,switch=s1", "--work-dir", dir.Sub("work"), "--address",
                           "10.0.0.7", "--heartbeat-ms", "100", "--insecure"});
  ASSERT_GT(agent.pid(), 0);
  auto reg = sched.WaitFor<wire::Register>(kWaitMs);
  ASSERT_TRUE(reg) << agent.err();
  EXPECT_EQ(reg->node.name, "node-a");
  EXPECT_EQ(reg->node.address, "10.0.0.7");
  ASSERT_EQ(reg->node.gpus.size(), 2u);
  EXPECT_EQ(reg->node.gpus[1].uuid, "GPU-fake-node-a-1");
  EXPECT_EQ(reg->node.labels, (std::map<std::string, std::string>{{"rack", "r1"}, {"switch", "s1"}}));
  EXPECT_EQ(agent.out(), "") << "nothing printed before musterd answers";
  sched.Send(wire::RegisterReply{});
  const std::string line = "muster-agent node-a registered with " + sched.endpoint() + " (2 GPUs)\n";
  EXPECT_TRUE(WaitUntil([&] { return agent.out() == line; }, kWaitMs)) << agent.out();
  sched.PumpFor(250);
  EXPECT_GE(sched.heartbeats(), 1);

  wire::LaunchRanks l;
  l.job = 3;
  l.attempt = 1;
  l.argv = {"sleep", "30"};
  l.ranks = {{0, 0, {0}}};
  sched.Send(l);
  auto started = sched.WaitFor<wire::RankStarted>(kWaitMs);
  ASSERT_TRUE(started) << agent.err();

  // SIGTERM: the agent stops its ranks, reports them, and exits 0.
  ASSERT_EQ(kill(agent.pid(), SIGTERM), 0);
  auto exited = sched.WaitFor<wire::RankExited>(kWaitMs);
  ASSERT_TRUE(exited) << agent.err();
  EXPECT_EQ(exited->exit.ref, (wire::RankRef{3, 1, 0}));
  EXPECT_EQ(exited->exit.signal, SIGTERM);
  EXPECT_EQ(agent.Wait(kWaitMs), 0) << agent.err();
  EXPECT_TRUE(ProcessGone(started->pid));
  EXPECT_EQ(agent.out(), line) << "exactly one line on stdout";
  EXPECT_EQ(ReadFile(dir.Sub("work/logs/3/rank-0.log")), "");
}

TEST(AgentMainTest, ConfigFileWithTheCommandLineWinning) {
  TempDir dir;
  FakeScheduler sched;
  testing::WriteFile(dir.Sub("agent.conf"),
                     "name = from-file\nfake-gpus = 3\nlabels = rack=r9\nheartbeat-ms = 100\n"
                     "scheduler = " +
                         sched.endpoint() + "\n");
  AgentProcess agent(dir, {"--config", dir.Sub("agent.conf"), "--name", "from-cli", "--work-dir",
                           dir.Sub("work"), "--insecure"});
  auto reg = sched.WaitFor<wire::Register>(kWaitMs);
  ASSERT_TRUE(reg) << agent.err();
  EXPECT_EQ(reg->node.name, "from-cli");
  EXPECT_EQ(reg->node.gpus.size(), 3u);
  EXPECT_EQ(reg->node.labels.at("rack"), "r9");
  EXPECT_EQ(reg->node.address, "127.0.0.1");
  ASSERT_EQ(kill(agent.pid(), SIGINT), 0);
  EXPECT_EQ(agent.Wait(kWaitMs), 0) << agent.err();
}

}  // namespace
}  // namespace muster::agent
