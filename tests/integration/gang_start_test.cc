// The two-phase gang start (docs/protocol.md "Gang start") past the reserve
// phase: a committed gang in musterd's start barrier, i.e. its ranks run on
// every node but not all have been reported started yet.
//
// The barrier is held open deterministically with muster-agent's test-only
// --test-delay-start-report-ms on one node: its ranks run at once, their
// RankStarted reports are held, so musterd keeps the job STARTING for as
// long as the test needs. Rank programs that wait on a file the test
// creates order the rest (each wait is bounded, so every rank also ends by
// itself).
#include <signal.h>

#include <algorithm>
#include <future>
#include <chrono>
#include <fstream>
#include <sstream>

#include "tests/integration/integration.h"
#include "tests/integration/raw_agent.h"

namespace muster::testing {
namespace {

// The shell line that records a rank in `pids_file`.
std::string RecordRank(const std::string& pids_file) {
  return "echo \"$MUSTER_TEST_NODE $RANK $MUSTER_ATTEMPT $$\" >> " + pids_file + "; ";
}

// Waits (at most 30 s, so the rank always ends) until `path` exists.
std::string WaitForFile(const std::string& path) {
  return "i=0; while [ ! -e " + path + " ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; ";
}

void Touch(const std::string& path) { std::ofstream(path) << "go\n"; }

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

// Every node shows all its GPUs free.
bool AllGpusFree(const TestCluster& cluster, int gpus_per_node) {
  Json nodes = cluster.Nodes();
  for (const auto& n : nodes)
    if (n.value("gpus_free", -1) != gpus_per_node) return false;
  return !nodes.empty();
}

// Polls `muster show` until the job is final (or `timeout`), recording every
// state seen on the way.
Json WaitForFinalRecordingStates(const TestCluster& cluster, int64_t id, Millis timeout,
                                 std::set<std::string>& seen) {
  return cluster.WaitForJob(
      id,
      [&](const Json& j) {
        seen.insert(j.value("state", ""));
        return IsFinalState(j.value("state", ""));
      },
      timeout);
}

// Two nodes of two GPUs; node-1 holds its "rank started" reports for 60 s,
// far past every wait below, so a gang on both nodes stays STARTING.
class GangStartBarrierTest : public ClusterTest {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o;
    o.agents = 2;
    o.gpus_per_agent = 2;
    o.agent_args = {{}, {"--test-delay-start-report-ms", "60000"}};
    o.musterd_args = ExtraMusterdArgs();
    return o;
  }
  virtual std::vector<std::string> ExtraMusterdArgs() const { return {}; }

