// The start barrier: a gang is RUNNING only when every rank reported
// started. One whose ranks do not all start within musterd's
// --start-timeout is torn down everywhere (never half a gang) and requeued
// like a node failure, counting a restart.
#include <signal.h>

#include <sstream>

#include "tests/integration/integration.h"

namespace muster::testing {
namespace {

struct RankPid {
  std::string node;
  int rank = -1;
  int attempt = -1;
  int pid = -1;
};

// Lines "NODE RANK ATTEMPT PID" that the ranks append to a shared file.
std::vector<RankPid> ReadRankPids(const std::string& path) {
  std::vector<RankPid> out;
  std::istringstream in(ReadFile(path));
  RankPid rp;
  while (in >> rp.node >> rp.rank >> rp.attempt >> rp.pid) out.push_back(rp);
  return out;
}

// Two nodes; node-1's agent is frozen (SIGSTOP) after it registered, so the
// rank placed there never starts. Heartbeats time out only after 30 s: the
// node stays UP and the gang keeps being placed on it.
class IntegrationStartTimeout : public ClusterTest {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o;
    o.agents = 2;
    o.gpus_per_agent = 1;
    o.heartbeat_timeout = "30s";
    o.musterd_args = {"--start-timeout", "2s"};
    return o;
  }
  void TearDown() override {
    if (stopped_ > 0) kill(stopped_, SIGCONT);  // let it stop cleanly with the cluster
    ClusterTest::TearDown();
  }
  pid_t stopped_ = -1;
};

TEST_F(IntegrationStartTimeout, AGangWithARankThatNeverStartsIsTornDownAndRequeued) {
  stopped_ = cluster().agent(1)->pid();
  ASSERT_EQ(kill(stopped_, SIGSTOP), 0);
  const std::string pids_file = cluster().Scratch("pids");
  int64_t id = cluster().Submit(
      {"--nodes", "2", "--gpus-per-node", "1", "--max-restarts", "1"},
      Sh("echo \"$MUSTER_TEST_NODE $RANK $MUSTER_ATTEMPT $$\" >> " + pids_file + "; exec sleep 300"));

  // Attempt 1: the rank on node-0 runs, the gang does not.
  std::vector<RankPid> pids;
  ASSERT_TRUE(PollUntil([&] { return !(pids = ReadRankPids(pids_file)).empty(); }, Millis(10000)))
      << cluster().Diagnostics();
  EXPECT_EQ(pids[0].node, "node-0");
  EXPECT_EQ(pids[0].attempt, 1);
  Json job = cluster().Show(id);
  EXPECT_NE(job["state"], "RUNNING") << "RUNNING needs every rank started: " << job.dump(2);

  // After 2 s it is torn down and requeued (restart 1 of 1); attempt 2 times
  // out the same way and, with no restarts left, fails.
  job = cluster().WaitForJob(id, [](const Json& j) { return IsFinalState(j.value("state", "")); },
                             Millis(30000));
  ASSERT_EQ(job["state"], "FAILED") << job.dump(2) << cluster().Diagnostics();
  EXPECT_EQ(job["restarts"], 1) << job.dump(2);
  EXPECT_EQ(job["attempt"], 2) << job.dump(2);
  const std::string detail = job.value("reason_detail", "");
  EXPECT_TRUE(Contains(detail, "start barrier timed out after 2s")) << detail;
  EXPECT_TRUE(Contains(detail, "never started")) << detail;
  EXPECT_TRUE(Contains(detail, "no restarts left")) << detail;

  // Never half a gang: every rank that did start on node-0 was killed.
  pids = ReadRankPids(pids_file);
  ASSERT_FALSE(pids.empty());
  for (const auto& rp : pids) {
    EXPECT_EQ(rp.node, "node-0") << "the frozen agent started a rank";
    EXPECT_TRUE(WaitForProcessGone(rp.pid, Millis(10000)))
        << "rank " << rp.rank << " of attempt " << rp.attempt << " (pid " << rp.pid << ") still runs";
  }
  // The node stayed UP throughout: this was the start barrier, not a node loss.
  Json nodes = cluster().Nodes();
  for (const auto& n : nodes) EXPECT_EQ(n["state"], "UP") << nodes.dump(2);
}

}  // namespace
}  // namespace muster::testing
