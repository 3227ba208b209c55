// agent/runtime: the fork/exec launcher for real, with sh and sleep.
#include "agent/runtime/process_launcher.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "agent/core/rank_env.h"
#include "agent/runtime/accounts.h"
#include "agent/runtime/fake_launcher.h"
#include "tests/agent/test_util.h"

extern char** environ;

namespace muster::agent {
namespace {

using testing::ProcessGone;
using testing::ReadFile;
using testing::TempDir;
using testing::WaitUntil;

std::vector<std::string> OwnEnv() {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  return env;
}

class ProcessLauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = ProcessLauncher::Create();
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    launcher_ = std::move(*l);
  }
  void TearDown() override {
    for (int32_t pid : started_) launcher_->SignalGroup(pid, SIGKILL);
    // Reap what is left so no zombie outlives the test.
    WaitUntil(
        [&] {
          for (const auto& e : launcher_->Reap()) exits_.push_back(e);
          return AllReaped();
        },
        2000);
  }

  bool AllReaped() const {
    for (int32_t pid : started_) {
      bool found = false;
      for (const auto& e : exits_) found |= e.pid == pid;
      if (!found) return false;
    }
    return true;
  }

  ProcessSpec Spec(std::vector<std::string> argv) {
    ProcessSpec s;
    s.argv = std::move(argv);
    s.env = OwnEnv();
    s.workdir = dir_.path();
    s.log_path = dir_.Sub("rank.log");
    return s;
  }

  Result<int32_t> Start(const ProcessSpec& spec) {
    auto pid = launcher_->Start(spec);
    if (pid.ok()) started_.push_back(*pid);
    return pid;
  }

  // Waits (bounded) for `pid` to be reaped, polling the launcher's fd.
  std::optional<ProcessExit> AwaitExit(int32_t pid, int timeout_ms = 5000) {
    std::optional<ProcessExit> got;
    auto take = [&] {
      for (const auto& e : exits_)
        if (e.pid == pid) got = e;
      return got.has_value();
    };
    WaitUntil(
        [&] {
          pollfd pfd{launcher_->wake_fd(), POLLIN, 0};
          ::poll(&pfd, 1, 10);
          for (const auto& e : launcher_->Reap()) exits_.push_back(e);
          return take();
        },
        timeout_ms);
    return got;
  }

  TempDir dir_;
  std::unique_ptr<ProcessLauncher> launcher_;
  std::vector<int32_t> started_;
  std::vector<ProcessExit> exits_;
};

TEST_F(ProcessLauncherTest, RunsWithTheRankEnvironmentAndAppendsOutputToTheLog) {
  testing::WriteFile(dir_.Sub("rank.log"), "earlier attempt\n");
  wire::LaunchRanks l;
  l.job = 5;
  l.env = {{"GREETING", "hi"}};
  l.ranks = {{3, 1, {0, 1}}};
  l.node_rank = 1;
  l.local_world_size = 2;
  ProcessSpec spec =
      Spec({"sh", "-c",
            "echo $RANK $CUDA_VISIBLE_DEVICES $LOCAL_RANK $NODE_RANK $LOCAL_WORLD_SIZE $GREETING; "
            "pwd; echo oops >&2; read x || echo stdin-empty; exit 4"});
  spec.env = RankEnvironment(OwnEnv(), l, l.ranks[0]);
  auto pid = Start(spec);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  EXPECT_GT(*pid, 0);
  auto exit = AwaitExit(*pid);
  ASSERT_TRUE(exit.has_value()) << "no exit reported";
  EXPECT_EQ(exit->exit_code, 4);
  EXPECT_EQ(exit->signal, 0);
  EXPECT_EQ(ReadFile(dir_.Sub("rank.log")),
            "earlier attempt\n3 0,1 1 1 2 hi\n" + dir_.path() + "\noops\nstdin-empty\n");
}

TEST_F(ProcessLauncherTest, EachRankLeadsItsOwnProcessGroup) {
  auto pid = Start(Spec({"sleep", "30"}));
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  EXPECT_EQ(getpgid(*pid), *pid);
  EXPECT_NE(getpgid(*pid), getpgid(0));
  launcher_->SignalGroup(*pid, SIGTERM);
  auto exit = AwaitExit(*pid);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->signal, SIGTERM);
  EXPECT_EQ(exit->exit_code, 0);
}

