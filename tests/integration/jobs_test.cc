// One agent, single-node jobs: what a user submits, sees, cancels and reads.
#include <algorithm>
#include <cctype>
#include <chrono>

#include "tests/integration/integration.h"

namespace muster::testing {
namespace {

using std::chrono::steady_clock;

class IntegrationJobs : public ClusterTest {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o;
    o.agents = 1;
    o.gpus_per_agent = 4;
    o.labels = {"rack=r1,switch=s1"};
    return o;
  }
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

int ReadPid(const std::string& path) {
  std::string s = ReadFile(path);
  try {
    return std::stoi(s);
  } catch (const std::exception&) {
    return -1;
  }
}

TEST_F(IntegrationJobs, NodesShowTheAgentWithItsGpusAndLabels) {
  Json nodes = cluster().Nodes();
  ASSERT_TRUE(nodes.is_array()) << nodes.dump(2);
  ASSERT_EQ(nodes.size(), 1u) << nodes.dump(2);
  const Json& n = nodes[0];
  EXPECT_EQ(n["name"], "node-0");
  EXPECT_EQ(n["state"], "UP");
  EXPECT_EQ(n["gpus_total"], 4);
  EXPECT_EQ(n["gpus_free"], 4);
  EXPECT_EQ(n["labels"], Json({{"rack", "r1"}, {"switch", "s1"}})) << n.dump(2);
  EXPECT_TRUE(n["last_heartbeat"].is_string()) << n.dump(2);

  // The human table names the node too.
  CommandResult table = cluster().Cli({"nodes"});
  EXPECT_EQ(table.exit_code, 0) << table.Describe();
  EXPECT_TRUE(Contains(table.out, "node-0")) << table.out;
}

TEST_F(IntegrationJobs, JobRunsAndItsOutputIsInLogs) {
  // The plain form prints "Submitted job ID".
  CommandResult sub = cluster().Cli({"submit", "--name", "hello", "--gpus", "1", "--", "/bin/sh", "-c",
                                     "echo hello from muster; echo to stderr >&2"});
  ASSERT_EQ(sub.exit_code, 0) << sub.Describe();
  ASSERT_EQ(sub.out.rfind("Submitted job ", 0), 0u) << sub.out;
  int64_t id = std::stoll(sub.out.substr(std::string("Submitted job ").size()));

  Json job = cluster().WaitForJobState(id, "COMPLETED");
  ASSERT_EQ(job["state"], "COMPLETED") << job.dump(2);
  EXPECT_EQ(job["id"], id);
  EXPECT_EQ(job["name"], "hello");
  EXPECT_EQ(job["exit_code"], 0);
  EXPECT_EQ(job["queue"], "default");
  EXPECT_TRUE(job["submit_time"].is_string()) << job.dump(2);
  EXPECT_TRUE(job["start_time"].is_string()) << job.dump(2);
  EXPECT_TRUE(job["end_time"].is_string()) << job.dump(2);
  ASSERT_EQ(job["placement"].size(), 1u) << job.dump(2);
  EXPECT_EQ(job["placement"][0]["node"], "node-0");
  EXPECT_EQ(job["placement"][0]["gpus"].size(), 1u);

  CommandResult logs = cluster().Cli({"logs", std::to_string(id)});
  EXPECT_EQ(logs.exit_code, 0) << logs.Describe();
  EXPECT_TRUE(Contains(logs.out, "hello from muster")) << logs.Describe();
  EXPECT_TRUE(Contains(logs.out, "to stderr")) << logs.Describe();
  // On the agent, where the contract says it is.
  EXPECT_TRUE(Contains(ReadFile(cluster().RankLogPath(0, id, 0)), "hello from muster"));

  // Finished jobs are listed by state; the GPU is free again.
  Json done = cluster().Jobs("COMPLETED");
  EXPECT_EQ(JobIds(done).count(id), 1u) << done.dump(2);
  EXPECT_TRUE(PollUntil([&] { return cluster().Nodes()[0]["gpus_free"] == 4; }, Millis(5000)));
}

TEST_F(IntegrationJobs, LogsFollowPrintsOutputUntilTheJobEnds) {
  int64_t id = cluster().Submit({"--gpus", "1"}, Sh("for i in 1 2 3; do echo line-$i; sleep 0.4; done"));
  CommandResult logs = cluster().Cli({"logs", std::to_string(id), "-f"});
  EXPECT_EQ(logs.exit_code, 0) << logs.Describe();
  EXPECT_FALSE(logs.timed_out);
  for (const char* l : {"line-1", "line-2", "line-3"}) EXPECT_TRUE(Contains(logs.out, l)) << logs.out;
  EXPECT_EQ(cluster().WaitForJobState(id, "COMPLETED")["state"], "COMPLETED");
}

TEST_F(IntegrationJobs, EnvAndWorkdirReachTheRank) {
  const std::string wd = cluster().dir().MakeSub("scratch/wd");
  int64_t id =
      cluster().Submit({"--gpus", "1", "--env", "GREETING=hi there", "--env", "COLOR=blue", "--workdir", wd},
                       Sh("echo \"greeting=$GREETING color=$COLOR\"; echo \"cwd=$(pwd)\""));
  Json job = cluster().WaitForJobState(id, "COMPLETED");
  ASSERT_EQ(job["state"], "COMPLETED") << job.dump(2);
  CommandResult logs = cluster().Cli({"logs", std::to_string(id)});
  EXPECT_TRUE(Contains(logs.out, "greeting=hi there color=blue")) << logs.Describe();
  EXPECT_TRUE(Contains(logs.out, "cwd=" + wd)) << logs.Describe();
}

TEST_F(IntegrationJobs, AfterWaitsForTheJobItDependsOn) {
  const std::string marker = cluster().Scratch("first.done");
  int64_t first = cluster().Submit({"--gpus", "1"}, Sh("sleep 1; touch " + marker));
  int64_t second = cluster().Submit({"--gpus", "1", "--after", std::to_string(first)},
                                    Sh("test -e " + marker + " && echo saw-first"));
  Json j2 = cluster().Show(second);
  if (cluster().Show(first)["state"] != "COMPLETED") {
    EXPECT_EQ(j2["state"], "PENDING") << j2.dump(2);
  }
  j2 = cluster().WaitForJobState(second, "COMPLETED");
  ASSERT_EQ(j2["state"], "COMPLETED") << "it started before the job it depends on ended: " << j2.dump(2);
  Json j1 = cluster().Show(first);
  EXPECT_GE(j2["start_time"].get<std::string>(), j1["end_time"].get<std::string>());
  EXPECT_TRUE(Contains(cluster().Cli({"logs", std::to_string(second)}).out, "saw-first"));
}

TEST_F(IntegrationJobs, FailingJobEndsFailedWithItsExitCode) {
  int64_t id = cluster().Submit({"--gpus", "1"}, Sh("echo about to fail; exit 3"));
  Json job = cluster().WaitForJobState(id, "FAILED");
  ASSERT_EQ(job["state"], "FAILED") << job.dump(2);
  EXPECT_EQ(job["exit_code"], 3) << job.dump(2);
  CommandResult logs = cluster().Cli({"logs", std::to_string(id)});
  EXPECT_TRUE(Contains(logs.out, "about to fail")) << logs.Describe();
}

TEST_F(IntegrationJobs, JobThatCannotStartEndsFailedWithAMessage) {
  int64_t id = cluster().Submit({"--gpus", "1"}, {"/nonexistent/muster-no-such-command", "--flag"});
  Json job = cluster().WaitForJobState(id, "FAILED");
  ASSERT_EQ(job["state"], "FAILED") << job.dump(2);
  EXPECT_NE(job["exit_code"], 0) << job.dump(2);
  std::string why = Lower(job.value("reason", "") + " " +
                          (job["reason_detail"].is_string() ? job["reason_detail"].get<std::string>() : ""));
  EXPECT_TRUE(Contains(why, "muster-no-such-command") || Contains(why, "no such file"))
      << "the reason should say what could not be started: " << job.dump(2);
}

TEST_F(IntegrationJobs, CancelKillsTheWholeProcessGroupIncludingGrandchildren) {
  const std::string d = cluster().dir().MakeSub("scratch/cancel");
  // The leader (sh) starts two grandchildren; one ignores SIGTERM, so only
  // the group kill after the leader died (or after the grace) ends it.
  int64_t id = cluster().Submit({"--gpus", "1"},
                                Sh("(trap '' TERM; exec sleep 300) & echo $! > " + d + "/stubborn.pid; " +  //
                                   "sleep 300 & echo $! > " + d + "/child.pid; " +                          //
                                   "echo $$ > " + d + "/leader.pid; wait"));
  Json job = cluster().WaitForJobState(id, "RUNNING");
  ASSERT_EQ(job["state"], "RUNNING") << job.dump(2);
  int leader = -1, child = -1, stubborn = -1;
  ASSERT_TRUE(PollUntil(
      [&] {
        leader = ReadPid(d + "/leader.pid");
        child = ReadPid(d + "/child.pid");
        stubborn = ReadPid(d + "/stubborn.pid");
        return leader > 0 && child > 0 && stubborn > 0;
      },
      Millis(10000)));
  ASSERT_TRUE(IsProcessAlive(leader));
  ASSERT_TRUE(IsProcessAlive(child));
  ASSERT_TRUE(IsProcessAlive(stubborn));

  auto t0 = steady_clock::now();
  CommandResult cancel = cluster().Cli({"cancel", std::to_string(id)});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.Describe();

  EXPECT_TRUE(WaitForProcessGone(leader, Millis(5000))) << "rank leader " << leader << " survived cancel";
  EXPECT_TRUE(WaitForProcessGone(child, Millis(5000))) << "grandchild " << child << " survived cancel";
  EXPECT_TRUE(WaitForProcessGone(stubborn, Millis(5000)))
      << "grandchild " << stubborn << " (ignores SIGTERM) survived cancel";
  job = cluster().WaitForJobState(id, "CANCELLED", Millis(10000));
  EXPECT_EQ(job["state"], "CANCELLED") << job.dump(2);
  EXPECT_LT(steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_TRUE(job["end_time"].is_string()) << job.dump(2);

  // Cancelling it again is refused: it has ended.
  CommandResult again = cluster().Cli({"cancel", std::to_string(id)});
  EXPECT_EQ(again.exit_code, 1) << again.Describe();
  EXPECT_FALSE(again.err.empty());
}

TEST_F(IntegrationJobs, TimeLimitEndsTheJobWithTimeout) {
  const std::string pid_file = cluster().Scratch("timeout.pid");
  auto t0 = steady_clock::now();
  int64_t id = cluster().Submit({"--gpus", "1", "--time-limit", "2s"},
                                Sh("echo $$ > " + pid_file + "; exec sleep 300"));
  Json job = cluster().WaitForJobState(id, "TIMEOUT", Millis(20000));
  auto elapsed = steady_clock::now() - t0;
  ASSERT_EQ(job["state"], "TIMEOUT") << job.dump(2);
  EXPECT_GE(elapsed, std::chrono::milliseconds(1500));
  EXPECT_LT(elapsed, std::chrono::seconds(20));
  EXPECT_TRUE(job["end_time"].is_string()) << job.dump(2);
  int pid = ReadPid(pid_file);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(WaitForProcessGone(pid, Millis(5000))) << "the timed-out rank " << pid << " still runs";
}

TEST_F(IntegrationJobs, InvalidRequestsAreRefusedAndNothingChanges) {
  int64_t kept = cluster().Submit({"--name", "kept", "--gpus", "1"}, {"/bin/true"});
  ASSERT_EQ(cluster().WaitForJobState(kept, "COMPLETED")["state"], "COMPLETED");
  const std::set<int64_t> before = JobIds(cluster().Jobs());
  const Json nodes_before = cluster().Nodes();

  struct Case {
    std::vector<std::string> args;
    std::string mentions;  // lower case; the message must say what is wrong
  };
  const std::vector<Case> cases = {
      {{"submit", "--nodes", "2", "--", "/bin/true"}, "gpu"},
      {{"submit", "--gpus", "0", "--", "/bin/true"}, "gpu"},
      {{"submit", "--nodes", "2", "--gpus-per-node", "0", "--", "/bin/true"}, "gpu"},
      {{"submit", "--nodes", "1", "--gpus-per-node", "65", "--", "/bin/true"}, "gpu"},
      {{"submit", "--gpus", "1", "--time-limit", "soon", "--", "/bin/true"}, "time"},
      {{"submit", "--gpus", "1"}, ""},  // no command
  };
  for (const Case& c : cases) {
    CommandResult r = cluster().Cli(c.args);
    std::string what;
    for (const auto& a : c.args) what += a + " ";
    EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 2) << "muster " << what << ": " << r.Describe();
    EXPECT_FALSE(r.err.empty()) << "muster " << what << " gave no reason on stderr";
    EXPECT_TRUE(Contains(Lower(r.err), c.mentions)) << "muster " << what << ": " << r.Describe();
    EXPECT_FALSE(Contains(r.out, "Submitted")) << "muster " << what << ": " << r.Describe();
  }

  // Unknown job ids and commands: refused (1) or usage (2), with a reason.
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"show", "999999"}, {"cancel", "999999"}, {"logs", "999999"}}) {
    CommandResult r = cluster().Cli(args);
    EXPECT_EQ(r.exit_code, 1) << "muster " << args[0] << " 999999: " << r.Describe();
    EXPECT_FALSE(r.err.empty());
  }
  CommandResult usage = cluster().Cli({"no-such-subcommand"});
  EXPECT_EQ(usage.exit_code, 2) << usage.Describe();

  // Nothing changed, and musterd still serves.
  EXPECT_EQ(JobIds(cluster().Jobs()), before);
  Json nodes_after = cluster().Nodes();
  ASSERT_EQ(nodes_after.size(), nodes_before.size());
  EXPECT_EQ(nodes_after[0]["gpus_free"], nodes_before[0]["gpus_free"]);
  int64_t next = cluster().Submit({"--gpus", "1"}, {"/bin/true"});
  EXPECT_GT(next, kept);
  EXPECT_EQ(cluster().WaitForJobState(next, "COMPLETED")["state"], "COMPLETED");
}

}  // namespace
}  // namespace muster::testing
