// GPU health end to end: an agent whose GPU 1 is unhealthy (a fake, by
// flag) never gets work placed on it, and `muster nodes` says why. How
// heartbeats take a GPU out of service and back in is tested in one process
// (tests/service/jobs_test.cc).
#include <set>

#include "tests/integration/integration.h"

namespace muster::testing {
namespace {

class IntegrationGpuHealth : public ClusterTest {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o;
    o.agents = 1;
    o.gpus_per_agent = 4;
    o.agent_args = {{"--fake-unhealthy-gpus", "1"}};
    return o;
  }
};

TEST_F(IntegrationGpuHealth, AnUnhealthyGpuIsNeverPlacedAndTheNodeSaysWhy) {
  int64_t three = cluster().Submit({"--gpus", "3"}, Sh("exec sleep 300"));
  Json job = cluster().WaitForJobState(three, "RUNNING");
  ASSERT_EQ(job["state"], "RUNNING") << job.dump(2);
  ASSERT_EQ(job["placement"].size(), 1u) << job.dump(2);
  std::set<int> gpus;
  for (const auto& g : job["placement"][0]["gpus"]) gpus.insert(g.get<int>());
  EXPECT_EQ(gpus, (std::set<int>{0, 2, 3})) << job.dump(2);

  // The fourth GPU is out of service: a 4-GPU job waits for resources.
  int64_t four = cluster().Submit({"--gpus", "4"}, Sh("exit 0"));
  PollUntil([&] { return cluster().Show(four).value("reason", "") == "Resources"; }, Millis(5000));
  job = cluster().Show(four);
  EXPECT_EQ(job["state"], "PENDING") << job.dump(2);
  EXPECT_EQ(job["reason"], "Resources") << job.dump(2);

  Json nodes = cluster().Nodes();
  ASSERT_EQ(nodes.size(), 1u) << nodes.dump(2);
  const Json& n = nodes[0];
  EXPECT_EQ(n["gpus_free"], 0) << nodes.dump(2);
  EXPECT_EQ(n["problem"], "GPU 1 unhealthy: fake: marked unhealthy") << nodes.dump(2);
  ASSERT_EQ(n["gpus"].size(), 4u) << nodes.dump(2);
  for (int i = 0; i < 4; ++i) {
    const Json& g = n["gpus"][i];
    EXPECT_EQ(g["index"], i);
    EXPECT_EQ(g["healthy"], i != 1) << g.dump();
    EXPECT_EQ(g["health_reason"], i == 1 ? "fake: marked unhealthy" : "") << g.dump();
    EXPECT_EQ(g["utilization_percent"], 0) << g.dump();
    EXPECT_EQ(g["memory_used_bytes"], 0) << g.dump();
    EXPECT_TRUE(g["nvlink_peers"].is_array()) << g.dump();
  }

  // The per-GPU table shows it too.
  CommandResult table = cluster().Cli({"nodes", "--gpus"});
  ASSERT_EQ(table.exit_code, 0) << table.Describe();
  EXPECT_TRUE(Contains(table.out, "NODE")) << table.out;
  EXPECT_TRUE(Contains(table.out, "NVLINK")) << table.out;
  EXPECT_TRUE(Contains(table.out, "UNHEALTHY: fake: marked unhealthy")) << table.out;
  CommandResult plain = cluster().Cli({"nodes"});
  ASSERT_EQ(plain.exit_code, 0) << plain.Describe();
  EXPECT_TRUE(Contains(plain.out, "GPU 1 unhealthy")) << plain.out;
}

}  // namespace
}  // namespace muster::testing