TEST_F(ProcessLauncherTest, RanksStartWithNoBlockedOrIgnoredSignalsOfTheAgent) {
  // The test process blocks SIGCHLD (ProcessLauncher::Create) and, like
  // muster-agent, ignores SIGPIPE: neither may leak into a job.
  struct sigaction ign {
  }, old{};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, &old);
  auto pid = Start(Spec({"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"}));
  sigaction(SIGPIPE, &old, nullptr);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  ASSERT_TRUE(AwaitExit(*pid).has_value());
  std::string log = ReadFile(dir_.Sub("rank.log"));
  auto mask = [&](const std::string& key) {
    auto at = log.find(key + ":");
    return at == std::string::npos ? ~0ull : std::stoull(log.substr(at + key.size() + 1), nullptr, 16);
  };
  EXPECT_EQ(mask("SigBlk"), 0u) << log;
  EXPECT_EQ(mask("SigIgn") & (1ull << (SIGPIPE - 1)), 0u) << log;
}

TEST_F(ProcessLauncherTest, ExecFailureIsAFailedStartWithErrnoText) {
  auto pid = Start(Spec({"muster-no-such-command", "x"}));
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().message(), "exec 'muster-no-such-command': No such file or directory");

  ProcessSpec bad_dir = Spec({"true"});
  bad_dir.workdir = dir_.Sub("missing");
  pid = Start(bad_dir);
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().message(), "chdir '" + dir_.Sub("missing") + "': No such file or directory");

  ProcessSpec bad_log = Spec({"true"});
  bad_log.log_path = dir_.Sub("no/such/dir/rank.log");
  pid = Start(bad_log);
  ASSERT_FALSE(pid.ok());
  EXPECT_NE(pid.status().message().find("open log"), std::string::npos);

  EXPECT_FALSE(Start(Spec({})).ok());
  // The failed children were reaped at once: nothing is left to report.
  EXPECT_TRUE(launcher_->Reap().empty());
}

TEST_F(ProcessLauncherTest, StartAllStartsEveryRankAndReportsEachFailureInPlace) {
  std::vector<ProcessSpec> specs;
  for (int i = 0; i < 4; ++i) {
    specs.push_back(Spec({"sh", "-c", "echo rank " + std::to_string(i) + "; exit " + std::to_string(i)}));
    specs.back().log_path = dir_.Sub("rank-" + std::to_string(i) + ".log");
  }
  specs[2].argv = {"muster-no-such-command"};
  auto results = launcher_->StartAll(specs);
  ASSERT_EQ(results.size(), 4u);
  for (int i : {0, 1, 3}) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status().ToString();
    started_.push_back(*results[i]);
    auto e = AwaitExit(*results[i]);
    ASSERT_TRUE(e.has_value()) << i;
    EXPECT_EQ(e->exit_code, i) << "each result is its own spec's process";
    EXPECT_EQ(testing::ReadFile(specs[i].log_path), "rank " + std::to_string(i) + "\n");
  }
  ASSERT_FALSE(results[2].ok());
  EXPECT_NE(results[2].status().message().find("muster-no-such-command"), std::string::npos)
      << results[2].status().ToString();
}

TEST_F(ProcessLauncherTest, ExecUsesThePathOfTheRankEnvironment) {
  std::string bin = dir_.Sub("bin");
  std::filesystem::create_directories(bin);
  testing::WriteFile(bin + "/muster-test-tool", "#!/bin/sh\nexit 9\n");
  std::filesystem::permissions(bin + "/muster-test-tool", std::filesystem::perms::owner_all);
  ProcessSpec spec = Spec({"muster-test-tool"});
  spec.env = {"PATH=" + bin + ":/usr/bin:/bin"};
  auto pid = Start(spec);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  auto exit = AwaitExit(*pid);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 9);
}