  // Waits until the gang's `count` ranks of `attempt` recorded themselves.
  std::vector<RankPid> AwaitRanks(const std::string& pids_file, int attempt, size_t count) {
    std::vector<RankPid> ranks;
    PollUntil(
        [&] {
          ranks.clear();
          for (const auto& rp : ReadRankPids(pids_file))
            if (rp.attempt == attempt) ranks.push_back(rp);
          return ranks.size() >= count;
        },
        Millis(10000));
    return ranks;
  }
  // The 4 ranks of attempt 1, once both agents committed it (past the
  // reserve phase); fewer when they did not all start.
  std::vector<RankPid> AwaitCommittedGang(const std::string& pids_file, const std::string& id_text) {
    std::vector<RankPid> ranks = AwaitRanks(pids_file, 1, 4);
    EXPECT_EQ(ranks.size(), 4u) << ReadFile(pids_file) << cluster().Diagnostics();
    for (int a = 0; a < 2; ++a)
      EXPECT_TRUE(Contains(ReadFile(cluster().AgentLog(a)), "committing job " + id_text + " attempt 1"))
          << cluster().Diagnostics();
    return ranks;
  }
};

// Item 1 of issue 5: a rank exits non-zero while its peers run but are not
// all reported started (the gang is in the start barrier). The whole gang
// fails with that rank's exit code and is not requeued (a rank failure is
// the job's failure, restarts are for node failures), every rank on both
// nodes is killed, and every GPU is free again.
class IntegrationGangStartBarrier : public GangStartBarrierTest {};

TEST_F(IntegrationGangStartBarrier, ARankFailingInTheStartBarrierFailsTheWholeGang) {
  const std::string pids_file = cluster().Scratch("pids");
  const std::string fail_file = cluster().Scratch("fail");
  // node-0's LOCAL_RANK 1 fails with 5 when told to; every other rank runs on.
  int64_t id = cluster().Submit(
      {"--nodes", "2", "--gpus-per-node", "2", "--max-restarts", "1", "--grace", "1s"},
      Sh(RecordRank(pids_file) + "if [ \"$MUSTER_TEST_NODE\" = node-0 ] && [ \"$LOCAL_RANK\" = 1 ]; then " +
         WaitForFile(fail_file) + "exit 5; fi; exec sleep 300"));

  // All four ranks run on both nodes, yet the job is still in the barrier.
  std::vector<RankPid> ranks = AwaitRanks(pids_file, 1, 4);
  ASSERT_EQ(ranks.size(), 4u) << ReadFile(pids_file) << cluster().Diagnostics();
  Json job = cluster().Show(id);
  ASSERT_EQ(job.value("state", ""), "STARTING") << "the barrier must still be open: " << job.dump(2);
  for (const auto& rp : ranks) ASSERT_TRUE(IsProcessAlive(rp.pid)) << rp.node << " rank " << rp.rank;
  int failing_rank = -1;
  for (const auto& rp : ranks)
    if (rp.node == "node-0" && rp.rank % 2 == 1) failing_rank = rp.rank;
  ASSERT_GE(failing_rank, 0) << ReadFile(pids_file);

  Touch(fail_file);
  std::set<std::string> seen;
  // Well before node-1's held reports (60 s) or the start timeout (120 s).
  job = WaitForFinalRecordingStates(cluster(), id, Millis(15000), seen);
  ASSERT_EQ(job.value("state", ""), "FAILED") << job.dump(2) << cluster().Diagnostics();
  EXPECT_EQ(job["exit_code"], 5) << job.dump(2);
  const std::string detail = job.value("reason_detail", "");
  EXPECT_TRUE(Contains(detail, "rank " + std::to_string(failing_rank) + " exited with code 5")) << detail;
  EXPECT_EQ(job["restarts"], 0) << "a rank's failure is not requeued: " << job.dump(2);
  EXPECT_EQ(job["attempt"], 1) << job.dump(2);
  EXPECT_EQ(seen.count("RUNNING"), 0u) << "the gang was never complete, it must never be RUNNING";

  // Every other rank, on both nodes, reported started or not, is killed.
  for (const auto& rp : ranks)
    EXPECT_TRUE(WaitForProcessGone(rp.pid, Millis(10000))) << rp.node << " rank " << rp.rank << " still runs";
  EXPECT_TRUE(PollUntil([&] { return AllGpusFree(cluster(), 2); }, Millis(10000)))
      << cluster().Nodes().dump(2);
  // Never another attempt, never a rank twice.
  EXPECT_EQ(ReadRankPids(pids_file).size(), 4u) << ReadFile(pids_file);
}

// Item 2: the start barrier times out after the commit. Every agent
// committed and runs its ranks, but node-1's are never reported started
// within --start-timeout: the gang is killed on every node and requeued
// like a node failure (NODE_FAIL, a restart counted); the second attempt
// times out the same way and, with no restarts left, the job fails. The
// unreported ranks are slow to stop: the second attempt must still be
// accepted by node-1 (musterd waits for their exits before it reuses their
// GPUs, instead of having node-1 refuse "GPU in use by attempt 1").
class IntegrationStartBarrierAfterCommit : public GangStartBarrierTest {
 protected:
  std::vector<std::string> ExtraMusterdArgs() const override { return {"--start-timeout", "3s"}; }
};

TEST_F(IntegrationStartBarrierAfterCommit, RanksRunningButNotReportedAreTornDownEverywhereAndRequeued) {
  const std::string pids_file = cluster().Scratch("pids");
  // node-1's ranks take a second to stop (a checkpoint on SIGTERM): their
  // GPUs must not be handed to the next attempt before they are gone.
  int64_t id =
      cluster().Submit({"--nodes", "2", "--gpus-per-node", "2", "--max-restarts", "1", "--grace", "5s"},
                       Sh(RecordRank(pids_file) +
                          "if [ \"$MUSTER_TEST_NODE\" = node-1 ]; then trap 'sleep 1; exit 0' TERM; fi; " +
                          "i=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done"));
  const std::string id_text = std::to_string(id);

  std::vector<RankPid> first = AwaitCommittedGang(pids_file, id_text);
  ASSERT_EQ(first.size(), 4u);
  Json job = cluster().Show(id);
  EXPECT_EQ(job.value("state", ""), "STARTING") << job.dump(2);

  std::set<std::string> seen;
  job = WaitForFinalRecordingStates(cluster(), id, Millis(20000), seen);
  ASSERT_EQ(job.value("state", ""), "FAILED") << job.dump(2) << cluster().Diagnostics();
  EXPECT_EQ(job["restarts"], 1) << "the first timeout must requeue: " << job.dump(2);
  EXPECT_EQ(job["attempt"], 2) << job.dump(2);
  EXPECT_EQ(seen.count("RUNNING"), 0u);
  // The ranks that never reported are node-1's, in both attempts.
  std::vector<RankPid> all = ReadRankPids(pids_file);
  ASSERT_EQ(all.size(), 8u) << "4 ranks per attempt, each once: " << ReadFile(pids_file);
  std::vector<int> silent;
  for (const auto& rp : all)
    if (rp.attempt == 2 && rp.node == "node-1") silent.push_back(rp.rank);
  std::sort(silent.begin(), silent.end());
  ASSERT_EQ(silent.size(), 2u) << ReadFile(pids_file);
  const std::string detail = job.value("reason_detail", "");
  EXPECT_TRUE(Contains(detail, "start barrier timed out after 3s")) << detail;
  EXPECT_TRUE(Contains(
      detail, "ranks " + std::to_string(silent[0]) + "," + std::to_string(silent[1]) + " never started"))
      << detail;
  EXPECT_TRUE(Contains(detail, "no restarts left")) << detail;
  EXPECT_FALSE(Contains(ReadFile(cluster().AgentLog(1)), "refusing to reserve job " + id_text))
      << cluster().Diagnostics();

  // Torn down everywhere: the reported ranks on node-0 and the running but
  // unreported ones on node-1, of both attempts.
  for (const auto& rp : all)
    EXPECT_TRUE(WaitForProcessGone(rp.pid, Millis(10000)))
        << rp.node << " rank " << rp.rank << " attempt " << rp.attempt << " still runs";
  EXPECT_TRUE(PollUntil([&] { return AllGpusFree(cluster(), 2); }, Millis(10000)))
      << cluster().Nodes().dump(2);
}

// The wait for unreported ranks after a barrier timeout is bounded: raw-1,
// a hand-driven agent, takes the commit and then says nothing, not even to
// KillJob (as a node whose launcher hangs, or that lost the commit, would).
// musterd waits the job's grace period plus 5 s for exits that never come,
// then frees the GPUs and ends the attempt (here: FAILED, no restarts).
// One real agent with 1 GPU beside a hand-driven one (raw-1) that sends no
// heartbeats, so a long heartbeat timeout keeps it UP.
class RawNodeClusterTest : public ClusterTest {
 protected:
  virtual std::vector<std::string> MusterdArgs() const { return {}; }
  ClusterOptions Options() const override {
    ClusterOptions o;
    o.agents = 1;
    o.gpus_per_agent = 1;
    o.heartbeat_timeout = "30s";
    o.musterd_args = MusterdArgs();
    return o;
  }
  // raw-1: one GPU, nothing running.
  static wire::Register RawNodeRegister() {
    wire::Register reg;
    reg.node.name = "raw-1";
    reg.node.gpus.resize(1);
    return reg;
  }
  // Registers raw-1 and waits until both nodes are UP.
  void RegisterRawNode(RawAgent& raw, const wire::Register& reg) {
    raw.Send(reg);
    ASSERT_TRUE(raw.ReceiveA<wire::RegisterReply>(Millis(5000)));
    ASSERT_TRUE(cluster().WaitForNodesUp(2)) << cluster().Nodes().dump(2);
  }
};

class IntegrationStartBarrierSilentNode : public RawNodeClusterTest {
 protected:
  std::vector<std::string> MusterdArgs() const override { return {"--start-timeout", "2s"}; }
};

TEST_F(IntegrationStartBarrierSilentNode, UnreportedRanksAreWaitedForOnlyGracePlusAMargin) {
  RawAgent raw(cluster().endpoint());
  const wire::Register reg = RawNodeRegister();
  ASSERT_NO_FATAL_FAILURE(RegisterRawNode(raw, reg));

  const std::string pids_file = cluster().Scratch("pids");
  int64_t id =
      cluster().Submit({"--nodes", "2", "--gpus-per-node", "1", "--max-restarts", "0", "--grace", "1s"},
                       Sh(RecordRank(pids_file) + "exec sleep 300"));
  auto reserve = raw.ReceiveA<wire::ReserveRanks>(Millis(10000));
  ASSERT_TRUE(reserve) << cluster().Diagnostics();
  ASSERT_EQ(reserve->launch.ranks.size(), 1u);
  const int raw_rank = reserve->launch.ranks[0].rank;
  raw.Send(wire::Reserved{reserve->launch.job, reserve->launch.attempt, true, ""});
  ASSERT_TRUE(raw.ReceiveA<wire::CommitRanks>(Millis(5000))) << cluster().Diagnostics();
  std::vector<RankPid> ranks;
  ASSERT_TRUE(PollUntil([&] { return (ranks = ReadRankPids(pids_file)).size() == 1; }, Millis(10000)))
      << ReadFile(pids_file);
  const auto committed = std::chrono::steady_clock::now();

  // raw-1 is told to kill its rank, and never answers.
  ASSERT_TRUE(raw.ReceiveA<wire::KillJob>(Millis(10000))) << "no KillJob for the silent node";
  Json job = cluster().WaitForJob(
      id, [](const Json& j) { return IsFinalState(j.value("state", "")); }, Millis(20000));
  ASSERT_EQ(job.value("state", ""), "FAILED") << job.dump(2) << cluster().Diagnostics();
  // 2 s barrier (from the launch, a little before `committed`) + 1 s grace
  // + 5 s margin; without the wait it would end about 2 s after the launch.
  EXPECT_GE(std::chrono::steady_clock::now() - committed, std::chrono::milliseconds(6000))
      << "musterd did not wait for the unreported rank's exit";
  const std::string detail = job.value("reason_detail", "");
  EXPECT_TRUE(Contains(
      detail, "start barrier timed out after 2s: rank " + std::to_string(raw_rank) + " never started"))
      << detail;
  EXPECT_TRUE(Contains(detail, "no restarts left")) << detail;
  EXPECT_TRUE(WaitForProcessGone(ranks[0].pid, Millis(10000))) << "node-0's rank still runs";
  EXPECT_TRUE(PollUntil([&] { return AllGpusFree(cluster(), 1); }, Millis(10000)))
      << cluster().Nodes().dump(2);
}

// Item 3: musterd is killed -9 while a committed gang (gang_phase 2) is in
// its start barrier; restarted on the same state dir, it finishes the gang
// rather than rolling it back: the agents report the ranks they kept
// running, the job becomes RUNNING on the same placement, and their
// completion is recorded. No rank runs twice, nothing is requeued.
class IntegrationCommittedGangRecovery : public GangStartBarrierTest {};

TEST_F(IntegrationCommittedGangRecovery, Kill9DuringTheStartBarrierKeepsTheCommittedGang) {
  const std::string pids_file = cluster().Scratch("pids");
  const std::string go_file = cluster().Scratch("go");
  int64_t id = cluster().Submit({"--nodes", "2", "--gpus-per-node", "2", "--max-restarts", "1"},
                                Sh(RecordRank(pids_file) + WaitForFile(go_file) + "echo done; exit 0"));
  const std::string id_text = std::to_string(id);

  std::vector<RankPid> ranks = AwaitCommittedGang(pids_file, id_text);
  ASSERT_EQ(ranks.size(), 4u);
  Json before = cluster().Show(id);
  ASSERT_EQ(before.value("state", ""), "STARTING") << before.dump(2);

  cluster().KillMusterd();
  cluster().RestartMusterd();

  // The re-registering agents report all four ranks running: the barrier
  // completes with the ranks of the first launch, not new ones.
  Json job = cluster().WaitForJobState(id, "RUNNING", Millis(15000));
  ASSERT_EQ(job.value("state", ""), "RUNNING") << job.dump(2) << cluster().Diagnostics();
  EXPECT_EQ(job["attempt"], 1) << job.dump(2);
  EXPECT_EQ(job["restarts"], 0) << job.dump(2);
  EXPECT_EQ(job["placement"], before["placement"]) << job.dump(2);
  for (const auto& rp : ranks) EXPECT_TRUE(IsProcessAlive(rp.pid)) << rp.node << " rank " << rp.rank;
  EXPECT_EQ(ReadRankPids(pids_file).size(), 4u) << "a rank was started again: " << ReadFile(pids_file);

  Touch(go_file);
  job = cluster().WaitForJobState(id, "COMPLETED", Millis(15000));
  ASSERT_EQ(job.value("state", ""), "COMPLETED") << job.dump(2) << cluster().Diagnostics();
  EXPECT_EQ(job["exit_code"], 0) << job.dump(2);
  EXPECT_EQ(job["restarts"], 0) << job.dump(2);
  EXPECT_EQ(job["attempt"], 1) << job.dump(2);
  EXPECT_EQ(ReadRankPids(pids_file).size(), 4u) << ReadFile(pids_file);
  for (int r = 0; r < 4; ++r) {
    CommandResult logs = cluster().Cli({"logs", id_text, "--rank", std::to_string(r)});
    EXPECT_EQ(logs.exit_code, 0) << logs.Describe();
    EXPECT_EQ(CountOf(logs.out, "done"), 1u) << "rank " << r << ": " << logs.out;
  }
  EXPECT_TRUE(PollUntil([&] { return AllGpusFree(cluster(), 2); }, Millis(10000)))
      << cluster().Nodes().dump(2);
}

// Item 3, the other half: musterd is killed -9 after it persisted the
// commit but before one node got its CommitRanks. That node is raw-1, an
// agent driven by hand (raw_agent.h) that drops the first CommitRanks as if
// it was lost with the crash. The restarted musterd finds gang_phase =
// committed on disk; when raw-1 re-registers still holding the reservation,
// musterd sends CommitRanks again and the gang finishes on its first
// attempt, node-0's rank never restarted.
class IntegrationCommitRecovery : public RawNodeClusterTest {};

TEST_F(IntegrationCommitRecovery, Kill9BeforeTheCommitReachedANodeFinishesTheCommit) {
  RawAgent raw(cluster().endpoint());
  const wire::Register reg = RawNodeRegister();
  ASSERT_NO_FATAL_FAILURE(RegisterRawNode(raw, reg));

  const std::string pids_file = cluster().Scratch("pids");
  const std::string go_file = cluster().Scratch("go");
  int64_t id = cluster().Submit({"--nodes", "2", "--gpus-per-node", "1", "--max-restarts", "1"},
                                Sh(RecordRank(pids_file) + WaitForFile(go_file) + "echo done; exit 0"));
  auto reserve = raw.ReceiveA<wire::ReserveRanks>(Millis(10000));
  ASSERT_TRUE(reserve) << cluster().Diagnostics();
  ASSERT_EQ(reserve->launch.job, static_cast<JobId>(id));
  ASSERT_EQ(reserve->launch.attempt, 1);
  ASSERT_EQ(reserve->launch.ranks.size(), 1u);
  const wire::RankRef raw_rank{reserve->launch.job, 1, reserve->launch.ranks[0].rank};
  raw.Send(wire::Reserved{raw_rank.job, 1, true, ""});
  // musterd sends CommitRanks only once the commit is on disk; raw-1 drops it.
  auto commit = raw.ReceiveA<wire::CommitRanks>(Millis(5000));
  ASSERT_TRUE(commit) << cluster().Diagnostics();
  EXPECT_EQ(commit->gang, (wire::GangRef{raw_rank.job, 1}));
  // node-0 got its commit: its rank runs, and the gang waits for raw-1's.
  std::vector<RankPid> ranks;
  ASSERT_TRUE(PollUntil([&] { return (ranks = ReadRankPids(pids_file)).size() == 1; }, Millis(10000)))
      << ReadFile(pids_file) << cluster().Diagnostics();
  ASSERT_EQ(ranks[0].node, "node-0");
  ASSERT_EQ(cluster().Show(id).value("state", ""), "STARTING");

  cluster().KillMusterd();
  cluster().RestartMusterd();

  // raw-1 comes back still holding the reservation: the commit is finished.
  wire::Register again = reg;
  again.reserved = {{raw_rank.job, 1}};
  raw.Send(again);
  std::optional<wire::CommitRanks> recommit = raw.ReceiveA<wire::CommitRanks>(Millis(10000));
  ASSERT_TRUE(recommit) << "the restarted musterd did not finish the commit: " << cluster().Diagnostics();
  EXPECT_EQ(recommit->gang, (wire::GangRef{raw_rank.job, 1}));
  raw.Send(wire::RankStarted{raw_rank, 424242});

  Json job = cluster().WaitForJobState(id, "RUNNING", Millis(15000));
  ASSERT_EQ(job.value("state", ""), "RUNNING") << job.dump(2) << cluster().Diagnostics();
  EXPECT_EQ(job["attempt"], 1) << job.dump(2);
  EXPECT_EQ(job["restarts"], 0) << job.dump(2);
  EXPECT_TRUE(IsProcessAlive(ranks[0].pid)) << "node-0's rank did not survive the restart";

  Touch(go_file);
  raw.Send(wire::RankExited{wire::RankExit{raw_rank, 0, 0, false, ""}});
  job = cluster().WaitForJobState(id, "COMPLETED", Millis(15000));
  ASSERT_EQ(job.value("state", ""), "COMPLETED") << job.dump(2) << cluster().Diagnostics();
  EXPECT_EQ(job["exit_code"], 0) << job.dump(2);
  EXPECT_EQ(job["restarts"], 0) << job.dump(2);
  EXPECT_EQ(job["attempt"], 1) << job.dump(2);
  EXPECT_EQ(ReadRankPids(pids_file).size(), 1u) << "node-0's rank ran twice: " << ReadFile(pids_file);
  EXPECT_TRUE(PollUntil([&] { return AllGpusFree(cluster(), 1); }, Millis(10000)))
      << cluster().Nodes().dump(2);
}

// Item 4: a commit that reaches a node after its reservation expired.
// node-0 keeps reservations 1 s (--reserve-ttl-ms); node-1 is frozen so it
// answers ReserveRanks only after that, and musterd commits a gang whose
// node-0 part is gone. node-0 answers the commit with a refusal and musterd
// requeues the gang at once (NODE_FAIL, a restart counted), instead of
// waiting out its 60 s start barrier; the second attempt runs.
class IntegrationLateCommit : public ClusterTest {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o;
    o.agents = 2;
    o.gpus_per_agent = 1;
    o.heartbeat_timeout = "30s";  // the frozen node stays UP
    o.agent_args = {{"--reserve-ttl-ms", "1000"}, {}};
    o.musterd_args = {"--start-timeout", "60s", "--reserve-timeout", "30s"};
    return o;
  }
  void TearDown() override {
    if (stopped_ > 0) kill(stopped_, SIGCONT);
    ClusterTest::TearDown();
  }
  pid_t stopped_ = -1;
};

