// The gang attempt state machine on its own: every state x event that
// matters, as a table of (setup, event) -> (state, actions), plus the
// attempt's end. Node and rank numbers are placement indices and global ranks.
#include "scheduler/service/gang_attempt.h"

#include <gtest/gtest.h>

#include <functional>
#include <sstream>

namespace muster::service {
namespace {

using A = GangAction;

std::string Describe(const GangActions& actions) {
  std::ostringstream os;
  for (const auto& a : actions) {
    os << GangActionName(a.kind);
    if (a.node >= 0) os << "(" << a.node << ")";
    os << " ";
  }
  return os.str();
}

// Builders of an attempt in a given state: 2 nodes x 2 ranks unless said.
GangAttempt Reserving() {
  GangActions ignore;
  return GangAttempt::Start(2, 2, &ignore);
}
GangAttempt Committed() {
  GangAttempt g = Reserving();
  GangActions ignore;
  g.OnReserved(0, &ignore);
  g.OnReserved(1, &ignore);
  return g;
}
GangAttempt Running() {
  GangAttempt g = Committed();
  GangActions ignore;
  for (int r = 0; r < 4; ++r) g.OnRankStarted(r, &ignore);
  return g;
}
GangAttempt TearingDown() {
  GangAttempt g = Running();
  GangActions ignore;
  g.TearDown(JobState::kCancelled, false, "cancelled by user", &ignore);
  return g;
}

RankOutcome Ok() { return {}; }
RankOutcome Failed(int code) { return {true, code, "rank exited with code " + std::to_string(code)}; }

struct Row {
  const char* name;
  std::function<GangAttempt()> setup;
  std::function<void(GangAttempt&, GangActions*)> event;
  GangState after;
  std::string actions;  // Describe() of the event's actions
};

class Transitions : public ::testing::TestWithParam<Row> {};

TEST_P(Transitions, GiveTheStateAndActions) {
  const Row& row = GetParam();
  GangAttempt g = row.setup();
  GangActions actions;
  row.event(g, &actions);
  EXPECT_EQ(GangStateName(g.state()), std::string(GangStateName(row.after))) << row.name;
  EXPECT_EQ(Describe(actions), row.actions) << row.name;
}

const Row kRows[] = {
    {"start one node: reserve and commit together", [] { return Reserving(); },
     [](GangAttempt& g, GangActions* out) { g = GangAttempt::Start(1, 4, out); }, GangState::kCommitted,
     "ArmStartTimer Reserve(0) Commit(0) "},
    {"start two nodes: reserve both, wait", [] { return Reserving(); },
     [](GangAttempt& g, GangActions* out) { g = GangAttempt::Start(2, 2, out); }, GangState::kReserving,
     "ArmStartTimer Reserve(0) Reserve(1) ArmReserveTimer "},
    {"first node reserved: still reserving", Reserving,
     [](GangAttempt& g, GangActions* out) { g.OnReserved(1, out); }, GangState::kReserving, ""},
    {"last node reserved: commit everywhere",
     [] {
       GangAttempt g = Reserving();
       GangActions ignore;
       g.OnReserved(0, &ignore);
       return g;
     },
     [](GangAttempt& g, GangActions* out) { g.OnReserved(1, out); }, GangState::kCommitted,
     "DisarmReserveTimer Commit(0) Commit(1) "},
    {"a node refuses: abort all, requeue", Reserving,
     [](GangAttempt& g, GangActions* out) { g.OnReserveRefused(1, "node b refused", out); },
     GangState::kEnded, "DisarmReserveTimer Abort(0) Abort(1) DisarmStartTimer DisarmReserveTimer Ended "},
    {"reserve timeout: abort all", Reserving,
     [](GangAttempt& g, GangActions* out) { g.OnReserveTimeout("timed out", out); }, GangState::kEnded,
     "DisarmReserveTimer Abort(0) Abort(1) DisarmStartTimer DisarmReserveTimer Ended "},
    {"cancel while reserving: abort, nothing to kill", Reserving,
     [](GangAttempt& g, GangActions* out) { g.TearDown(JobState::kCancelled, false, "cancelled", out); },
     GangState::kEnded, "DisarmReserveTimer Abort(0) Abort(1) DisarmStartTimer DisarmReserveTimer Ended "},
    {"reserve timeout after commit: ignored", Committed,
     [](GangAttempt& g, GangActions* out) { g.OnReserveTimeout("late", out); }, GangState::kCommitted, ""},
    {"a late duplicate Reserved: ignored", Committed,
     [](GangAttempt& g, GangActions* out) { g.OnReserved(0, out); }, GangState::kCommitted, ""},
    {"some ranks started: still committed", Committed,
     [](GangAttempt& g, GangActions* out) {
       g.OnRankStarted(0, out);
       g.OnRankStarted(3, out);
     },
     GangState::kCommitted, ""},
    {"every rank started: RUNNING",
     [] {
       GangAttempt g = Committed();
       GangActions ignore;
       for (int r = 0; r < 3; ++r) g.OnRankStarted(r, &ignore);
       return g;
     },
     [](GangAttempt& g, GangActions* out) { g.OnRankStarted(3, out); }, GangState::kRunning,
     "DisarmStartTimer Running "},
    {"commit refused by a node that started nothing: tear down", Committed,
     [](GangAttempt& g, GangActions* out) { g.OnCommitRefused(1, "expired", out); }, GangState::kTearingDown,
     "Kill(0) "},
    {"commit refused after that node started: stale, ignored",
     [] {
       GangAttempt g = Committed();
       GangActions ignore;
       g.OnRankStarted(2, &ignore);
       return g;
     },
     [](GangAttempt& g, GangActions* out) { g.OnCommitRefused(1, "expired", out); }, GangState::kCommitted,
     ""},
    {"start barrier times out: kill all, wait for the unstarted",
     [] {
       GangAttempt g = Committed();
       GangActions ignore;
       g.OnRankStarted(0, &ignore);
       return g;
     },
     [](GangAttempt& g, GangActions* out) { g.OnStartTimeout("barrier", out); }, GangState::kTearingDown,
     "Kill(0) Kill(1) ArmUnstartedTimer "},
    {"start barrier timeout once running: ignored", Running,
     [](GangAttempt& g, GangActions* out) { g.OnStartTimeout("late", out); }, GangState::kRunning, ""},
    {"a rank exits 0: others still run", Running,
     [](GangAttempt& g, GangActions* out) { g.OnRankExited(1, Ok(), out); }, GangState::kRunning, ""},
    {"a rank fails: the whole gang is killed", Running,
     [](GangAttempt& g, GangActions* out) { g.OnRankExited(1, Failed(7), out); }, GangState::kTearingDown,
     "Kill(0) Kill(1) "},
    {"the last rank exits 0: COMPLETED",
     [] {
       GangAttempt g = Running();
       GangActions ignore;
       for (int r = 0; r < 3; ++r) g.OnRankExited(r, Ok(), &ignore);
       return g;
     },
     [](GangAttempt& g, GangActions* out) { g.OnRankExited(3, Ok(), out); }, GangState::kEnded,
     "DisarmStartTimer DisarmReserveTimer Ended "},
    {"a node is lost: kill the other node's ranks", Running,
     [](GangAttempt& g, GangActions* out) { g.OnNodeLost(0, "node a is down", out); },
     GangState::kTearingDown, "Kill(1) "},
    {"a rank is lost: kill every node with live ranks", Running,
     [](GangAttempt& g, GangActions* out) { g.OnRankLost(0, "lost", out); }, GangState::kTearingDown,
     "Kill(0) Kill(1) "},
    {"a second teardown: the first cause stands, no new kills", TearingDown,
     [](GangAttempt& g, GangActions* out) { g.TearDown(JobState::kTimeout, false, "time limit", out); },
     GangState::kTearingDown, ""},
    {"cancel overrides an earlier ending and kills again",
     [] {
       GangAttempt g = Running();
       GangActions ignore;
       g.TearDown(JobState::kPreempted, true, "preempted", &ignore);
       return g;
     },
     [](GangAttempt& g, GangActions* out) { g.TearDown(JobState::kCancelled, false, "cancelled", out); },
     GangState::kTearingDown, "Kill(0) Kill(1) "},
    {"a resent exit: ignored",
     [] {
       GangAttempt g = Running();
       GangActions ignore;
       g.OnRankExited(2, Ok(), &ignore);
       return g;
     },
     [](GangAttempt& g, GangActions* out) { g.OnRankExited(2, Failed(9), out); }, GangState::kRunning, ""},
};

INSTANTIATE_TEST_SUITE_P(GangAttempt, Transitions, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<Row>& info) {
                           return "row" + std::to_string(info.index);
                         });

TEST(GangAttemptEnd, CompletedWhenEveryRankExitsZero) {
  GangAttempt g = Running();
  GangActions a;
  for (int r = 0; r < 4; ++r) g.OnRankExited(r, Ok(), &a);
  ASSERT_EQ(g.state(), GangState::kEnded);
  EXPECT_EQ(g.end().state, JobState::kCompleted);
  EXPECT_FALSE(g.end().requeue);
  EXPECT_EQ(g.end().cause, "all ranks exited 0");
  EXPECT_EQ(g.phase(), GangPhase::kNone);
}

TEST(GangAttemptEnd, FailedWithTheFirstFailingRanksExitCode) {
  GangAttempt g = Running();
  GangActions a;
  g.OnRankExited(1, Failed(7), &a);
  g.OnRankExited(0, Failed(9), &a);  // killed after the first failure: not the cause
  g.OnRankExited(2, Ok(), &a);
  g.OnRankExited(3, Ok(), &a);
  ASSERT_EQ(g.state(), GangState::kEnded);
  EXPECT_EQ(g.end().state, JobState::kFailed);
  EXPECT_EQ(g.end().exit_code, 7);
  EXPECT_EQ(g.end().cause, "rank exited with code 7");
}

TEST(GangAttemptEnd, UnstartedRanksAreGivenUpAfterTheBarrierWait) {
  GangAttempt g = Committed();
  GangActions a;
  g.OnRankStarted(0, &a);
  g.OnRankStarted(1, &a);
  g.OnStartTimeout("start barrier timed out", &a);
  g.OnRankExited(0, {true, 143, "killed"}, &a);  // the started ones report their end
  g.OnRankExited(1, {true, 143, "killed"}, &a);
  EXPECT_EQ(g.state(), GangState::kTearingDown) << "ranks 2 and 3 never reported";
  a.clear();
  g.OnUnstartedExitsTimeout(&a);
  ASSERT_EQ(g.state(), GangState::kEnded);
  EXPECT_EQ(g.end().state, JobState::kNodeFail);
  EXPECT_TRUE(g.end().requeue);
  EXPECT_EQ(g.end().cause, "start barrier timed out");
}

TEST(GangAttemptEnd, PhaseIsWhatARestartNeeds) {
  EXPECT_EQ(Reserving().phase(), GangPhase::kReserving);
  EXPECT_EQ(Committed().phase(), GangPhase::kCommitted);
  EXPECT_EQ(Running().phase(), GangPhase::kCommitted);
  EXPECT_EQ(TearingDown().phase(), GangPhase::kCommitted);
  EXPECT_EQ(TearingDown().ending(), JobState::kCancelled);
}

TEST(GangAttemptRecover, ARunningGangPresumesItsRanksStarted) {
  GangActions a;
  GangAttempt g =
      GangAttempt::Recover(2, 2, JobState::kRunning, GangPhase::kCommitted, std::nullopt, false, 0, &a);
  EXPECT_EQ(g.state(), GangState::kRunning);
  EXPECT_TRUE(a.empty()) << Describe(a);
  for (int r = 0; r < 4; ++r) EXPECT_TRUE(g.started(r));
}

TEST(GangAttemptRecover, AStartingGangGetsAWholeStartTimeout) {
  GangActions a;
  GangAttempt g =
      GangAttempt::Recover(2, 1, JobState::kStarting, GangPhase::kCommitted, std::nullopt, false, 0, &a);
  EXPECT_EQ(g.state(), GangState::kCommitted);
  EXPECT_EQ(Describe(a), "ArmStartTimer ");
}

TEST(GangAttemptRecover, AReservingGangIsRolledBackByATearDown) {
  GangActions a;
  GangAttempt g =
      GangAttempt::Recover(3, 1, JobState::kStarting, GangPhase::kReserving, std::nullopt, false, 0, &a);
  EXPECT_EQ(g.state(), GangState::kReserving);
  a.clear();
  g.TearDown(JobState::kNodeFail, true, "musterd restarted", &a);
  EXPECT_EQ(Describe(a),
            "DisarmReserveTimer Abort(0) Abort(1) Abort(2) DisarmStartTimer DisarmReserveTimer Ended ");
  EXPECT_TRUE(g.end().requeue);
}

TEST(GangAttemptRecover, ATeardownInProgressKeepsItsEndingAndExitCode) {
  GangActions a;
  GangAttempt g =
      GangAttempt::Recover(1, 2, JobState::kRunning, GangPhase::kCommitted, JobState::kFailed, false, 7, &a);
  EXPECT_EQ(g.state(), GangState::kTearingDown);
  g.OnRankExited(0, Ok(), &a);
  g.OnRankExited(1, Ok(), &a);
  ASSERT_EQ(g.state(), GangState::kEnded);
  EXPECT_EQ(g.end().state, JobState::kFailed);
  EXPECT_EQ(g.end().exit_code, 7);
}

TEST(GangAttempt, NodeOfRank) {
  GangAttempt g = Running();
  EXPECT_EQ(g.NodeOf(0), 0);
  EXPECT_EQ(g.NodeOf(1), 0);
  EXPECT_EQ(g.NodeOf(2), 1);
  EXPECT_EQ(g.NodeOf(4), -1);
  EXPECT_EQ(g.NodeOf(-1), -1);
}

}  // namespace
}  // namespace muster::service