TEST_F(ProcessLauncherTest, PathLookupSkipsWhatCannotRunAndSaysPermissionDenied) {
  // execvp's rules, applied to the rank's PATH: a file that is not
  // executable is passed over for a later one; when nothing runs, EACCES.
  std::string first = dir_.Sub("first"), second = dir_.Sub("second");
  std::filesystem::create_directories(first);
  std::filesystem::create_directories(second);
  testing::WriteFile(first + "/muster-test-tool", "#!/bin/sh\nexit 3\n");  // not executable
  testing::WriteFile(second + "/muster-test-tool", "#!/bin/sh\nexit 4\n");
  std::filesystem::permissions(second + "/muster-test-tool", std::filesystem::perms::owner_all);
  ProcessSpec spec = Spec({"muster-test-tool"});
  spec.env = {"PATH=" + first + ":" + second};
  auto pid = Start(spec);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  auto exit = AwaitExit(*pid);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 4);

  spec.env = {"PATH=" + first};
  auto denied = Start(spec);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().message(), "exec 'muster-test-tool': Permission denied");
}

TEST_F(ProcessLauncherTest, RelativeProgramsAndPathEntriesAreRelativeToTheWorkdir) {
  std::string work = dir_.Sub("job");
  std::filesystem::create_directories(work + "/tools");
  testing::WriteFile(work + "/run.sh", "#!/bin/sh\nexit 5\n");
  testing::WriteFile(work + "/tools/muster-test-tool", "#!/bin/sh\nexit 6\n");
  std::filesystem::permissions(work + "/run.sh", std::filesystem::perms::owner_all);
  std::filesystem::permissions(work + "/tools/muster-test-tool", std::filesystem::perms::owner_all);

  ProcessSpec spec = Spec({"./run.sh"});
  spec.workdir = work;
  auto pid = Start(spec);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  auto exit = AwaitExit(*pid);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 5);

  spec.argv = {"muster-test-tool"};
  spec.env = {"PATH=tools:/usr/bin:/bin"};
  pid = Start(spec);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  exit = AwaitExit(*pid);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 6);
}

TEST_F(ProcessLauncherTest, AScriptWithoutAShebangRunsUnderSh) {
  std::string script = dir_.Sub("plain-script");
  testing::WriteFile(script, "echo \"args: $1 $2\"\nexit 7\n");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  auto pid = Start(Spec({script, "a", "b"}));
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  auto exit = AwaitExit(*pid);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 7);
  EXPECT_EQ(ReadFile(dir_.Sub("rank.log")), "args: a b\n");
}

void NoteSignal(int) {}

TEST_F(ProcessLauncherTest, SignalHandlersOfTheAgentAreNotTheJobs) {
  // A handler the agent installed must not survive into the job: SIGUSR1
  // kills the rank as it would any program.
  struct sigaction handler {
  }, old{};
  handler.sa_handler = NoteSignal;
  sigaction(SIGUSR1, &handler, &old);
  auto pid = Start(Spec({"sh", "-c", "kill -USR1 $$; sleep 5"}));
  sigaction(SIGUSR1, &old, nullptr);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  auto exit = AwaitExit(*pid);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->signal, SIGUSR1);
}

TEST_F(ProcessLauncherTest, SignallingTheGroupKillsGrandchildren) {
  std::string pidfile = dir_.Sub("grandchild.pid");
  auto pid = Start(Spec({"sh", "-c", "sleep 30 & echo $! > " + pidfile + "; wait"}));
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  ASSERT_TRUE(WaitUntil([&] { return ReadFile(pidfile).find('\n') != std::string::npos; }, 5000));
  pid_t grandchild = std::stoi(ReadFile(pidfile));
  ASSERT_FALSE(ProcessGone(grandchild));
  EXPECT_EQ(getpgid(grandchild), *pid);

  launcher_->SignalGroup(*pid, SIGKILL);
  auto exit = AwaitExit(*pid);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->signal, SIGKILL);
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(grandchild); }, 2000));
}

TEST_F(ProcessLauncherTest, LeaderExitTakesStrayGrandchildrenWithIt) {
  std::string pidfile = dir_.Sub("grandchild.pid");
  // The leader exits normally and leaves a background sleeper behind.
  auto pid = Start(Spec({"sh", "-c", "sleep 30 & echo $! > " + pidfile + "; exit 0"}));
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  auto exit = AwaitExit(*pid);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 0);
  EXPECT_EQ(exit->signal, 0);
  pid_t grandchild = std::stoi(ReadFile(pidfile));
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(grandchild); }, 2000));
}