TEST_F(IntegrationLateCommit, ACommitAfterTheReservationExpiredRequeuesTheGangAtOnce) {
  stopped_ = cluster().agent(1)->pid();
  ASSERT_EQ(kill(stopped_, SIGSTOP), 0);
  const std::string pids_file = cluster().Scratch("pids");
  int64_t id = cluster().Submit(
      {"--nodes", "2", "--gpus-per-node", "1", "--max-restarts", "1", "--grace", "1s"},
      Sh(RecordRank(pids_file) + "if [ \"$MUSTER_ATTEMPT\" = 1 ]; then exec sleep 300; fi; exit 0"));
  const std::string id_text = std::to_string(id);

  // node-0 reserves attempt 1, then drops it: node-1 has not answered.
  ASSERT_TRUE(PollUntil(
      [&] {
        return Contains(ReadFile(cluster().AgentLog(0)), "dropped the reservation of job " + id_text +
                                                             " attempt 1: not committed within 1000 ms");
      },
      Millis(10000)))
      << cluster().Diagnostics();
  Json job = cluster().Show(id);
  ASSERT_EQ(job.value("state", ""), "STARTING") << job.dump(2);

  ASSERT_EQ(kill(stopped_, SIGCONT), 0);
  stopped_ = -1;
  const auto resumed = std::chrono::steady_clock::now();

  // Far below the 60 s start barrier: requeued at once, then run.
  job = cluster().WaitForJob(
      id, [](const Json& j) { return IsFinalState(j.value("state", "")); }, Millis(20000));
  ASSERT_EQ(job.value("state", ""), "COMPLETED") << job.dump(2) << cluster().Diagnostics();
  EXPECT_LT(std::chrono::steady_clock::now() - resumed, std::chrono::seconds(20));
  EXPECT_EQ(job["restarts"], 1) << job.dump(2);
  EXPECT_EQ(job["attempt"], 2) << job.dump(2);
  EXPECT_EQ(job["exit_code"], 0) << job.dump(2);

  // Why, as node-0 and musterd logged it.
  EXPECT_TRUE(
      Contains(ReadFile(cluster().AgentLog(0)), "refusing the commit of job " + id_text + " attempt 1"))
      << cluster().Diagnostics();
  EXPECT_TRUE(Contains(ReadFile(cluster().musterd_log()),
                       "node node-0 could not start its ranks: the reservation expired before the commit"))
      << cluster().Diagnostics();

  // Attempt 1 never ran on node-0; what ran of it on node-1 is gone; attempt
  // 2 ran once per node.
  std::vector<RankPid> all = ReadRankPids(pids_file);
  int second = 0;
  for (const auto& rp : all) {
    if (rp.attempt == 2) ++second;
    if (rp.attempt != 1) continue;
    EXPECT_NE(rp.node, "node-0") << "a rank started from an expired reservation: " << ReadFile(pids_file);
    EXPECT_TRUE(WaitForProcessGone(rp.pid, Millis(10000)))
        << rp.node << " rank " << rp.rank << " of attempt 1";
  }
  EXPECT_EQ(second, 2) << ReadFile(pids_file);
  EXPECT_TRUE(PollUntil([&] { return AllGpusFree(cluster(), 1); }, Millis(10000)))
      << cluster().Nodes().dump(2);
}

