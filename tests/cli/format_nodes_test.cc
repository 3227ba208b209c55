#include <gtest/gtest.h>

#include "common/base/strings.h"
#include "scheduler/cli/format.h"

namespace muster::cli {
namespace {

using nlohmann::json;

const Time kT0 = *ParseRfc3339("2026-11-26T16:20:00Z");

wire::NodeStatus Node(std::string name, int gpus, int free) {
  wire::NodeStatus n;
  n.node.name = std::move(name);
  n.node.address = "10.0.0.1";
  for (int i = 0; i < gpus; ++i)
    n.node.gpus.push_back({i, "GPU-" + std::to_string(i), "NVIDIA H100 80GB HBM3", 85899345920ull});
  n.gpus_free = free;
  return n;
}

TEST(FormatNodesTable, HeaderLabelsAndHeartbeatAge) {
  auto a = Node("node-a", 8, 4);
  a.node.labels = {{"switch", "s1"}, {"rack", "r1"}};
  a.node.last_heartbeat = kT0 - 1500 * kMillisecond;
  auto b = Node("node-b", 2, 0);
  b.node.state = NodeState::kDown;
  std::string table = FormatNodesTable({b, a}, kT0);
  EXPECT_EQ(table,
            "NAME    STATE  GPUS  FREE  LABELS             LAST_HEARTBEAT\n"
            "node-a  UP     8     4     rack=r1,switch=s1  1s ago\n"
            "node-b  DOWN   2     0     -                  never\n");
}

TEST(NodeToJson, Keys) {
  auto n = Node("node-a", 2, 1);
  n.node.labels = {{"rack", "r1"}};
  n.node.state = NodeState::kDrain;
  n.node.last_heartbeat = kT0;
  n.jobs = {42, 43};
  json j = NodeToJson(n);
  EXPECT_EQ(j["name"], "node-a");
  EXPECT_EQ(j["state"], "DRAIN");
  EXPECT_EQ(j["address"], "10.0.0.1");
  EXPECT_EQ(j["gpus_total"], 2);
  EXPECT_EQ(j["gpus_free"], 1);
  EXPECT_EQ(j["labels"], json({{"rack", "r1"}}));
  EXPECT_EQ(j["last_heartbeat"], "2026-11-26T16:20:00Z");
  EXPECT_EQ(j["jobs"], json({42, 43}));
  ASSERT_EQ(j["gpus"].size(), 2u);
  EXPECT_EQ(j["gpus"][1], json::parse(R"({"index":1,"uuid":"GPU-1","model":"NVIDIA H100 80GB HBM3",
                                           "memory_bytes":85899345920,"nvlink_peers":[],
                                           "healthy":true,"health_reason":"",
                                           "utilization_percent":0,"memory_used_bytes":0})"));
  EXPECT_EQ(j["problem"], "");
}

TEST(NodeToJson, GpuSampleHealthAndProblem) {
  auto n = Node("node-a", 2, 0);
  n.node.gpus[0].nvlink_peers = {1};
  n.node.gpus[0].utilization_percent = 93;
  n.node.gpus[0].memory_used_bytes = 1ull << 30;
  n.node.gpus[1].healthy = false;
  n.node.gpus[1].health_reason = "uncorrectable ECC errors: 2";
  n.problem = "GPU 1 unhealthy: uncorrectable ECC errors: 2";
  json j = NodeToJson(n);
  EXPECT_EQ(j["problem"], "GPU 1 unhealthy: uncorrectable ECC errors: 2");
  EXPECT_EQ(j["gpus"][0]["nvlink_peers"], json({1}));
  EXPECT_EQ(j["gpus"][0]["utilization_percent"], 93);
  EXPECT_EQ(j["gpus"][0]["memory_used_bytes"], 1ull << 30);
  EXPECT_EQ(j["gpus"][1]["healthy"], false);
  EXPECT_EQ(j["gpus"][1]["health_reason"], "uncorrectable ECC errors: 2");
}

TEST(FormatNodesTable, ProblemColumnOnlyWhenSomeNodeHasOne) {
  auto a = Node("node-a", 2, 1);
  a.problem = "GPU 1 unhealthy: NVML reports the GPU lost";
  auto b = Node("node-b", 2, 2);
  std::string table = FormatNodesTable({a, b}, kT0);
  EXPECT_EQ(table,
            "NAME    STATE  GPUS  FREE  LABELS  LAST_HEARTBEAT  PROBLEM\n"
            "node-a  UP     2     1     -       never           GPU 1 unhealthy: NVML reports the GPU lost\n"
            "node-b  UP     2     2     -       never           -\n");
}

TEST(FormatGpusTable, OneRowPerGpu) {
  auto a = Node("node-a", 2, 1);
  a.node.gpus[0].nvlink_peers = {1};
  a.node.gpus[1].nvlink_peers = {0};
  a.node.gpus[0].utilization_percent = 50;
  a.node.gpus[0].memory_used_bytes = 8ull << 30;
  a.node.gpus[1].healthy = false;
  a.node.gpus[1].health_reason = "fake: marked unhealthy";
  auto b = Node("node-b", 1, 1);
  b.node.gpus[0].memory_bytes = 16ull << 30;
  b.node.gpus[0].model = "Fake GPU";
  std::string table = FormatGpusTable({b, a});
  EXPECT_EQ(
      table,
      "NODE    GPU  MODEL                  MEMORY   UTIL  MEM_USED  HEALTH                             "
      "NVLINK\n"
      "node-a  0    NVIDIA H100 80GB HBM3  80.0GiB  50%   8.0GiB    ok                                 1\n"
      "node-a  1    NVIDIA H100 80GB HBM3  80.0GiB  0%    0.0GiB    UNHEALTHY: fake: marked unhealthy  0\n"
      "node-b  0    Fake GPU               16.0GiB  0%    0.0GiB    ok                                 -\n");
}

TEST(NodeToJson, UnsetHeartbeatIsNullAndNoLabelsIsAnObject) {
  json j = NodeToJson(Node("n", 0, 0));
  EXPECT_TRUE(j["last_heartbeat"].is_null());
  EXPECT_TRUE(j["labels"].is_object());
  EXPECT_TRUE(j["gpus"].is_array());
  EXPECT_TRUE(j["jobs"].is_array());
}

TEST(NodesToJson, ArraySortedByName) {
  json j = NodesToJson({Node("z", 1, 1), Node("a", 1, 1)});
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["name"], "a");
  EXPECT_EQ(j[1]["name"], "z");
}

}  // namespace
}  // namespace muster::cli
