// agent/core: rank bookkeeping and rank environments, pure.
#include <gtest/gtest.h>

#include <algorithm>

#include "agent/core/rank_env.h"
#include "agent/core/rank_table.h"

namespace muster::agent {
namespace {

wire::RankRef Ref(JobId job, int32_t attempt, int32_t rank) { return {job, attempt, rank}; }

wire::RankExit Exit(const wire::RankRef& ref, int32_t code) {
  wire::RankExit e;
  e.ref = ref;
  e.exit_code = code;
  return e;
}

TEST(RankTableTest, TracksRunningRanksByPidAndRef) {
  RankTable t;
  t.AddRunning(Ref(7, 1, 0), 100);
  t.AddRunning(Ref(7, 1, 1), 101);
  t.AddRunning(Ref(8, 2, 0), 200);
  EXPECT_EQ(t.running_count(), 3u);
  ASSERT_NE(t.FindByPid(101), nullptr);
  EXPECT_EQ(t.FindByPid(101)->ref, Ref(7, 1, 1));
  EXPECT_EQ(t.FindByPid(101)->phase, RankPhase::kRunning);
  ASSERT_NE(t.Find(Ref(8, 2, 0)), nullptr);
  EXPECT_EQ(t.Find(Ref(8, 2, 0))->pid, 200);
  EXPECT_EQ(t.FindByPid(999), nullptr);

  EXPECT_TRUE(t.JobHasRanks(7));
  EXPECT_TRUE(t.JobHasRanks(8));
  EXPECT_FALSE(t.JobHasRanks(6));
  EXPECT_FALSE(t.JobHasRanks(9));

  auto gone = t.OnProcessExit(100);
  ASSERT_TRUE(gone.has_value());
  EXPECT_EQ(gone->ref, Ref(7, 1, 0));
  EXPECT_FALSE(t.OnProcessExit(100).has_value()) << "an exit is reported once";
  EXPECT_FALSE(t.OnProcessExit(4242).has_value()) << "not a rank";
  EXPECT_EQ(t.Find(Ref(7, 1, 0)), nullptr);

  auto refs = t.RunningRefs();
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0], Ref(7, 1, 1));
  EXPECT_EQ(refs[1], Ref(8, 2, 0));
  t.OnProcessExit(101);
  EXPECT_FALSE(t.JobHasRanks(7));
}

TEST(RankTableTest, DuplicateLaunchesAreDetectedEvenAfterTheRanksAreGone) {
  RankTable t;
  EXPECT_FALSE(t.IsDuplicateLaunch(7, 1));
  t.NoteLaunch(7, 1);
  t.AddRunning(Ref(7, 1, 0), 100);
  EXPECT_TRUE(t.IsDuplicateLaunch(7, 1));
  EXPECT_FALSE(t.IsDuplicateLaunch(7, 2)) << "a new attempt is a new launch";
  EXPECT_FALSE(t.IsDuplicateLaunch(8, 1));
  t.OnProcessExit(100);
  t.AddUnacked(Exit(Ref(7, 1, 0), 0), 0);
  t.Ack(Ref(7, 1, 0));
  EXPECT_TRUE(t.IsDuplicateLaunch(7, 1)) << "finished and acknowledged, still remembered";

  // Ranks known only from elsewhere (running or unacked) also count.
  RankTable u;
  u.AddRunning(Ref(3, 1, 0), 50);
  u.AddUnacked(Exit(Ref(4, 1, 0), 1), 0);
  EXPECT_TRUE(u.IsDuplicateLaunch(3, 1));
  EXPECT_TRUE(u.IsDuplicateLaunch(4, 1));
}

TEST(RankTableTest, LaunchMemoryIsBounded) {
  RankTable t;
  for (JobId j = 1; j <= RankTable::kLaunchMemory + 1; ++j) t.NoteLaunch(j, 1);
  EXPECT_FALSE(t.IsDuplicateLaunch(1, 1)) << "the oldest is forgotten";
  EXPECT_TRUE(t.IsDuplicateLaunch(2, 1));
  EXPECT_TRUE(t.IsDuplicateLaunch(RankTable::kLaunchMemory + 1, 1));
}

