// musterd crashes and restarts: accepted jobs survive, running ranks keep
// running, and exits that happened while it was down are recorded.
#include <sys/wait.h>

#include <filesystem>

#include "tests/integration/integration.h"

namespace muster::testing {
namespace {

class IntegrationRecovery : public ClusterTest {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o;
    o.agents = 1;
    o.gpus_per_agent = 2;
    return o;
  }
};

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

TEST_F(IntegrationRecovery, Kill9WhileAJobRunsKeepsTheJobAndRecordsItsCompletion) {
  int64_t id =
      cluster().Submit({"--name", "survivor", "--gpus", "1"}, Sh("echo started; sleep 4; echo finished"));
  Json job = cluster().WaitForJobState(id, "RUNNING");
  ASSERT_EQ(job["state"], "RUNNING") << job.dump(2);

  cluster().KillMusterd();
  cluster().RestartMusterd();

  // Still there, still running (the agent kept the rank), then completed.
  job = cluster().Show(id);
  EXPECT_EQ(job["name"], "survivor");
  EXPECT_TRUE(job["state"] == "RUNNING" || job["state"] == "STARTING") << job.dump(2);
  job = cluster().WaitForJobState(id, "COMPLETED", Millis(20000));
  ASSERT_EQ(job["state"], "COMPLETED") << job.dump(2);
  EXPECT_EQ(job["exit_code"], 0);
  EXPECT_EQ(job["restarts"], 0) << "the rank kept running; it must not have been rerun";
  CommandResult logs = cluster().Cli({"logs", std::to_string(id)});
  EXPECT_EQ(logs.exit_code, 0) << logs.Describe();
  EXPECT_EQ(CountOf(logs.out, "started"), 1u) << logs.out;
  EXPECT_EQ(CountOf(logs.out, "finished"), 1u) << logs.out;
  EXPECT_TRUE(cluster().WaitForNodesUp(1));
  // Its history survived the crash and says how it went.
  Json history = cluster().CliJson({"history", std::to_string(id)});
  ASSERT_GE(history.size(), 3u) << history.dump(2);
  EXPECT_EQ(history.front()["cause"], "submitted");
  EXPECT_EQ(history.back()["to"], "COMPLETED") << history.dump(2);
  std::vector<std::string> states;
  for (const Json& e : history) states.push_back(e["to"]);
  EXPECT_NE(std::find(states.begin(), states.end(), "RUNNING"), states.end()) << history.dump(2);
  EXPECT_EQ(cluster().Cli({"history", "999999"}).exit_code, 1) << "an unknown job is refused";
}

TEST_F(IntegrationRecovery, JobsThatFinishWhileMusterdIsDownEndInTheirFinalState) {
  const std::string ok_done = cluster().Scratch("ok.done");
  const std::string bad_done = cluster().Scratch("bad.done");
  int64_t ok = cluster().Submit({"--gpus", "1"}, Sh("sleep 2; touch " + ok_done + "; exit 0"));
  int64_t bad = cluster().Submit({"--gpus", "1"}, Sh("sleep 2; touch " + bad_done + "; exit 7"));
  ASSERT_EQ(cluster().WaitForJobState(ok, "RUNNING")["state"], "RUNNING");
  ASSERT_EQ(cluster().WaitForJobState(bad, "RUNNING")["state"], "RUNNING");

  cluster().KillMusterd();
  ASSERT_FALSE(std::filesystem::exists(ok_done)) << "the job ended before musterd was killed";
  ASSERT_FALSE(std::filesystem::exists(bad_done)) << "the job ended before musterd was killed";
  ASSERT_TRUE(PollUntil([&] { return std::filesystem::exists(ok_done) && std::filesystem::exists(bad_done); },
                        Millis(15000)));
  std::this_thread::sleep_for(Millis(500));  // the shells exit right after the touch
  cluster().RestartMusterd();

  Json j_ok = cluster().WaitForJobState(ok, "COMPLETED", Millis(20000));
  EXPECT_EQ(j_ok["state"], "COMPLETED") << j_ok.dump(2);
  EXPECT_EQ(j_ok["exit_code"], 0) << j_ok.dump(2);
  Json j_bad = cluster().WaitForJobState(bad, "FAILED", Millis(20000));
  EXPECT_EQ(j_bad["state"], "FAILED") << j_bad.dump(2);
  EXPECT_EQ(j_bad["exit_code"], 7) << j_bad.dump(2);
  // Their GPUs are free again.
  EXPECT_TRUE(PollUntil([&] { return cluster().Nodes()[0]["gpus_free"] == 2; }, Millis(10000)))
      << cluster().Nodes().dump(2);
}

// No agent at first: accepted jobs wait, survive kill -9, then run.
class IntegrationRecoveryNoAgent : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string missing = MissingBinaries();
    ASSERT_TRUE(missing.empty()) << "binaries not found: " << missing;
    ClusterOptions o;
    o.agents = 1;
    o.gpus_per_agent = 1;
    cluster_ = std::make_unique<TestCluster>(o);
    cluster_->StartMusterd();
  }
  std::unique_ptr<TestCluster> cluster_;
};

TEST_F(IntegrationRecoveryNoAgent, AcceptedJobsSurviveKill9) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(cluster_->Submit({"--name", "j" + std::to_string(i), "--gpus", "1"},
                                   Sh("echo job " + std::to_string(i))));
  }
  cluster_->KillMusterd();  // right after the last "accepted"
  cluster_->RestartMusterd();

  Json jobs = cluster_->Jobs();
  for (int64_t id : ids) EXPECT_EQ(JobIds(jobs).count(id), 1u) << "job " << id << " lost: " << jobs.dump(2);
  for (size_t i = 0; i < ids.size(); ++i) {
    Json j = cluster_->Show(ids[i]);
    EXPECT_EQ(j["state"], "PENDING") << j.dump(2);
    EXPECT_EQ(j["name"], "j" + std::to_string(i));
  }
  // New ids do not reuse old ones.
  int64_t after = cluster_->Submit({"--gpus", "1"}, {"/bin/true"});
  EXPECT_GT(after, ids.back());

  cluster_->StartAgent(0);
  ids.push_back(after);
  for (int64_t id : ids) {
    Json j = cluster_->WaitForJobState(id, "COMPLETED", Millis(20000));
    EXPECT_EQ(j["state"], "COMPLETED") << j.dump(2);
  }
}

TEST_F(IntegrationRecovery, SigtermShutsMusterdDownCleanlyAndStateIsKept) {
  int64_t id = cluster().Submit({"--gpus", "1"}, {"/bin/true"});
  ASSERT_EQ(cluster().WaitForJobState(id, "COMPLETED")["state"], "COMPLETED");
  std::optional<int> status = cluster().StopMusterd(Millis(10000));
  ASSERT_TRUE(status.has_value()) << "musterd still runs 10 s after SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "wait status " << *status;
  cluster().RestartMusterd();
  EXPECT_EQ(cluster().Show(id)["state"], "COMPLETED");
  EXPECT_TRUE(cluster().WaitForNodesUp(1));
}

}  // namespace
}  // namespace muster::testing
