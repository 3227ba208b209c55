// GPU health end to end: an agent whose GPU 1 is unhealthy (a fake, by
// flag) never gets work placed on it, and `muster nodes` says why.
#include <set>

#include "tests/integration/integration.h"
#include "tests/integration/raw_agent.h"

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

// An agent speaking the wire protocol by hand (raw_agent.h): health changes
// arrive with heartbeats, and a GPU that recovers is back in service.
TEST_F(IntegrationGpuHealth, HeartbeatsTakeAGpuOutOfServiceAndBackIn) {
  RawAgent raw(cluster().endpoint());
  wire::Register reg;
  reg.node.name = "raw-0";
  reg.node.gpus.resize(2);
  reg.node.gpus[1].index = 1;
  raw.Send(reg);
  auto reply = raw.Receive(Millis(5000));
  ASSERT_TRUE(reply && std::holds_alternative<wire::RegisterReply>(*reply));

  auto raw_node = [&]() -> Json {
    for (const auto& n : cluster().Nodes())
      if (n["name"] == "raw-0") return n;
    return Json();
  };
  auto beat_until = [&](const wire::Heartbeat& hb, const std::function<bool(const Json&)>& pred) {
    Json last;
    bool ok = PollUntil([&] {
      raw.Send(hb);  // also keeps the node UP
      last = raw_node();
      return !last.is_null() && pred(last);
    }, Millis(5000), Millis(100));
    return std::make_pair(ok, last);
  };

  wire::Heartbeat sick{"raw-0", {{0, 42, 1024, true, ""}, {1, 0, 0, false, "uncorrectable ECC errors: 2"}}};
  auto [down, seen] = beat_until(sick, [](const Json& n) { return n.value("problem", "") != ""; });
  ASSERT_TRUE(down) << seen.dump(2);
  EXPECT_EQ(seen["problem"], "GPU 1 unhealthy: uncorrectable ECC errors: 2");
  EXPECT_EQ(seen["gpus_free"], 1);
  EXPECT_EQ(seen["gpus"][0]["utilization_percent"], 42);
  EXPECT_EQ(seen["gpus"][0]["memory_used_bytes"], 1024);
  EXPECT_EQ(seen["gpus"][1]["healthy"], false);

  wire::Heartbeat well{"raw-0", {{0, 0, 0, true, ""}, {1, 0, 0, true, ""}}};
  auto [up, again] = beat_until(well, [](const Json& n) { return n.value("problem", "x") == ""; });
  ASSERT_TRUE(up) << again.dump(2);
  EXPECT_EQ(again["gpus_free"], 2);
  EXPECT_EQ(again["gpus"][1]["healthy"], true);
}

}  // namespace
}  // namespace muster::testing