TEST(RankTableTest, TerminateJobSignalsOnceAndKillsAfterGrace) {
  RankTable t;
  t.AddRunning(Ref(7, 1, 0), 100);
  t.AddRunning(Ref(7, 1, 1), 101);
  t.AddRunning(Ref(7, 2, 0), 102);  // another attempt
  t.AddRunning(Ref(8, 1, 0), 200);

  auto term = t.TerminateJob(7, 1, /*now=*/1000, /*grace=*/500);
  std::sort(term.begin(), term.end());
  EXPECT_EQ(term, (std::vector<int32_t>{100, 101}));
  EXPECT_EQ(t.FindByPid(100)->phase, RankPhase::kTerminating);
  EXPECT_EQ(t.FindByPid(102)->phase, RankPhase::kRunning);
  EXPECT_EQ(t.NextKillDeadline(), 1500);

  // A second KillJob does not SIGTERM again; a shorter grace moves the deadline up.
  EXPECT_TRUE(t.TerminateJob(7, 1, 1100, 5000).empty());
  EXPECT_EQ(t.NextKillDeadline(), 1500);
  EXPECT_TRUE(t.TerminateJob(7, 1, 1100, 100).empty());
  EXPECT_EQ(t.NextKillDeadline(), 1200);

  EXPECT_TRUE(t.TakeDueKills(1199).empty());
  auto kills = t.TakeDueKills(1200);
  std::sort(kills.begin(), kills.end());
  EXPECT_EQ(kills, (std::vector<int32_t>{100, 101}));
  EXPECT_TRUE(t.TakeDueKills(5000).empty()) << "SIGKILL is sent once";
  EXPECT_EQ(t.FindByPid(100)->phase, RankPhase::kKilled);
  EXPECT_FALSE(t.NextKillDeadline().has_value());

  // Attempt 0 means every attempt.
  EXPECT_EQ(t.TerminateJob(7, 0, 2000, 0), (std::vector<int32_t>{102}));
  EXPECT_EQ(t.TakeDueKills(2000), (std::vector<int32_t>{102}));
  EXPECT_TRUE(t.TerminateJob(99, 0, 2000, 0).empty()) << "unknown job: nothing to do";
  EXPECT_EQ(t.FindByPid(200)->phase, RankPhase::kRunning);
}

TEST(RankTableTest, TerminateRankCanSilenceTheExitReport) {
  RankTable t;
  t.AddRunning(Ref(7, 1, 0), 100);
  t.AddRunning(Ref(7, 1, 1), 101);
  EXPECT_EQ(t.TerminateRank(Ref(7, 1, 0), 0, 100, /*report_exit=*/false), (std::vector<int32_t>{100}));
  EXPECT_TRUE(t.TerminateRank(Ref(7, 1, 5), 0, 100, false).empty());
  EXPECT_FALSE(t.FindByPid(100)->report_exit);
  EXPECT_TRUE(t.FindByPid(101)->report_exit);
  auto all = t.TerminateAll(0, 100);
  EXPECT_EQ(all, (std::vector<int32_t>{101}));
}

TEST(RankTableTest, UnackedExitsAreResentUntilAcked) {
  RankTable t;
  t.AddUnacked(Exit(Ref(7, 1, 0), 3), /*now=*/1000);
  t.AddUnacked(Exit(Ref(7, 1, 1), 4), 1500);
  EXPECT_EQ(t.Unacked().size(), 2u);
  EXPECT_EQ(t.NextResend(2000), 3000);

  EXPECT_TRUE(t.TakeDueResends(2999, 2000).empty());
  auto due = t.TakeDueResends(3000, 2000);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].exit_code, 3);
  EXPECT_EQ(t.NextResend(2000), 3500);
  due = t.TakeDueResends(3500, 2000);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].exit_code, 4);

  EXPECT_TRUE(t.Ack(Ref(7, 1, 0)));
  EXPECT_FALSE(t.Ack(Ref(7, 1, 0))) << "a duplicate ack";
  EXPECT_EQ(t.Unacked().size(), 1u);

  t.MarkAllSent(10000);  // sent inside a Register
  EXPECT_TRUE(t.TakeDueResends(11999, 2000).empty());
  EXPECT_EQ(t.TakeDueResends(12000, 2000).size(), 1u);
  t.Ack(Ref(7, 1, 1));
  EXPECT_FALSE(t.NextResend(2000).has_value());
}