// A job on one node waits for nobody: its node gets the reservation and the
// commit together, so it starts without a round trip. The node still checks
// its GPUs first, and a refusal requeues the job at once.
class IntegrationOneNodeStart : public RawNodeClusterTest {};

TEST_F(IntegrationOneNodeStart, ItsNodeGetsReserveAndCommitTogetherAndARefusalRequeuesIt) {
  RawAgent raw(cluster().endpoint());
  wire::Register reg = RawNodeRegister();
  reg.node.gpus.resize(2);  // the only node a 2-GPU job fits on
  reg.node.gpus[1].index = 1;
  ASSERT_NO_FATAL_FAILURE(RegisterRawNode(raw, reg));

  const JobId id = static_cast<JobId>(cluster().Submit({"--gpus", "2", "--max-restarts", "1"}, Sh("true")));
  auto reserve = raw.ReceiveA<wire::ReserveRanks>(Millis(10000));
  ASSERT_TRUE(reserve) << cluster().Diagnostics();
  EXPECT_EQ(reserve->launch.job, id);
  // Unanswered, and the commit comes anyway.
  auto commit = raw.ReceiveA<wire::CommitRanks>(Millis(5000));
  ASSERT_TRUE(commit) << cluster().Diagnostics();
  EXPECT_EQ(commit->gang, (wire::GangRef{id, reserve->launch.attempt}));

  // The node refuses, as an agent whose GPU is still busy would.
  raw.Send(wire::Reserved{id, reserve->launch.attempt, false, "GPU 1 is in use by job 99"});
  auto again = raw.ReceiveA<wire::ReserveRanks>(Millis(10000));
  ASSERT_TRUE(again) << cluster().Diagnostics();
  EXPECT_EQ(again->launch.job, id);
  EXPECT_EQ(again->launch.attempt, reserve->launch.attempt + 1);
  EXPECT_TRUE(Contains(ReadFile(cluster().musterd_log()),
                       "node raw-1 could not start its ranks: GPU 1 is in use by job 99"))
      << cluster().Diagnostics();
}

