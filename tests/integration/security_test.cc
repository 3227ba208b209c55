// Who may do what, on real processes over real CURVE (docs/security.md):
// two users who cannot touch each other's jobs, an operator who can, an
// unknown key that gets nowhere, an impostor agent, a forged rank report.
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "common/proto/messages.h"
#include "common/transport/zmq_util.h"
#include "tests/integration/integration.h"

namespace muster::testing {
namespace {

// Two users with UNIX accounts on every Debian machine (a root agent runs
// their ranks as them): "alice" and "bob" of these tests.
const std::string kAlice = "daemon";
const std::string kBob = "nobody";

class IntegrationSecurity : public ClusterTest {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o;
    o.agents = 2;
    o.gpus_per_agent = 2;
    o.users = {{kAlice, "vision", "", false}, {kBob, "nlp", "", false}};
    return o;
  }

  // `muster submit` as `user` (in /tmp, where any user may be); the job id.
  int64_t SubmitAs(const std::string& user, const std::vector<std::string>& command) {
    std::vector<std::string> args = {"submit", "--json", "--gpus", "1", "--workdir", "/tmp", "--"};
    args.insert(args.end(), command.begin(), command.end());
    CommandResult r = cluster().CliAs(user, args);
    if (r.exit_code != 0) throw std::runtime_error("submit as " + user + ": " + r.Describe());
    return Json::parse(r.out)["id"].get<int64_t>();
  }
};

// A root agent runs alice's ranks as alice; any other agent starts only its own user's jobs.
#define SKIP_UNLESS_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "another user's job starts only on a root agent"

TEST_F(IntegrationSecurity, BobCannotCancelAlicesJobAnOperatorCan) {
  SKIP_UNLESS_ROOT();
  int64_t id = SubmitAs(kAlice, Sh("sleep 60"));
  Json job = cluster().WaitForJobState(id, "RUNNING");
  ASSERT_EQ(job["state"], "RUNNING") << job.dump(2);
  EXPECT_EQ(job["user"], kAlice) << "the key's user, not the UNIX user running the CLI";
  EXPECT_EQ(job["team"], "vision");

  CommandResult bob = cluster().CliAs(kBob, {"cancel", std::to_string(id)});
  EXPECT_EQ(bob.exit_code, 1) << bob.Describe();
  EXPECT_TRUE(
      Contains(bob.err, "permission denied: user " + kBob + " may not cancel job " + std::to_string(id)))
      << bob.err;
  for (const char* verb : {"hold", "requeue"}) {
    CommandResult r = cluster().CliAs(kBob, {verb, std::to_string(id)});
    EXPECT_EQ(r.exit_code, 1) << verb << ": " << r.Describe();
  }
  CommandResult drain = cluster().CliAs(kBob, {"node", "drain", "node-0"});
  EXPECT_EQ(drain.exit_code, 1) << drain.Describe();
  EXPECT_TRUE(Contains(drain.err, "only operators may")) << drain.err;
  // Reading is for everyone, as with squeue.
  CommandResult list = cluster().CliAs(kBob, {"jobs"});
  EXPECT_EQ(list.exit_code, 0) << list.Describe();
  EXPECT_EQ(cluster().Show(id)["state"], "RUNNING") << "bob changed nothing";

  CommandResult ops = cluster().Cli({"cancel", std::to_string(id)});
  EXPECT_EQ(ops.exit_code, 0) << ops.Describe();
  EXPECT_EQ(cluster().WaitForJobState(id, "CANCELLED")["state"], "CANCELLED");
}

TEST_F(IntegrationSecurity, AliceCancelsHerOwnJob) {
  SKIP_UNLESS_ROOT();
  int64_t id = SubmitAs(kAlice, Sh("sleep 60"));
  CommandResult r = cluster().CliAs(kAlice, {"cancel", std::to_string(id)});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(cluster().WaitForJobState(id, "CANCELLED")["state"], "CANCELLED");
}

TEST_F(IntegrationSecurity, AnUnknownKeyGetsAClearErrorAndNothingElse) {
  CommandResult made = cluster().Cli({"keygen", "--out", cluster().Scratch("mallory.key")});
  ASSERT_EQ(made.exit_code, 0) << made.Describe();
  CommandResult r = RunCommand(
      CliBinary(),
      {"--scheduler", cluster().endpoint(), "--timeout-ms", "3000", "--key", cluster().Scratch("mallory.key"),
       "--server-key", cluster().ServerPublicFile(), "submit", "--gpus", "1", "--", "true"},
      Millis(15000));
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "refused")) << r.err;
  // A plain-text client (no CURVE at all) is no better off.
  CommandResult plain = RunCommand(
      CliBinary(), {"--scheduler", cluster().endpoint(), "--timeout-ms", "3000", "--insecure", "jobs"},
      Millis(15000));
  EXPECT_NE(plain.exit_code, 0) << plain.Describe();
  EXPECT_TRUE(cluster().Jobs().empty()) << "nothing was submitted";
}