TEST_F(ProcessLauncherTest, RanksDieWithTheThreadThatStartedThem) {
  // PR_SET_PDEATHSIG: when the agent (here: the thread that forked) dies,
  // its ranks get SIGKILL instead of living on unsupervised.
  int32_t pid = 0;
  std::thread t([&] {
    auto p = launcher_->Start(Spec({"sleep", "30"}));
    if (p.ok()) pid = *p;
  });
  t.join();
  ASSERT_GT(pid, 0);
  started_.push_back(pid);
  auto exit = AwaitExit(pid);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->signal, SIGKILL);
}

TEST(FakeLauncherTest, RecordsStartsSignalsAndExits) {
  FakeLauncher fake;
  ProcessSpec spec;
  spec.argv = {"train.py"};
  auto a = fake.Start(spec);
  auto b = fake.Start(spec);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  fake.FailNext("exec 'x': No such file or directory");
  auto c = fake.Start(spec);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "exec 'x': No such file or directory");
  EXPECT_EQ(fake.started().size(), 2u);

  fake.SignalGroup(*a, SIGTERM);
  EXPECT_TRUE(fake.IsRunning(*a)) << "SIGTERM is only recorded by default";
  fake.SignalGroup(*a, SIGKILL);
  fake.Exit(*b, 3);
  auto exits = fake.Reap();
  ASSERT_EQ(exits.size(), 2u);
  EXPECT_EQ(exits[0], (ProcessExit{*a, 0, SIGKILL}));
  EXPECT_EQ(exits[1], (ProcessExit{*b, 3, 0}));
  EXPECT_TRUE(fake.Reap().empty());
  EXPECT_EQ(fake.signals().size(), 2u);
}

// As root, a rank becomes its user: uid, gid and groups, with its log given
// to it (tests/integration/security_test.cc does the same through musterd).
TEST_F(ProcessLauncherTest, ARankRunsAsItsUserWithItsLogOwnedByIt) {
  if (geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  auto nobody = LookupAccount("nobody");
  ASSERT_TRUE(nobody.ok()) << nobody.status().ToString();
  ProcessSpec spec = Spec({"/bin/sh", "-c", "echo $(id -u) $(id -g) $(id -G)"});
  spec.workdir = "/";
  spec.env = BaseEnvironment(*nobody, {});
  spec.run_as = nobody->ids;
  auto pid = Start(spec);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  auto exit = AwaitExit(*pid);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->exit_code, 0);
  std::string groups;
  for (uint32_t g : nobody->ids.groups) groups += " " + std::to_string(g);
  EXPECT_EQ(ReadFile(spec.log_path),
            std::to_string(nobody->ids.uid) + " " + std::to_string(nobody->ids.gid) + groups + "\n");
  struct stat st {};
  ASSERT_EQ(stat(spec.log_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, nobody->ids.uid);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ProcessLauncherTest, AWorkdirTheUserCannotEnterIsAFailedStart) {
  if (geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  auto nobody = LookupAccount("nobody");
  ASSERT_TRUE(nobody.ok());
  ASSERT_EQ(chmod(dir_.path().c_str(), 0700), 0);
  ProcessSpec spec = Spec({"true"});
  spec.log_path = "/tmp/muster-launcher-test-" + std::to_string(getpid()) + ".log";
  spec.run_as = nobody->ids;
  auto pid = Start(spec);
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().message(), "chdir '" + dir_.path() + "': Permission denied");
  unlink(spec.log_path.c_str());
}

TEST(Accounts, LookupSaysWhoIsMissingAndTheBaseEnvironmentIsALogins) {
  auto none = LookupAccount("no-such-user-here");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(), "no user 'no-such-user-here' on this node");
  auto me = OwnAccount();
  ASSERT_TRUE(me.ok()) << me.status().ToString();
  setenv("MUSTER_TEST_PASSED", "yes", 1);
  setenv("MUSTER_TEST_KEPT_OUT", "no", 1);
  auto env = BaseEnvironment(*me, {"MUSTER_TEST_PASSED", "UNSET_VARIABLE_X"});
  EXPECT_EQ(env, (std::vector<std::string>{"HOME=" + me->home, "USER=" + me->name, "LOGNAME=" + me->name,
                                           "SHELL=" + me->shell, "PATH=/usr/local/bin:/usr/bin:/bin",
                                           "MUSTER_TEST_PASSED=yes"}));
}

}  // namespace
}  // namespace muster::agent
