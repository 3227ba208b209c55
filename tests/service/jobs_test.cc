// A job's life through musterd, in one process: admission, time limits,
// cancel, hold and release, requeue, dependencies, node loss.
#include "tests/service/service_test_util.h"

namespace muster::testing {
namespace {

class Jobs : public ::testing::Test {
 protected:
  Jobs() { a_ = &h_.AddAgent("node-a", 4); }
  Harness h_;
  FakeAgent* a_;
};

TEST_F(Jobs, AnInvalidSpecIsRefusedWithTheReasonAndNothingIsStored) {
  JobSpec spec = Spec(0);  // no GPUs asked for
  auto id = h_.TrySubmit(spec);
  ASSERT_FALSE(id.ok());
  EXPECT_FALSE(id.status().message().empty());
  spec = Spec(1);
  spec.argv.clear();
  EXPECT_FALSE(h_.TrySubmit(spec).ok());
  EXPECT_TRUE(h_.Jobs().empty());
  EXPECT_EQ(h_.Submit(Spec(1)), 1) << "refused specs use no ids";
}

TEST_F(Jobs, AnUnknownQueueIsRefusedNamingTheQueuesThatExist) {
  JobSpec spec = Spec(1);
  spec.queue = "gpu-xl";
  auto id = h_.TrySubmit(spec);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().message(), "unknown queue 'gpu-xl' (queues: default)");
}

TEST_F(Jobs, ADependencyOnAJobThatDoesNotExistIsRefused) {
  JobSpec spec = Spec(1);
  spec.after = {99};
  auto id = h_.TrySubmit(spec);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().message(), "dependency on job 99, which does not exist");
}

TEST_F(Jobs, TheQueueDefaultTimeLimitAppliesToJobsThatGiveNone) {
  wire::PutQueue q;
  q.spec.name = "default";
  q.spec.default_time_limit = 2 * kHour;
  q.fields = wire::kQueueDefaultTimeLimit;
  ASSERT_TRUE(std::holds_alternative<wire::Ok>(h_.Call(q)));
  EXPECT_EQ(h_.Show(h_.Submit(Spec(1))).spec.time_limit, 2 * kHour);
}

TEST_F(Jobs, ATimeLimitEndsTheJobWithTimeoutAfterItsRanksAreKilled) {
  JobSpec spec = Spec(1);
  spec.time_limit = kMinute;
  JobId id = h_.Submit(spec);
  h_.Advance(59 * kSecond);
  EXPECT_TRUE(a_->Got<wire::KillJob>().empty());
  h_.Advance(2 * kSecond);
  ASSERT_EQ(a_->Got<wire::KillJob>().size(), 1u);
  Job j = h_.Show(id);
  EXPECT_EQ(JobStateName(j.state), std::string("TIMEOUT"));
  EXPECT_EQ(j.reason_detail, "time limit 1m reached");
  EXPECT_EQ(FreeGpus(h_, "node-a"), 4);
}

TEST_F(Jobs, CancellingAPendingJobEndsItAtOnce) {
  JobId id = h_.Submit(Spec(8));  // never fits
  ASSERT_TRUE(std::holds_alternative<wire::Ok>(h_.Call(wire::CancelJob{id})));
  Job j = h_.Show(id);
  EXPECT_EQ(JobStateName(j.state), std::string("CANCELLED"));
  EXPECT_EQ(j.reason_detail, "cancelled by user while pending");
}

TEST_F(Jobs, CancellingARunningJobKillsItsRanksAndEndsCancelledWhenTheyExit) {
  a_->behaviour().exit_on_kill = false;
  JobSpec spec = Spec(2);
  spec.grace_seconds = 5;
  JobId id = h_.Submit(spec);
  h_.Call(wire::CancelJob{id});
  auto kills = a_->Got<wire::KillJob>();
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].grace_ms, 5000);
  EXPECT_EQ(JobStateName(h_.Show(id).state), std::string("RUNNING")) << "ends when its ranks are gone";
  EXPECT_EQ(h_.Show(id).ending, JobState::kCancelled);
  a_->Exit(id, 0, 15);
  h_.Settle();
  EXPECT_EQ(JobStateName(h_.Show(id).state), std::string("CANCELLED"));
}