TEST_F(IntegrationSecurity, AnImpostorAgentForALiveNodeIsRefusedAndTheNodeKeepsItsRanks) {
  int64_t id = cluster().Submit({"--gpus", "2"}, Sh("sleep 60"));
  Json job = cluster().WaitForJobState(id, "RUNNING");
  ASSERT_EQ(job["state"], "RUNNING") << job.dump(2);
  const std::string victim = job["placement"][0]["node"];
  const int other = victim == "node-0" ? 1 : 0;
  // Another node's real key, claiming the victim's name.
  SpawnOptions so;
  so.stderr_path = cluster().Scratch("impostor.log");
  auto impostor =
      Process::Spawn(AgentBinary(),
                     {"--scheduler", cluster().endpoint(), "--name", victim, "--fake-gpus", "2", "--work-dir",
                      cluster().Scratch("impostor"), "--heartbeat-ms", "100", "--key",
                      cluster().NodeKeyFile(other), "--server-key", cluster().ServerPublicFile()},
                     so);
  EXPECT_TRUE(
      PollUntil([&] { return Contains(ReadFile(cluster().Scratch("impostor.log")), "permission denied"); },
                Millis(10000)))
      << ReadFile(cluster().Scratch("impostor.log"));
  EXPECT_FALSE(impostor->WaitForLine("muster-agent " + victim + " registered", Millis(1000)));
  auto status = impostor->Wait(Millis(10000));
  ASSERT_TRUE(status) << "an agent musterd refuses stops";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << *status;
  Json after = cluster().Show(id);
  EXPECT_EQ(after["state"], "RUNNING") << after.dump(2);
  EXPECT_EQ(after["attempt"], job["attempt"]) << "not requeued onto the impostor";
  EXPECT_TRUE(Contains(ReadFile(cluster().musterd_log()), "refused Register from the agent of node"))
      << ReadFile(cluster().musterd_log());
}

TEST_F(IntegrationSecurity, AForgedRankExitFromAUserChangesNothing) {
  int64_t id = cluster().Submit({"--gpus", "1"}, Sh("sleep 60"));
  Json job = cluster().WaitForJobState(id, "RUNNING");
  ASSERT_EQ(job["state"], "RUNNING") << job.dump(2);
  transport::Client client(cluster().endpoint(), 5000, cluster().Keys(kAlice));
  wire::RankExited forged;
  forged.exit.ref = {static_cast<JobId>(id), job["attempt"].get<int32_t>(), 0};
  forged.exit.exit_code = 1;
  auto reply = client.Call(forged);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  auto* e = std::get_if<wire::Error>(&*reply);
  ASSERT_NE(e, nullptr) << wire::BodyName(*reply);
  EXPECT_EQ(e->code, wire::ErrorCode::kPermissionDenied) << e->message;
  EXPECT_EQ(cluster().Show(id)["state"], "RUNNING");
}

// Ranks run as their job's user, with a clean environment (the agent must
// be root to switch; "nobody" stands in for a user with a UNIX account).
class IntegrationRunAs : public ClusterTest {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o;
    o.agents = 1;
    o.gpus_per_agent = 1;
    o.users = {{"nobody", "", "", false}};
    o.agent_env = {{"AGENT_SECRET", "s3cr3t"}};
    return o;
  }
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the agent switches users only when it runs as root";
    ClusterTest::SetUp();
  }
};