// `muster logs` of a job whose node has no log for it yet (the start was
// refused or lost, the job goes back to the queue) shows nothing so far; it
// is not an error while the job is not over.
TEST_F(IntegrationOneNodeStart, LogsOfAJobWhoseNodeHasNoLogYetAreEmptyNotAnError) {
  RawAgent raw(cluster().endpoint());
  wire::Register reg = RawNodeRegister();
  reg.node.gpus.resize(2);
  reg.node.gpus[1].index = 1;
  ASSERT_NO_FATAL_FAILURE(RegisterRawNode(raw, reg));
  int64_t id = cluster().Submit({"--gpus", "2"}, Sh("true"));
  ASSERT_TRUE(raw.ReceiveA<wire::CommitRanks>(Millis(10000))) << cluster().Diagnostics();

  auto logs = std::async(std::launch::async, [&] { return cluster().Cli({"logs", std::to_string(id)}); });
  uint64_t rid = 0;
  auto read = raw.ReceiveA<wire::ReadLog>(Millis(10000), &rid);
  ASSERT_TRUE(read) << cluster().Diagnostics();
  EXPECT_EQ(read->job, id);
  raw.Reply(rid, wire::Error{wire::ErrorCode::kNotFound, "no log for job " + std::to_string(id) + " rank 0"});
  CommandResult r = logs.get();
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "") << r.Describe();
}

}  // namespace
}  // namespace muster::testing
