// The two-phase gang start (docs/protocol.md "Gang start") and the start
// barrier, through the whole service in one process: reserve on every node,
// commit only when all reserved, RUNNING only when every rank started, and
// never half a gang when a node refuses, stays silent, or a rank fails.
#include "tests/service/service_test_util.h"

namespace muster::testing {
namespace {

class GangStart : public ::testing::Test {
 protected:
  GangStart() {
    a_ = &h_.AddAgent("node-a", 2);
    b_ = &h_.AddAgent("node-b", 2);
  }
  Harness h_;
  FakeAgent* a_;
  FakeAgent* b_;
};

TEST_F(GangStart, EveryNodeReservesBeforeAnyCommits) {
  b_->behaviour().answer_reserve = false;
  JobId id = h_.Submit(GangSpec(2, 2));
  ASSERT_EQ(a_->Got<wire::ReserveRanks>().size(), 1u);
  ASSERT_EQ(b_->Got<wire::ReserveRanks>().size(), 1u);
  EXPECT_TRUE(a_->Got<wire::CommitRanks>().empty()) << "node-a committed before node-b reserved";
  EXPECT_EQ(JobStateName(h_.Show(id).state), std::string("STARTING"));
  EXPECT_EQ(h_.Show(id).gang_phase, GangPhase::kReserving);

  b_->Reserved(id, 1);
  h_.Settle();
  EXPECT_EQ(a_->Got<wire::CommitRanks>().size(), 1u);
  EXPECT_EQ(b_->Got<wire::CommitRanks>().size(), 1u);
  Job j = h_.Show(id);
  EXPECT_EQ(JobStateName(j.state), std::string("RUNNING"));
  EXPECT_EQ(j.gang_phase, GangPhase::kCommitted);
  EXPECT_EQ(j.attempt, 1);
}

TEST_F(GangStart, TheLaunchCarriesEveryRankAndTheGangEnvironment) {
  JobId id = h_.Submit(GangSpec(2, 2));
  auto reserve = b_->Got<wire::ReserveRanks>();
  ASSERT_EQ(reserve.size(), 1u);
  const wire::LaunchRanks& l = reserve[0].launch;
  EXPECT_EQ(l.job, id);
  EXPECT_EQ(l.node_rank, 1);
  EXPECT_EQ(l.local_world_size, 2);
  ASSERT_EQ(l.ranks.size(), 2u);
  EXPECT_EQ(l.ranks[0].rank, 2);
  EXPECT_EQ(l.ranks[1].rank, 3);
  EXPECT_EQ(l.ranks[1].local_rank, 1);
  EXPECT_EQ(l.ranks[1].gpus.size(), 1u);
  auto env = [&](const std::string& name) {
    for (const auto& v : l.env)
      if (v.name == name) return v.value;
    return std::string("<unset>");
  };
  EXPECT_EQ(env("WORLD_SIZE"), "4");
  EXPECT_EQ(env("NNODES"), "2");
  EXPECT_EQ(env("MUSTER_JOB_ID"), std::to_string(id));
  EXPECT_EQ(env("MUSTER_ATTEMPT"), "1");
  EXPECT_EQ(env("MUSTER_RDZV"), "inproc://musterd");
  EXPECT_EQ(env("MASTER_PORT"), "29500");
  EXPECT_EQ(env("MUSTER_CHECKPOINT_DIR"), h_.options().state_dir + "/checkpoints/" + std::to_string(id));
}

TEST_F(GangStart, AOneNodeJobGetsReserveAndCommitTogether) {
  JobId id = h_.Submit(Spec(2));
  const auto& got = (a_->Got<wire::ReserveRanks>().empty() ? b_ : a_)->received();
  ASSERT_GE(got.size(), 3u);  // RegisterReply, ReserveRanks, CommitRanks
  EXPECT_TRUE(std::holds_alternative<wire::ReserveRanks>(got[got.size() - 2].body));
  EXPECT_TRUE(std::holds_alternative<wire::CommitRanks>(got[got.size() - 1].body));
  EXPECT_EQ(JobStateName(h_.Show(id).state), std::string("RUNNING"));
}

TEST_F(GangStart, ANodeRefusingTheReservationRequeuesTheGangAndAbortsTheOther) {
  b_->behaviour().refuse_reserve = "GPU 1 is in use by job 99";
  a_->behaviour().answer_reserve = false;  // still holding when the refusal comes
  JobSpec spec = GangSpec(2, 2);
  spec.max_restarts = 0;
  JobId id = h_.Submit(spec);
  ASSERT_EQ(a_->Got<wire::AbortRanks>().size(), 1u) << "node-a's reservation must be rolled back";
  EXPECT_EQ(a_->Got<wire::CommitRanks>().size(), 0u);
  Job j = h_.Show(id);
  EXPECT_EQ(JobStateName(j.state), std::string("FAILED"));
  EXPECT_TRUE(
      Contains(j.reason_detail, "node node-b refused the gang reservation: GPU 1 is in use by job 99"))
      << j.reason_detail;
  EXPECT_EQ(FreeGpus(h_, "node-a"), 2);
}

TEST_F(GangStart, ARefusedReservationIsRetriedAsANewAttempt) {
  b_->behaviour().refuse_reserve = "busy";
  JobId id = h_.Submit(GangSpec(2, 2));
  b_->behaviour().refuse_reserve.clear();
  h_.Settle();
  Job j = h_.Show(id);
  EXPECT_GE(j.restarts, 1);
  // Each attempt is reserved anew; the refused ones never committed.
  for (const auto& c : a_->Got<wire::CommitRanks>()) EXPECT_EQ(c.gang.attempt, j.attempt);
  EXPECT_TRUE(Contains(Causes(h_.History(id)), "refused the gang reservation: busy"));
}

TEST_F(GangStart, ASilentNodeTimesTheReservationOutAndTheGangIsRequeued) {
  b_->behaviour().answer_reserve = false;
  JobId id = h_.Submit(GangSpec(2, 2));
  h_.Advance(h_.options().reserve_timeout - kSecond);
  EXPECT_EQ(a_->Got<wire::AbortRanks>().size(), 0u);
  b_->behaviour().answer_reserve = true;  // the next attempt may start
  h_.Advance(2 * kSecond);
  EXPECT_EQ(a_->Got<wire::AbortRanks>().size(), 1u);
  EXPECT_EQ(b_->Got<wire::AbortRanks>().size(), 1u);
  std::string causes = Causes(h_.History(id));
  EXPECT_TRUE(Contains(causes, "gang reservation timed out after 10s: node node-b did not answer")) << causes;
  EXPECT_TRUE(Contains(causes, "requeued (restart 1 of 3)")) << causes;
  EXPECT_EQ(JobStateName(h_.Show(id).state), std::string("RUNNING"));
  EXPECT_EQ(h_.Show(id).attempt, 2);
}

TEST_F(GangStart, AReservedAnswerForAnAttemptThatIsOverIsAborted) {
  b_->behaviour().answer_reserve = false;
  JobId id = h_.Submit(GangSpec(2, 2));
  h_.Call(wire::CancelJob{id});
  b_->ClearReceived();
  b_->Reserved(id, 1);  // late
  h_.Settle();
  auto aborts = b_->Got<wire::AbortRanks>();
  ASSERT_EQ(aborts.size(), 1u);
  EXPECT_EQ(aborts[0].gang.job, id);
  EXPECT_EQ(aborts[0].gang.attempt, 1);
}

TEST_F(GangStart, ACommitThatFindsTheReservationExpiredRequeuesAtOnce) {
  b_->behaviour().answer_reserve = false;
  JobId id = h_.Submit(GangSpec(2, 2));
  b_->Reserved(id, 1);
  b_->Forget();  // its reservation expired before the commit came
  h_.Settle();   // the fake answers the commit with Reserved{ok = false}
  std::string causes = Causes(h_.History(id));
  EXPECT_TRUE(Contains(causes, "node node-b could not start its ranks")) << causes;
  EXPECT_TRUE(Contains(causes, "requeued")) << causes;
  // node-a's ranks of attempt 1 were started and are killed.
  auto kills = a_->Got<wire::KillJob>();
  ASSERT_FALSE(kills.empty());
  EXPECT_EQ(kills[0].attempt, 1);
}

TEST_F(GangStart, TheStartBarrierTimesOutWhenARankNeverReportsAndNoHalfGangRuns) {
  b_->behaviour().start_on_commit = false;  // node-b's ranks run but are never reported
  JobSpec spec = GangSpec(2, 2);
  spec.grace_seconds = 1;
  JobId id = h_.Submit(spec);
  EXPECT_EQ(JobStateName(h_.Show(id).state), std::string("STARTING"));
  b_->behaviour().start_on_commit = true;
  h_.Advance(h_.options().start_timeout + kSecond);
  auto kills_b = b_->Got<wire::KillJob>();
  ASSERT_EQ(kills_b.size(), 1u) << "node-b's unreported ranks must be killed too";
  EXPECT_EQ(kills_b[0].attempt, 1);
  // node-b never reports its ranks' exits: musterd waits grace + a margin, then frees the GPUs.
  EXPECT_EQ(FreeGpus(h_, "node-b"), 0);
  h_.Advance(7 * kSecond);
  std::string causes = Causes(h_.History(id));
  EXPECT_TRUE(Contains(causes, "start barrier timed out after 2m: ranks 2,3 never started")) << causes;
  Job j = h_.Show(id);
  EXPECT_EQ(j.attempt, 2) << causes;
  EXPECT_EQ(JobStateName(j.state), std::string("RUNNING"));
}

TEST_F(GangStart, ARankFailingInTheBarrierFailsTheWholeGangWithItsExitCode) {
  b_->behaviour().start_on_commit = false;
  JobSpec spec = GangSpec(2, 2);
  spec.max_restarts = 3;
  JobId id = h_.Submit(spec);
  a_->ExitRank(a_->Running(id)[1], 5);
  h_.Settle();
  // node-b's ranks were never reported started; they report their exit when killed.
  for (const auto& l : b_->Got<wire::ReserveRanks>())
    for (const auto& r : l.launch.ranks) b_->ExitRank({id, 1, r.rank}, 0, 15);
  h_.Settle();
  Job j = h_.Show(id);
  EXPECT_EQ(JobStateName(j.state), std::string("FAILED"));
  EXPECT_EQ(j.exit_code, 5);
  EXPECT_EQ(j.restarts, 0) << "a rank failure is the job's failure, not a node's";
  EXPECT_EQ(States(h_.History(id)).find("RUNNING"), std::string::npos) << "never RUNNING with half a gang";
  EXPECT_EQ(FreeGpus(h_, "node-a"), 2);
  EXPECT_EQ(FreeGpus(h_, "node-b"), 2);
}

TEST_F(GangStart, ARankStartedReportOfAnOldAttemptIsAnsweredWithAKill) {
  JobId id = h_.Submit(GangSpec(2, 2));
  b_->ClearReceived();
  b_->peer().Send(wire::RankStarted{{id, 7, 0}, 1234});
  h_.Settle();
  auto kills = b_->Got<wire::KillJob>();
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].attempt, 7);
  EXPECT_EQ(kills[0].grace_ms, 0);
  EXPECT_EQ(h_.Show(id).attempt, 1);
}

TEST_F(GangStart, EveryRankExitingZeroCompletesTheJobAndFreesItsGpus) {
  JobId id = h_.Submit(GangSpec(2, 2));
  a_->Exit(id);
  h_.Settle();
  EXPECT_EQ(JobStateName(h_.Show(id).state), std::string("RUNNING")) << "half the ranks are still running";
  b_->Exit(id);
  h_.Settle();
  Job j = h_.Show(id);
  EXPECT_EQ(JobStateName(j.state), std::string("COMPLETED"));
  EXPECT_EQ(j.exit_code, 0);
  EXPECT_EQ(States(h_.History(id)), "PENDING STARTING RUNNING COMPLETED");
  EXPECT_EQ(FreeGpus(h_, "node-a"), 2);
}

}  // namespace
}  // namespace muster::testing