// ---- RankEnvironment ----

std::string Get(const std::vector<std::string>& env, const std::string& name) {
  std::string found = "<unset>";
  int count = 0;
  for (const auto& e : env) {
    if (e.rfind(name + "=", 0) == 0) {
      found = e.substr(name.size() + 1);
      ++count;
    }
  }
  return count > 1 ? "<duplicate>" : found;
}

TEST(RankEnvTest, AgentThenJobThenRankVariables) {
  wire::LaunchRanks l;
  l.job = 42;
  l.env = {{"WORLD_SIZE", "4"}, {"MASTER_ADDR", "10.0.0.1"}, {"HOME", "/job/home"},
           {"RANK", "99"},      {"BAD=NAME", "x"},           {"", "y"}};
  l.ranks = {{2, 0, {1, 3}}, {3, 1, {0}}};
  l.node_rank = 1;
  l.local_world_size = 2;
  std::vector<std::string> agent = {"PATH=/usr/bin:/bin", "HOME=/agent/home", "garbage", "EMPTY="};
  auto env = RankEnvironment(agent, l, l.ranks[0]);
  EXPECT_EQ(Get(env, "PATH"), "/usr/bin:/bin");
  EXPECT_EQ(Get(env, "HOME"), "/job/home") << "the job's env overrides the agent's";
  EXPECT_EQ(Get(env, "EMPTY"), "");
  EXPECT_EQ(Get(env, "WORLD_SIZE"), "4");
  EXPECT_EQ(Get(env, "MASTER_ADDR"), "10.0.0.1");
  EXPECT_EQ(Get(env, "RANK"), "2") << "per-rank variables override the job's";
  EXPECT_EQ(Get(env, "LOCAL_RANK"), "0");
  EXPECT_EQ(Get(env, "NODE_RANK"), "1");
  EXPECT_EQ(Get(env, "LOCAL_WORLD_SIZE"), "2");
  EXPECT_EQ(Get(env, "CUDA_VISIBLE_DEVICES"), "1,3");
  EXPECT_EQ(Get(env, "CUDA_DEVICE_ORDER"), "PCI_BUS_ID");
  EXPECT_EQ(Get(env, "BAD"), "<unset>");
  for (const auto& e : env) EXPECT_NE(e.find('='), std::string::npos) << e;
  EXPECT_EQ(env.front(), "PATH=/usr/bin:/bin") << "order of first definition kept";

  auto env1 = RankEnvironment(agent, l, l.ranks[1]);
  EXPECT_EQ(Get(env1, "RANK"), "3");
  EXPECT_EQ(Get(env1, "LOCAL_RANK"), "1");
  EXPECT_EQ(Get(env1, "CUDA_VISIBLE_DEVICES"), "0");
}

TEST(RankEnvTest, DefaultsAndExplicitDeviceOrder) {
  wire::LaunchRanks l;
  l.job = 1;
  l.ranks = {{0, 0, {}}, {1, 1, {}}, {2, 2, {}}};
  l.local_world_size = 0;  // not given: the number of ranks here
  l.env = {{"CUDA_DEVICE_ORDER", "FASTEST_FIRST"}};
  auto env = RankEnvironment({}, l, l.ranks[2]);
  EXPECT_EQ(Get(env, "LOCAL_WORLD_SIZE"), "3");
  EXPECT_EQ(Get(env, "CUDA_VISIBLE_DEVICES"), "");
  EXPECT_EQ(Get(env, "CUDA_DEVICE_ORDER"), "FASTEST_FIRST") << "the job's choice is kept";
  EXPECT_EQ(JoinGpuIndices({0, 1, 7}), "0,1,7");
}

}  // namespace
}  // namespace muster::agent