TEST_F(IntegrationRunAs, AJobRunsAsItsUserWithACleanEnvironmentAndLogsOwnedByIt) {
  // A directory only the agent's user (root) may write to, like root's home.
  const std::string private_dir = cluster().Scratch("root-only");
  std::filesystem::create_directories(private_dir);
  ASSERT_EQ(chmod(private_dir.c_str(), 0700), 0);
  CommandResult sub = cluster().CliAs(
      "nobody", {"submit", "--json", "--gpus", "1", "--workdir", "/tmp", "--export", "NONE", "--env",
                 "MINE=1", "--", "/bin/sh", "-c",
                 "echo uid=$(id -u) user=$USER mine=$MINE secret=${AGENT_SECRET:-unset}; "
                 "cat /etc/shadow >/dev/null 2>&1 && echo shadow=read || echo shadow=denied; "
                 "touch " +
                     private_dir + "/x 2>/dev/null && echo root=written || echo root=denied"});
  ASSERT_EQ(sub.exit_code, 0) << sub.Describe();
  const int64_t id = Json::parse(sub.out)["id"].get<int64_t>();
  Json job = cluster().WaitForJobState(id, "COMPLETED");
  ASSERT_EQ(job["state"], "COMPLETED") << job.dump(2);
  CommandResult logs = cluster().CliAs("nobody", {"logs", std::to_string(id)});
  ASSERT_EQ(logs.exit_code, 0) << logs.Describe();
  const passwd* nobody = getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  EXPECT_EQ(logs.out, "uid=" + std::to_string(nobody->pw_uid) +
                          " user=nobody mine=1 secret=unset\nshadow=denied\nroot=denied\n");
  struct stat st {};
  ASSERT_EQ(stat(cluster().RankLogPath(0, id, 0).c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, nobody->pw_uid) << "the log is the user's";
}

TEST_F(IntegrationRunAs, TheSubmittersEnvironmentGoesWithTheJobAsExportSays) {
  std::vector<std::string> submit = {"submit", "--json", "--gpus", "1", "--workdir", "/tmp"};
  auto run = [&](std::vector<std::string> flags) {
    std::vector<std::string> args = submit;
    args.insert(args.end(), flags.begin(), flags.end());
    for (const char* a : {"--", "/bin/sh", "-c", "echo from=${FROM_SUBMITTER:-unset} other=${OTHER:-unset}"})
      args.push_back(a);
    CommandResult r = RunCommand(
        "/usr/bin/env",
        [&] {
          std::vector<std::string> e = {"FROM_SUBMITTER=yes",
                                        "OTHER=too",
                                        CliBinary(),
                                        "--scheduler",
                                        cluster().endpoint(),
                                        "--key",
                                        cluster().KeyFile("nobody"),
                                        "--server-key",
                                        cluster().ServerPublicFile()};
          e.insert(e.end(), args.begin(), args.end());
          return e;
        }(),
        Millis(15000));
    if (r.exit_code != 0) throw std::runtime_error(r.Describe());
    int64_t id = Json::parse(r.out)["id"].get<int64_t>();
    cluster().WaitForJobState(id, "COMPLETED");
    return cluster().CliAs("nobody", {"logs", std::to_string(id)}).out;
  };
  EXPECT_EQ(run({}), "from=yes other=too\n") << "--export ALL by default";
  EXPECT_EQ(run({"--export", "NONE"}), "from=unset other=unset\n");
  EXPECT_EQ(run({"--export", "FROM_SUBMITTER"}), "from=yes other=unset\n");
  EXPECT_EQ(run({"--export", "FROM_SUBMITTER", "--env", "FROM_SUBMITTER=env"}), "from=env other=unset\n");
}

class IntegrationNoRootJobs : public ClusterTest {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o;
    o.agents = 1;
    o.gpus_per_agent = 1;
    o.allow_root_jobs = false;
    return o;
  }
};

TEST_F(IntegrationNoRootJobs, AJobAsRootIsRefusedUnlessMusterdAllowsIt) {
  if (cluster().operator_name() != "root") GTEST_SKIP() << "the tests do not run as root";
  CommandResult r = cluster().Cli({"submit", "--gpus", "1", "--", "true"});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "jobs as root are refused")) << r.err;
}

}  // namespace
}  // namespace muster::testing