TEST_F(Jobs, CancellingAFinishedOrUnknownJobSaysWhy) {
  JobId id = h_.Submit(Spec(1));
  a_->Exit(id);
  h_.Settle();
  wire::Error e = ErrorOf(h_.Call(wire::CancelJob{id}));
  EXPECT_EQ(e.code, wire::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(e.message, "job 1 already ended COMPLETED");
  e = ErrorOf(h_.Call(wire::CancelJob{77}));
  EXPECT_EQ(e.code, wire::ErrorCode::kNotFound);
  EXPECT_EQ(e.message, "no job 77");
}

TEST_F(Jobs, AHeldJobWaitsUntilReleased) {
  JobSpec spec = Spec(1);
  spec.hold = true;
  JobId id = h_.Submit(spec);
  Job j = h_.Show(id);
  EXPECT_EQ(JobStateName(j.state), std::string("PENDING"));
  EXPECT_EQ(j.reason, PendingReason::kHeld);
  ASSERT_TRUE(std::holds_alternative<wire::Ok>(h_.Call(wire::JobAction{id, wire::JobOp::kRelease, 0})));
  EXPECT_EQ(JobStateName(h_.Show(id).state), std::string("RUNNING"));
  wire::Error e = ErrorOf(h_.Call(wire::JobAction{id, wire::JobOp::kHold, 0}));
  EXPECT_EQ(e.message, "only a pending job can be held; job 1 is RUNNING");
}

TEST_F(Jobs, RequeueStartsANewAttemptAndCountsARestart) {
  JobId id = h_.Submit(Spec(1));
  ASSERT_TRUE(std::holds_alternative<wire::Ok>(h_.Call(wire::JobAction{id, wire::JobOp::kRequeue, 0})));
  Job j = h_.Show(id);
  EXPECT_EQ(j.attempt, 2);
  EXPECT_EQ(j.restarts, 1);
  EXPECT_EQ(States(h_.History(id)), "PENDING STARTING RUNNING PREEMPTED PENDING STARTING RUNNING");
  EXPECT_TRUE(Contains(Causes(h_.History(id)), "requeued by an operator"));
}

TEST_F(Jobs, JobsStartInPriorityThenSubmitOrder) {
  JobId blocker = h_.Submit(Spec(4));
  JobId low = h_.Submit(Spec(4));
  JobSpec urgent = Spec(4);
  urgent.priority = 10;
  JobId high = h_.Submit(urgent);
  a_->Exit(blocker);
  h_.Settle();
  EXPECT_EQ(JobStateName(h_.Show(high).state), std::string("RUNNING"));
  EXPECT_EQ(JobStateName(h_.Show(low).state), std::string("PENDING"));
  ASSERT_TRUE(std::holds_alternative<wire::Ok>(h_.Call(wire::JobAction{low, wire::JobOp::kSetPriority, 20})));
  a_->Exit(high);
  h_.Settle();
  EXPECT_EQ(JobStateName(h_.Show(low).state), std::string("RUNNING"));
}

TEST_F(Jobs, AfterOkStartsTheDependentOnlyWhenItsDependencyCompleted) {
  JobId first = h_.Submit(Spec(1));
  JobSpec then = Spec(1);
  then.after = {first};
  JobId second = h_.Submit(then);
  EXPECT_EQ(h_.Show(second).reason, PendingReason::kDependency);
  a_->Exit(first);
  h_.Settle();
  EXPECT_EQ(JobStateName(h_.Show(second).state), std::string("RUNNING"));
}

TEST_F(Jobs, ADependencyThatFailedFailsItsDependents) {
  JobId first = h_.Submit(Spec(1));
  JobSpec then = Spec(1);
  then.after = {first};
  JobId second = h_.Submit(then);
  a_->Exit(first, 3);
  h_.Settle();
  Job j = h_.Show(second);
  EXPECT_EQ(JobStateName(j.state), std::string("FAILED"));
  EXPECT_EQ(j.reason, PendingReason::kDependencyNeverSatisfied);
  EXPECT_EQ(j.exit_code, 1);
}

TEST_F(Jobs, ARankKilledByASignalFailsTheJobWith128PlusTheSignal) {
  JobId id = h_.Submit(Spec(1));
  a_->Exit(id, 0, 9);
  h_.Settle();
  Job j = h_.Show(id);
  EXPECT_EQ(JobStateName(j.state), std::string("FAILED"));
  EXPECT_EQ(j.exit_code, 137);
  EXPECT_EQ(j.reason_detail, "rank 0 was killed by signal 9");
}

TEST_F(Jobs, ARankThatFailedToStartFailsTheJobWithTheAgentsReason) {
  JobId id = h_.Submit(Spec(1));
  wire::RankExit x;
  x.ref = a_->Running(id)[0];
  x.failed_to_start = true;
  x.exit_code = 127;
  x.message = "exec 'trian.py': No such file or directory";
  a_->peer().Send(wire::RankExited{x});
  h_.Settle();
  Job j = h_.Show(id);
  EXPECT_EQ(JobStateName(j.state), std::string("FAILED"));
  EXPECT_EQ(j.exit_code, 127);
  EXPECT_TRUE(Contains(j.reason_detail, "No such file or directory")) << j.reason_detail;
}

TEST_F(Jobs, ANodeThatStopsHeartbeatingGoesDownAndItsGangIsRequeuedElsewhere) {
  FakeAgent& b = h_.AddAgent("node-b", 4);
  JobId id = h_.Submit(GangSpec(2, 4));
  ASSERT_EQ(JobStateName(h_.Show(id).state), std::string("RUNNING"));
  FakeAgent& c = h_.AddAgent("node-c", 4);
  b.behaviour().heartbeat = false;
  h_.Advance(h_.options().heartbeat_timeout + 2 * kSecond);
  std::string causes = Causes(h_.History(id));
  EXPECT_TRUE(Contains(causes, "node node-b is down (no heartbeat for 10s)")) << causes;
  Job j = h_.Show(id);
  EXPECT_EQ(j.attempt, 2);
  EXPECT_EQ(JobStateName(j.state), std::string("RUNNING"));
  std::set<std::string> nodes;
  for (const auto& n : j.placement) nodes.insert(n.node);
  EXPECT_EQ(nodes, (std::set<std::string>{"node-a", "node-c"}));
  (void)c;
}

TEST_F(Jobs, AHeartbeatFromANodeMusterdDoesNotKnowAsksItToRegister) {
  auto& stranger = h_.Connect("agent:stranger", h_.AddNode("node-z"));
  stranger.Send(wire::Heartbeat{"node-z", {}});
  h_.Settle();
  auto reply = stranger.Recv();
  ASSERT_TRUE(reply);
  EXPECT_EQ(ErrorOf(reply->body).code, wire::ErrorCode::kNotRegistered);
}

TEST(JobsInsecure, ARegistrationWithABadNodeNameIsRefused) {
  // Against a secure musterd the name must be the key's (authz_test.cc);
  // without keys, the name itself is still checked.
  Harness::Options o;
  o.insecure = true;
  Harness h(o);
  h.AddAgent("node-a", 4);
  auto& bad = h.Connect("agent:bad", "");
  wire::Register m;
  m.node.name = "node a/b";
  bad.Send(m);
  h.Settle();
  auto reply = bad.Recv();
  ASSERT_TRUE(reply);
  EXPECT_EQ(ErrorOf(reply->body).message, "bad node name 'node a/b': 1-64 of letters, digits, . _ -");
  wire::Body nodes = h.Call(wire::ListNodes{});
  EXPECT_EQ(std::get<wire::NodeList>(nodes).nodes.size(), 1u);
}

TEST_F(Jobs, AnUnhealthyGpuIsNeverPlacedAndTheNodeSaysWhy) {
  a_->Heartbeat({{1, 0, 0, false, "XID 79: GPU has fallen off the bus"}});
  h_.Settle();
  JobId id = h_.Submit(Spec(4));
  EXPECT_EQ(JobStateName(h_.Show(id).state), std::string("PENDING"));
  auto list = std::get<wire::NodeList>(h_.Call(wire::ListNodes{}));
  ASSERT_EQ(list.nodes.size(), 1u);
  EXPECT_EQ(list.nodes[0].gpus_free, 3);
  EXPECT_EQ(list.nodes[0].problem, "GPU 1 unhealthy: XID 79: GPU has fallen off the bus");
  // Heartbeats carry each GPU's latest sample; a recovered GPU is back in service.
  a_->Heartbeat({{0, 42, 1024, true, ""}, {1, 0, 0, true, ""}});
  h_.Settle();
  EXPECT_EQ(JobStateName(h_.Show(id).state), std::string("RUNNING"));
  list = std::get<wire::NodeList>(h_.Call(wire::ListNodes{}));
  EXPECT_EQ(list.nodes[0].problem, "");
  EXPECT_EQ(list.nodes[0].node.gpus[0].utilization_percent, 42);
  EXPECT_EQ(list.nodes[0].node.gpus[0].memory_used_bytes, 1024u);
  EXPECT_TRUE(list.nodes[0].node.gpus[1].healthy);
}

TEST_F(Jobs, ADrainedNodeFinishesItsWorkButStartsNothingNew) {
  JobId running = h_.Submit(Spec(2));
  ASSERT_TRUE(std::holds_alternative<wire::Ok>(h_.Call(wire::NodeAction{"node-a", wire::NodeOp::kDrain})));
  JobId waiting = h_.Submit(Spec(1));
  EXPECT_EQ(JobStateName(h_.Show(running).state), std::string("RUNNING"));
  EXPECT_EQ(JobStateName(h_.Show(waiting).state), std::string("PENDING"));
  ASSERT_TRUE(std::holds_alternative<wire::Ok>(h_.Call(wire::NodeAction{"node-a", wire::NodeOp::kResume})));
  EXPECT_EQ(JobStateName(h_.Show(waiting).state), std::string("RUNNING"));
  wire::Error e = ErrorOf(h_.Call(wire::NodeAction{"node-a", wire::NodeOp::kResume}));
  EXPECT_EQ(e.message, "node node-a is not drained");
  e = ErrorOf(h_.Call(wire::NodeAction{"node-q", wire::NodeOp::kDrain}));
  EXPECT_EQ(e.code, wire::ErrorCode::kNotFound);
}

}  // namespace
}  // namespace muster::testing

