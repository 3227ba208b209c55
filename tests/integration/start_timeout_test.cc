// The start barrier: a gang is RUNNING only when every rank reported
// started. One whose ranks do not all start within musterd's
// --start-timeout is torn down everywhere (never half a gang) and requeued
// like a node failure, counting a restart.
#include <signal.h>

#include <sstream>

#include "tests/integration/integration.h"

namespace muster::testing {
namespace {

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
    o.musterd_args = {"--start-timeout", "6s", "--reserve-timeout", "2s"};
    return o;
  }
  void TearDown() override {
    if (stopped_ > 0) kill(stopped_, SIGCONT);  // let it stop cleanly with the cluster
    ClusterTest::TearDown();
  }
  pid_t stopped_ = -1;
};

// The two-phase gang start: the frozen agent never answers ReserveRanks, so
// the gang is never committed and no rank starts anywhere (with the old
// one-phase launch the rank on node-0 started; now half a gang is never
// started at all). After --reserve-timeout the reservation is aborted on
// every node and the job requeued like a node failure; with no restarts
// left it fails.
TEST_F(IntegrationStartTimeout, AGangWhoseNodeNeverReservesIsAbortedAndRequeued) {
  stopped_ = cluster().agent(1)->pid();
  ASSERT_EQ(kill(stopped_, SIGSTOP), 0);
  const std::string pids_file = cluster().Scratch("pids");
  int64_t id = cluster().Submit(
      {"--nodes", "2", "--gpus-per-node", "1", "--max-restarts", "1"},
      Sh("echo \"$MUSTER_TEST_NODE $RANK $MUSTER_ATTEMPT $$\" >> " + pids_file + "; exec sleep 300"));

  // node-0 reserves attempt 1 and waits for the commit that never comes.
  ASSERT_TRUE(PollUntil([&] { return Contains(ReadFile(cluster().AgentLog(0)), "reserved job " + std::to_string(id)); },
                        Millis(10000)))
      << cluster().Diagnostics();
  Json job = cluster().Show(id);
  EXPECT_NE(job["state"], "RUNNING") << job.dump(2);

  job = cluster().WaitForJob(id, [](const Json& j) { return IsFinalState(j.value("state", "")); },
                             Millis(30000));
  ASSERT_EQ(job["state"], "FAILED") << job.dump(2) << cluster().Diagnostics();
  EXPECT_EQ(job["restarts"], 1) << job.dump(2);
  EXPECT_EQ(job["attempt"], 2) << job.dump(2);
  const std::string detail = job.value("reason_detail", "");
  EXPECT_TRUE(Contains(detail, "gang reservation timed out after 2s")) << detail;
  EXPECT_TRUE(Contains(detail, "node-1 did not answer")) << detail;
  EXPECT_TRUE(Contains(detail, "no restarts left")) << detail;

  // No rank ever started anywhere, and node-0 released both reservations.
  EXPECT_TRUE(ReadRankPids(pids_file).empty()) << ReadFile(pids_file);
  ASSERT_TRUE(PollUntil(
      [&] {
        const std::string log = ReadFile(cluster().AgentLog(0));
        return Contains(log, "dropped the reservation of job " + std::to_string(id) + " attempt 1") &&
               Contains(log, "dropped the reservation of job " + std::to_string(id) + " attempt 2");
      },
      Millis(10000)))
      << cluster().Diagnostics();
  EXPECT_FALSE(Contains(ReadFile(cluster().AgentLog(0)), "launching job " + std::to_string(id)));
  // The node stayed UP throughout: this was the reservation bound, not a node loss.
  Json nodes = cluster().Nodes();
  for (const auto& n : nodes) EXPECT_EQ(n["state"], "UP") << nodes.dump(2);
}

// musterd killed -9 while a gang is reserving (node-1 frozen, so the
// reserve phase cannot end by itself before the crash): the restarted
// musterd finds gang_phase = reserving on disk and rolls it back: the job is
// requeued (a restart counted), node-0's reservation is aborted when it
// re-registers, and attempt 2 runs once node-1 is back. No rank of attempt 1
// ever starts.
class IntegrationReserveRecovery : public IntegrationStartTimeout {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o = IntegrationStartTimeout::Options();
    o.musterd_args = {"--reserve-timeout", "60s"};
    return o;
  }
};

TEST_F(IntegrationReserveRecovery, Kill9DuringTheReservePhaseRollsTheGangBack) {
  stopped_ = cluster().agent(1)->pid();
  ASSERT_EQ(kill(stopped_, SIGSTOP), 0);
  const std::string pids_file = cluster().Scratch("pids");
  int64_t id = cluster().Submit(
      {"--nodes", "2", "--gpus-per-node", "1", "--max-restarts", "1"},
      Sh("echo \"$MUSTER_TEST_NODE $RANK $MUSTER_ATTEMPT $$\" >> " + pids_file + "; exit 0"));
  const std::string id_text = std::to_string(id);
  ASSERT_TRUE(PollUntil([&] { return Contains(ReadFile(cluster().AgentLog(0)), "reserved job " + id_text); },
                        Millis(10000)))
      << cluster().Diagnostics();

  cluster().KillMusterd();
  cluster().RestartMusterd();
  ASSERT_EQ(kill(stopped_, SIGCONT), 0);
  stopped_ = -1;

  Json job = cluster().WaitForJob(id, [](const Json& j) { return IsFinalState(j.value("state", "")); },
                                  Millis(30000));
  ASSERT_EQ(job["state"], "COMPLETED") << job.dump(2) << cluster().Diagnostics();
  EXPECT_EQ(job["restarts"], 1) << job.dump(2);
  EXPECT_EQ(job["attempt"], 2) << job.dump(2);
  EXPECT_TRUE(Contains(ReadFile(cluster().AgentLog(0)), "dropped the reservation of job " + id_text + " attempt 1"))
      << cluster().Diagnostics();
  auto pids = ReadRankPids(pids_file);
  EXPECT_EQ(pids.size(), 2u) << ReadFile(pids_file);
  for (const auto& rp : pids) EXPECT_EQ(rp.attempt, 2) << "a rank of the rolled-back attempt started";
}

}  // namespace
}  // namespace muster::testing
