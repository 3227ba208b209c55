// musterd restarts and agents re-register (docs/protocol.md
// "Registration and reconciliation"): what each node reports it runs, has
// reserved and saw exit is reconciled with what musterd expects there.
// Restart() is a crash: the new musterd loads what the last commit wrote.
#include "tests/service/service_test_util.h"

namespace muster::testing {
namespace {

class Reconcile : public ::testing::Test {
 protected:
  Reconcile() {
    a_ = &h_.AddAgent("node-a", 2);
    b_ = &h_.AddAgent("node-b", 2);
  }
  // Restart musterd; both agents register again reporting what they run.
  void RestartAndReregister() {
    h_.Restart();
    a_->Register(a_->AllRunning());
    b_->Register(b_->AllRunning());
    h_.Settle();
  }
  Harness h_;
  FakeAgent* a_;
  FakeAgent* b_;
};

TEST_F(Reconcile, ARunningGangSurvivesAMusterdRestartOnTheSameAttempt) {
  JobId id = h_.Submit(GangSpec(2, 2));
  ASSERT_EQ(JobStateName(h_.Show(id).state), std::string("RUNNING"));
  RestartAndReregister();
  Job j = h_.Show(id);
  EXPECT_EQ(JobStateName(j.state), std::string("RUNNING"));
  EXPECT_EQ(j.attempt, 1);
  EXPECT_EQ(j.restarts, 0);
  EXPECT_TRUE(a_->Got<wire::RegisterReply>().back().kill.empty());
  a_->Exit(id);
  b_->Exit(id);
  h_.Settle();
  EXPECT_EQ(JobStateName(h_.Show(id).state), std::string("COMPLETED"));
}

TEST_F(Reconcile, ARankTheNodeNoLongerRunsIsLostAndTheGangRequeued) {
  JobId id = h_.Submit(GangSpec(2, 2));
  h_.Restart();
  a_->Register(a_->AllRunning());
  b_->Forget();  // node-b came back without its ranks
  b_->Register();
  h_.Settle();
  std::string causes = Causes(h_.History(id));
  EXPECT_TRUE(Contains(causes, "was lost on node node-b")) << causes;
  EXPECT_TRUE(Contains(causes, "requeued (restart 1 of 3)")) << causes;
  // node-a's ranks of attempt 1 are killed: never half a gang.
  auto kills = a_->Got<wire::KillJob>();
  ASSERT_FALSE(kills.empty());
  EXPECT_EQ(kills.back().attempt, 1);
  EXPECT_EQ(h_.Show(id).attempt, 2);
}

TEST_F(Reconcile, RanksMusterdDoesNotKnowAreKilledAtRegistration) {
  h_.Restart();
  a_->Register({{77, 1, 0}, {78, 2, 3}});
  h_.Settle();
  auto reply = a_->Got<wire::RegisterReply>().back();
  ASSERT_EQ(reply.kill.size(), 2u);
  EXPECT_EQ(reply.kill[0].job, 77);
  EXPECT_EQ(reply.kill[1].job, 78);
}

TEST_F(Reconcile, ExitsThatHappenedWhileMusterdWasDownEndTheJobWithTheirCode) {
  JobSpec spec = Spec(1);
  JobId id = h_.Submit(spec);
  FakeAgent* node = a_->Running(id).empty() ? b_ : a_;
  wire::RankRef ref = node->Running(id)[0];
  h_.Restart();
  node->Forget();
  wire::RankExit x;
  x.ref = ref;
  x.exit_code = 7;
  node->Register({}, {x});
  (node == a_ ? b_ : a_)->Register();
  h_.Settle();
  Job j = h_.Show(id);
  EXPECT_EQ(JobStateName(j.state), std::string("FAILED"));
  EXPECT_EQ(j.exit_code, 7);
  auto acks = node->Got<wire::AckExit>();
  ASSERT_EQ(acks.size(), 1u) << "the exit must be acknowledged, or the agent re-sends it forever";
  EXPECT_EQ(acks[0].ref, ref);
}

TEST_F(Reconcile, AGangStillReservingAtTheCrashIsRolledBackAndItsReservationsAborted) {
  b_->behaviour().answer_reserve = false;
  JobId id = h_.Submit(GangSpec(2, 2));
  ASSERT_EQ(h_.Show(id).gang_phase, GangPhase::kReserving);
  h_.Restart();
  std::string causes = Causes(h_.History(id));
  EXPECT_TRUE(Contains(causes, "gang reservation interrupted by a musterd restart")) << causes;
  a_->Register({}, {}, {{id, 1}});
  b_->Register({}, {}, {{id, 1}});
  h_.Settle();
  auto aborts = a_->Got<wire::AbortRanks>();
  ASSERT_FALSE(aborts.empty());
  EXPECT_EQ(aborts.back().gang.attempt, 1);
}

TEST_F(Reconcile, ACommittedGangWhoseCommitWasLostIsCommittedAtRegistration) {
  b_->behaviour().answer_reserve = false;
  JobId id = h_.Submit(GangSpec(2, 2));
  // node-b reserves; the commit goes out and musterd crashes before node-a
  // sees its CommitRanks (the fake holds it: it has not read its inbox).
  b_->Reserved(id, 1);
  ASSERT_TRUE(h_.Turn().ok());
  a_->peer().RecvAll();  // the commit is lost with the connection
  b_->Process();
  ASSERT_EQ(h_.Show(id).gang_phase, GangPhase::kCommitted);
  h_.Restart();
  a_->Register({}, {}, {{id, 1}});  // still holding its reservation
  b_->Register(b_->AllRunning());
  h_.Settle();
  EXPECT_EQ(a_->Got<wire::CommitRanks>().size(), 1u) << "the commit is finished at registration";
  Job j = h_.Show(id);
  EXPECT_EQ(JobStateName(j.state), std::string("RUNNING"));
  EXPECT_EQ(j.attempt, 1);
}

TEST_F(Reconcile, ATeardownDecidedWhileANodeWasAwayReachesItWhenItReturns) {
  JobId id = h_.Submit(GangSpec(2, 2));
  h_.Restart();
  a_->Register(a_->AllRunning());
  h_.Settle();
  h_.Call(wire::CancelJob{id});  // node-b has not re-registered: its KillJob goes nowhere
  b_->ClearReceived();
  b_->Register(b_->AllRunning());
  h_.Settle();
  auto kills = b_->Got<wire::KillJob>();
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].job, id);
  EXPECT_EQ(JobStateName(h_.Show(id).state), std::string("CANCELLED"));
}

TEST_F(Reconcile, AReservationOfAnUnknownAttemptIsAborted) {
  h_.Restart();
  a_->Register({}, {}, {{42, 3}});
  h_.Settle();
  auto aborts = a_->Got<wire::AbortRanks>();
  ASSERT_EQ(aborts.size(), 1u);
  EXPECT_EQ(aborts[0].gang.job, 42);
  EXPECT_EQ(aborts[0].gang.attempt, 3);
}

TEST_F(Reconcile, AcceptedJobsAndTheirIdsSurviveACrash) {
  JobId first = h_.Submit(Spec(64));  // never fits: stays pending
  h_.Restart();
  Job j = h_.Show(first);
  EXPECT_EQ(JobStateName(j.state), std::string("PENDING"));
  JobId second = h_.Submit(Spec(1));
  EXPECT_EQ(second, first + 1) << "ids never repeat across restarts";
}

}  // namespace
}  // namespace muster::testing