namespace muster::testing {
namespace {

// Idempotent submit (docs/protocol.md): the CLI sends a request token, and a
// submit sent again (after a broken connection, a timeout or a musterd
// crash) answers the job the first one made.
class IdempotentSubmit : public Jobs {
 protected:
  wire::Body SubmitWith(const std::string& token, JobSpec spec = Spec(1)) {
    return h_.Call(wire::SubmitJob{std::move(spec), token});
  }
  static JobId IdOf(const wire::Body& reply) {
    auto* r = std::get_if<wire::SubmitReply>(&reply);
    return r ? r->id : kNoJob;
  }
};

TEST_F(IdempotentSubmit, ASubmitSentAgainWithItsTokenAnswersTheSameJob) {
  JobId first = IdOf(SubmitWith("req-1"));
  ASSERT_NE(first, kNoJob);
  EXPECT_EQ(IdOf(SubmitWith("req-1")), first);
  EXPECT_EQ(h_.Jobs().size(), 1u);
  // Tokens are per user, and a new token is a new job.
  JobSpec bob = Spec(1);
  bob.user = "bob";
  EXPECT_NE(IdOf(SubmitWith("req-1", bob)), first);
  EXPECT_NE(IdOf(SubmitWith("req-2")), first);
  EXPECT_EQ(h_.Jobs().size(), 3u);
  // After the job finished it still answers, while it is in memory.
  a_->Exit(first);
  h_.Settle();
  EXPECT_EQ(IdOf(SubmitWith("req-1")), first);
  EXPECT_EQ(h_.Show(first).state, JobState::kCompleted);
}

TEST_F(IdempotentSubmit, TwoCopiesInOneTurnMakeOneJob) {
  auto& client = h_.Connect("impatient");
  client.Send(wire::SubmitJob{Spec(1), "same"});
  client.Send(wire::SubmitJob{Spec(1), "same"});
  h_.Settle();
  auto replies = client.RecvAll();
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(IdOf(replies[0].body), IdOf(replies[1].body));
  EXPECT_EQ(h_.Jobs().size(), 1u);
}

TEST_F(IdempotentSubmit, TheTokenSurvivesAMusterdCrash) {
  JobId first = IdOf(SubmitWith("before-the-crash"));
  h_.Restart();
  a_->Register(a_->AllRunning());
  h_.Settle();
  EXPECT_EQ(IdOf(SubmitWith("before-the-crash")), first);
  EXPECT_EQ(h_.Jobs().size(), 1u);
}

TEST_F(IdempotentSubmit, AUsedTokenForAnotherRequestAndBadTokensAreRefused) {
  JobId first = IdOf(SubmitWith("req-1"));
  JobSpec other = Spec(1);
  other.argv = {"rm", "-rf", "/tmp/x"};
  wire::Error e = ErrorOf(SubmitWith("req-1", other));
  EXPECT_EQ(e.message,
            "request token 'req-1' already made job " + std::to_string(first) + " for a different request");
  e = ErrorOf(SubmitWith(std::string(129, 't')));
  EXPECT_EQ(e.message, "request token of 129 bytes (at most 128)");
  e = ErrorOf(SubmitWith("tab\there"));
  EXPECT_EQ(e.message, "request token with a byte that is not printable");
  EXPECT_EQ(h_.Jobs().size(), 1u) << "refused submits make nothing";
}

}  // namespace
}  // namespace muster::testing
