// Multi-node gangs: the environment every rank sees, and what happens to a
// running gang when one of its nodes is lost.
#include <chrono>
#include <map>
#include <sstream>

#include "tests/integration/integration.h"

namespace muster::testing {
namespace {

using Vars = std::map<std::string, std::string>;

// KEY=VALUE lines of a rank's log.
Vars ParseVars(const std::string& log) {
  Vars vars;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos && eq > 0) vars[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return vars;
}

int ToInt(const std::string& s) {
  try {
    size_t used = 0;
    int v = std::stoi(s, &used);
    return used == s.size() ? v : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

// ---- the environment of a 2 x 4 gang ------------------------------------------

class IntegrationGang : public SizedClusterTest<2, 4> {};

TEST_F(IntegrationGang, EveryRankOfATwoNodeGangSeesItsEnvironment) {
  int64_t id = cluster().Submit(
      {"--name", "gang", "--nodes", "2", "--gpus-per-node", "4"},
      Sh("env | grep -E '^(RANK|WORLD_SIZE|LOCAL_RANK|LOCAL_WORLD_SIZE|NODE_RANK|NNODES|MASTER_ADDR|"
         "MASTER_PORT|CUDA_VISIBLE_DEVICES|MUSTER_JOB_ID|MUSTER_CHECKPOINT_DIR|MUSTER_RDZV|"
         "MUSTER_TEST_NODE)=' | sort"));
  Json job = cluster().WaitForJobState(id, "COMPLETED", Millis(20000));
  ASSERT_EQ(job["state"], "COMPLETED") << job.dump(2);
  EXPECT_EQ(job["nodes"], 2);
  EXPECT_EQ(job["gpus_per_node"], 4);
  ASSERT_EQ(job["placement"].size(), 2u) << job.dump(2);
  std::map<std::string, std::set<int>> placed_gpus;  // node -> GPU indices
  for (const auto& p : job["placement"]) {
    for (const auto& g : p["gpus"]) placed_gpus[p["node"].get<std::string>()].insert(g.get<int>());
  }
  ASSERT_EQ(placed_gpus.size(), 2u) << "the two node allocations must be on different nodes";

  std::set<int> ranks;
  std::set<std::string> master_ports;
  std::map<std::string, std::set<int>> local_ranks;                // node -> LOCAL_RANKs
  std::map<std::string, std::multiset<std::string>> cuda_devices;  // node -> CUDA_VISIBLE_DEVICES
  std::map<std::string, std::set<std::string>> node_ranks;         // node -> NODE_RANKs
  std::string rank0_node;
  for (int r = 0; r < 8; ++r) {
    SCOPED_TRACE("rank " + std::to_string(r));
    CommandResult logs = cluster().Cli({"logs", std::to_string(id), "--rank", std::to_string(r)});
    ASSERT_EQ(logs.exit_code, 0) << logs.Describe();
    Vars v = ParseVars(logs.out);
    const std::string node = v["MUSTER_TEST_NODE"];
    ASSERT_TRUE(placed_gpus.count(node)) << "rank ran on " << node << ", not in the placement: " << logs.out;
    // The same text is in the agent's per-rank log file.
    EXPECT_EQ(ReadFile(cluster().RankLogPath(cluster().AgentIndex(node), id, r)), logs.out);

    EXPECT_EQ(v["RANK"], std::to_string(r));
    ranks.insert(ToInt(v["RANK"]));
    EXPECT_EQ(v["WORLD_SIZE"], "8");
    EXPECT_EQ(v["LOCAL_WORLD_SIZE"], "4");
    EXPECT_EQ(v["NNODES"], "2");
    EXPECT_EQ(v["MASTER_ADDR"], "127.0.0.1");
    EXPECT_EQ(v["MUSTER_JOB_ID"], std::to_string(id));
    EXPECT_FALSE(v["MUSTER_CHECKPOINT_DIR"].empty());
    EXPECT_FALSE(v["MUSTER_RDZV"].empty());
    int port = ToInt(v["MASTER_PORT"]);
    EXPECT_TRUE(port > 0 && port < 65536) << "MASTER_PORT=" << v["MASTER_PORT"];
    master_ports.insert(v["MASTER_PORT"]);

    int local_rank = ToInt(v["LOCAL_RANK"]);
    int node_rank = ToInt(v["NODE_RANK"]);
    EXPECT_TRUE(local_rank >= 0 && local_rank < 4) << "LOCAL_RANK=" << v["LOCAL_RANK"];
    EXPECT_TRUE(node_rank == 0 || node_rank == 1) << "NODE_RANK=" << v["NODE_RANK"];
    EXPECT_EQ(r, node_rank * 4 + local_rank) << "RANK = NODE_RANK * LOCAL_WORLD_SIZE + LOCAL_RANK";
    local_ranks[node].insert(local_rank);
    node_ranks[node].insert(v["NODE_RANK"]);
    if (r == 0) rank0_node = node;

    // One GPU per rank, one of the GPUs placed on its node.
    const std::string& cvd = v["CUDA_VISIBLE_DEVICES"];
    int gpu = ToInt(cvd);
    EXPECT_TRUE(placed_gpus[node].count(gpu)) << "CUDA_VISIBLE_DEVICES=" << cvd << " on " << node;
    cuda_devices[node].insert(cvd);
  }

  EXPECT_EQ(ranks, std::set<int>({0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(master_ports.size(), 1u) << "every rank must see the same MASTER_PORT";
  ASSERT_EQ(local_ranks.size(), 2u) << "the ranks must be spread over both nodes";
  for (const auto& [node, lr] : local_ranks) {
    SCOPED_TRACE(node);
    EXPECT_EQ(lr, std::set<int>({0, 1, 2, 3}));
    EXPECT_EQ(node_ranks[node].size(), 1u) << "one NODE_RANK per node";
    const auto& devs = cuda_devices[node];
    EXPECT_EQ(std::set<std::string>(devs.begin(), devs.end()).size(), 4u)
        << "CUDA_VISIBLE_DEVICES must be distinct among the ranks of a node";
  }
  EXPECT_NE(*node_ranks.begin()->second.begin(), *node_ranks.rbegin()->second.begin());
  EXPECT_EQ(*node_ranks[rank0_node].begin(), "0") << "rank 0 is on NODE_RANK 0";
}

// ---- node loss -------------------------------------------------------------------

struct RankPid {
  std::string node;
  int rank = -1;
  int pid = -1;
};

// Lines "NODE RANK PID" that the ranks append to a shared file.
std::vector<RankPid> ReadRankPids(const std::string& path) {
  std::vector<RankPid> out;
  std::istringstream in(ReadFile(path));
  RankPid rp;
  while (in >> rp.node >> rp.rank >> rp.pid) out.push_back(rp);
  return out;
}

std::vector<std::string> RecordPidAndSleep(const std::string& path) {
  return Sh("echo \"$MUSTER_TEST_NODE $RANK $$\" >> " + path + "; exec sleep 300");
}

class IntegrationNodeLoss : public SizedClusterTest<3, 2> {};

TEST_F(IntegrationNodeLoss, KillingAnAgentRequeuesTheGangAndKillsItsOtherRanks) {
  const std::string pids_file = cluster().Scratch("pids");
  int64_t id = cluster().Submit({"--nodes", "2", "--gpus-per-node", "2"}, RecordPidAndSleep(pids_file));
  Json job = cluster().WaitForJobState(id, "RUNNING");
  ASSERT_EQ(job["state"], "RUNNING") << job.dump(2);
  std::vector<RankPid> first;
  ASSERT_TRUE(PollUntil([&] { return (first = ReadRankPids(pids_file)).size() == 4; }, Millis(10000)))
      << ReadFile(pids_file);
  const std::set<std::string> placed = PlacementNodes(job);
  ASSERT_EQ(placed.size(), 2u) << job.dump(2);
  const std::string victim = *placed.begin();
  const std::string survivor = *placed.rbegin();
  const int restarts_before = job.value("restarts", 0);
  for (const auto& rp : first) ASSERT_TRUE(IsProcessAlive(rp.pid)) << rp.node << " rank " << rp.rank;

  cluster().KillAgent(cluster().AgentIndex(victim));

  // The victim's ranks die with their agent; the survivor's are torn down
  // once musterd declares the node DOWN (heartbeat timeout 2 s).
  for (const auto& rp : first) {
    Millis bound = rp.node == victim ? Millis(5000) : Millis(15000);
    EXPECT_TRUE(WaitForProcessGone(rp.pid, bound))
        << "rank " << rp.rank << " (pid " << rp.pid << ") on " << rp.node << " still runs after " << victim
        << " was lost";
  }
  EXPECT_TRUE(cluster().WaitForNodeState(victim, "DOWN", Millis(10000))) << cluster().Nodes().dump(2);

  // Requeued, not failed: with a third node it runs again, without the lost one.
  job = cluster().WaitForJob(
      id,
      [&](const Json& j) {
        return IsFinalState(j.value("state", "")) ||
               (j.value("state", "") == "RUNNING" && j.value("restarts", 0) > restarts_before);
      },
      Millis(20000));
  ASSERT_EQ(job["state"], "RUNNING") << job.dump(2);
  EXPECT_GE(job["restarts"].get<int>(), 1) << job.dump(2);
  const std::set<std::string> replaced = PlacementNodes(job);
  EXPECT_EQ(replaced.size(), 2u) << job.dump(2);
  EXPECT_EQ(replaced.count(victim), 0u) << "placed again on the lost node: " << job.dump(2);

  // The new attempt's ranks really run: 4 new pids, none on the lost node.
  std::vector<RankPid> all;
  ASSERT_TRUE(PollUntil([&] { return (all = ReadRankPids(pids_file)).size() >= 8; }, Millis(10000)))
      << ReadFile(pids_file);
  for (size_t i = 4; i < all.size(); ++i) {
    EXPECT_NE(all[i].node, victim);
    EXPECT_TRUE(IsProcessAlive(all[i].pid)) << all[i].node << " rank " << all[i].rank;
  }

  CommandResult cancel = cluster().Cli({"cancel", std::to_string(id)});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.Describe();
  EXPECT_EQ(cluster().WaitForJobState(id, "CANCELLED")["state"], "CANCELLED");
}

class IntegrationNodeLossNoSpare : public SizedClusterTest<2, 2> {};

TEST_F(IntegrationNodeLossNoSpare, GangGoesBackToPendingAndRunsWhenTheNodeReturns) {
  const std::string pids_file = cluster().Scratch("pids");
  int64_t id = cluster().Submit({"--nodes", "2", "--gpus-per-node", "2"}, RecordPidAndSleep(pids_file));
  Json job = cluster().WaitForJobState(id, "RUNNING");
  ASSERT_EQ(job["state"], "RUNNING") << job.dump(2);
  std::vector<RankPid> first;
  ASSERT_TRUE(PollUntil([&] { return (first = ReadRankPids(pids_file)).size() == 4; }, Millis(10000)));

  cluster().KillAgent(1);

  job = cluster().WaitForJob(
      id,
      [](const Json& j) {
        return IsFinalState(j.value("state", "")) ||
               (j.value("state", "") == "PENDING" && j.value("restarts", 0) >= 1);
      },
      Millis(15000));
  ASSERT_EQ(job["state"], "PENDING") << job.dump(2);
  EXPECT_GE(job["restarts"].get<int>(), 1);
  for (const auto& rp : first) {
    EXPECT_TRUE(WaitForProcessGone(rp.pid, Millis(10000)))
        << "rank " << rp.rank << " (pid " << rp.pid << ") on " << rp.node << " still runs";
  }
  // node-0's GPUs are free again while the gang waits.
  EXPECT_TRUE(PollUntil(
      [&] {
        for (const auto& n : cluster().Nodes()) {
          if (n["name"] == "node-0") return n["gpus_free"] == 2;
        }
        return false;
      },
      Millis(10000)))
      << cluster().Nodes().dump(2);

  // The node comes back under the same name: the gang runs again.
  cluster().StartAgent(1);
  job = cluster().WaitForJobState(id, "RUNNING", Millis(15000));
  EXPECT_EQ(job["state"], "RUNNING") << job.dump(2);
  EXPECT_EQ(PlacementNodes(job), std::set<std::string>({"node-0", "node-1"})) << job.dump(2);
}

}  // namespace
}  // namespace muster::testing

namespace muster::testing {
namespace {

// Never half a gang: one rank failing at once, while its peers are still
// starting or running, fails the whole gang with its exit code and kills
// every other rank on both nodes.
TEST_F(IntegrationGang, OneRankFailingAtStartTearsDownTheWholeGang) {
  const std::string pids_file = cluster().Scratch("pids");
  int64_t id =
      cluster().Submit({"--nodes", "2", "--gpus-per-node", "2", "--max-restarts", "0", "--grace", "1s"},
                       Sh("if [ \"$RANK\" = 2 ]; then exit 5; fi; echo \"$MUSTER_TEST_NODE $RANK $$\" >> " +
                          pids_file + "; exec sleep 300"));
  Json job = cluster().WaitForJobState(id, "FAILED", Millis(20000));
  ASSERT_EQ(job.value("state", ""), "FAILED") << job.dump(2);
  EXPECT_EQ(job.value("exit_code", 0), 5) << job.dump(2);
  EXPECT_NE(job.value("reason_detail", "").find("rank 2"), std::string::npos) << job.dump(2);
  // Whatever ranks got as far as recording themselves are gone.
  for (const auto& rp : ReadRankPids(pids_file))
    EXPECT_TRUE(WaitForProcessGone(rp.pid, Millis(10000))) << "rank " << rp.rank << " on " << rp.node;
  // And the GPUs are free again on both nodes.
  EXPECT_TRUE(PollUntil(
      [&] {
        Json nodes = cluster().Nodes();
        for (const auto& n : nodes)
          if (n.value("gpus_free", 0) != 4) return false;
        return true;
      },
      Millis(5000)));
}

// Ranks on other hosts dial the advertised endpoint, not a wildcard bind.
class IntegrationAdvertise : public ClusterTest {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o;
    o.agents = 1;
    o.gpus_per_agent = 1;
    o.musterd_args = {"--advertise", "tcp://sched-1.example:7600"};
    return o;
  }
};

TEST_F(IntegrationAdvertise, RanksGetTheAdvertisedRendezvousEndpoint) {
  int64_t id = cluster().Submit({"--gpus", "1"}, Sh("echo \"rdzv=$MUSTER_RDZV\""));
  ASSERT_EQ(cluster().WaitForJobState(id, "COMPLETED")["state"], "COMPLETED");
  CommandResult logs = cluster().Cli({"logs", std::to_string(id)});
  EXPECT_TRUE(Contains(logs.out, "rdzv=tcp://sched-1.example:7600\n")) << logs.out;
}

}  // namespace
}  // namespace muster::testing
