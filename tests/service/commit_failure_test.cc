// A commit that fails (a full disk, an I/O error) must not be acknowledged:
// musterd has memory ahead of the disk, so nothing of that turn is sent and
// the loop stops; a restart recovers exactly what is durable.
#include "tests/service/service_test_util.h"

namespace muster::testing {
namespace {

TEST(CommitFailure, NothingOfTheTurnIsSentAndTheTurnFails) {
  Harness h;
  h.AddAgent("node-a", 4);
  auto& client = h.Connect("client");
  h.store().FailCommitAfter(1);
  client.Send(wire::SubmitJob{Spec(1)});
  Status st = h.Turn();
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.message(), "no space left on device")) << st.ToString();
  EXPECT_EQ(client.queued(), 0u) << "the client must not hear 'accepted' for a job that is not on disk";
  EXPECT_TRUE(h.agent("node-a").Got<wire::ReserveRanks>().empty());
}

TEST(CommitFailure, ARestartHasNoTraceOfTheRefusedTurn) {
  Harness h;
  h.AddAgent("node-a", 4);
  JobId kept = h.Submit(Spec(1));
  auto& client = h.Connect("client");
  h.store().FailCommitAfter(1);
  client.Send(wire::SubmitJob{Spec(2)});
  ASSERT_FALSE(h.Turn().ok());
  h.Restart();
  std::vector<Job> jobs = h.Jobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, kept);
  // The lost job's id is given again: it was never acknowledged.
  EXPECT_EQ(h.Submit(Spec(1)), kept + 1);
}

TEST(CommitFailure, AFailedCancelSendsNoKillAndTheJobRunsOnAfterTheRestart) {
  Harness h;
  FakeAgent& a = h.AddAgent("node-a", 4);
  JobId id = h.Submit(Spec(2));
  ASSERT_EQ(a.Running(id).size(), 2u);
  auto& client = h.Connect("client");
  h.store().FailCommitAfter(1);
  client.Send(wire::CancelJob{id});
  ASSERT_FALSE(h.Turn().ok());
  a.Process();
  EXPECT_TRUE(a.Got<wire::KillJob>().empty()) << "a cancel that is not on disk must not kill anything";
  EXPECT_EQ(client.queued(), 0u);
  h.Restart();
  a.Register(a.AllRunning());
  h.Settle();
  Job j = h.Show(id);
  EXPECT_EQ(JobStateName(j.state), std::string("RUNNING"));
  EXPECT_EQ(j.attempt, 1);
}

}  // namespace
}  // namespace muster::testing
