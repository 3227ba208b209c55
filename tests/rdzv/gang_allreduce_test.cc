// fake_allreduce gangs on loopback: ranks bootstrap through the rendezvous
// and all-reduce over TCP, as an NCCL job would over its transports.
#include "tests/rdzv/rdzv_test_util.h"

namespace muster::testing {
namespace {

// Every rank's log (muster logs), asserting it is readable.
std::vector<std::string> RankLogs(TestCluster& c, int64_t id, int world) {
  std::vector<std::string> logs;
  for (int r = 0; r < world; ++r) {
    CommandResult l = c.Cli({"logs", std::to_string(id), "--rank", std::to_string(r)});
    EXPECT_EQ(l.exit_code, 0) << "rank " << r << ": " << l.Describe();
    logs.push_back(l.out);
  }
  return logs;
}

std::string AllLogs(const std::vector<std::string>& logs) {
  std::string out;
  for (size_t r = 0; r < logs.size(); ++r) out += "--- rank " + std::to_string(r) + "\n" + logs[r];
  return out;
}

void ExpectAllReduceOk(TestCluster& c, int64_t id, int world, int64_t n) {
  auto logs = RankLogs(c, id, world);
  for (int r = 0; r < world; ++r) {
    std::string want = "rank " + std::to_string(r) + "/" + std::to_string(world) + " allreduce ok, " +
                       std::to_string(n) + " doubles";
    EXPECT_TRUE(Contains(logs[r], want)) << "rank " << r << " log lacks '" << want << "':\n" << AllLogs(logs);
  }
}

// (a) A 3-node gang, 2 ranks per node.
class RdzvGang3x2 : public SizedClusterTest<3, 2> {};

TEST_F(RdzvGang3x2, FakeAllReduceOverThreeNodesCompletes) {
  int64_t id = cluster().Submit({"--name", "allreduce", "--nodes", "3", "--gpus-per-node", "2"},
                                {FakeAllReduceBinary(), "--timeout-ms", "30000"});
  Json job = cluster().WaitForJobState(id, "COMPLETED", Millis(60000));
  ASSERT_EQ(job["state"], "COMPLETED") << job.dump(2) << "\n" << AllLogs(RankLogs(cluster(), id, 6));
  EXPECT_EQ(PlacementNodes(job).size(), 3u) << job.dump(2);
  ExpectAllReduceOk(cluster(), id, 6, 1 << 16);

  // (c) Its keys died with the attempt: the ranks' key no longer even
  // connects (musterd's ZAP handler refuses it before any request).
  transport::Client late(cluster().endpoint(), 1000,
                         RankKeysOf(cluster(), id, job["attempt"].get<int32_t>()));
  auto reply = late.Call(wire::RdzvGet{static_cast<JobId>(id), job["attempt"].get<int32_t>(), "addr/0", 0});
  EXPECT_FALSE(reply.ok()) << "a finished attempt's key was let in";
}

// (b) Many ranks: 2 nodes x 4.
class RdzvGang2x4 : public SizedClusterTest<2, 4> {};

TEST_F(RdzvGang2x4, EightRanksAllReduceSmallAndUnevenVectors) {
  // 5 doubles over 8 ranks leaves some ring chunks empty; 1001 is uneven.
  for (int64_t n : {int64_t{5}, int64_t{1001}}) {
    SCOPED_TRACE("N = " + std::to_string(n));
    int64_t id = cluster().Submit({"--nodes", "2", "--gpus-per-node", "4"},
                                  {FakeAllReduceBinary(), "--timeout-ms", "30000", std::to_string(n)});
    Json job = cluster().WaitForJobState(id, "COMPLETED", Millis(60000));
    ASSERT_EQ(job["state"], "COMPLETED") << job.dump(2) << "\n" << AllLogs(RankLogs(cluster(), id, 8));
    ExpectAllReduceOk(cluster(), id, 8, n);
  }
}

TEST_F(RdzvGang2x4, RankZeroNeverPublishesAndTheGangFailsInsteadOfHanging) {
  auto t0 = std::chrono::steady_clock::now();
  int64_t id = cluster().Submit({"--nodes", "2", "--gpus-per-node", "4", "--grace", "1s"},
                                {FakeAllReduceBinary(), "--timeout-ms", "2000", "--silent-rank", "0", "64"});
  Json job = cluster().WaitForJobState(id, "FAILED", Millis(40000));
  ASSERT_EQ(job["state"], "FAILED") << job.dump(2) << "\n" << AllLogs(RankLogs(cluster(), id, 8));
  EXPECT_LT(ElapsedMs(t0), 30000);
  auto logs = RankLogs(cluster(), id, 8);
  EXPECT_TRUE(Contains(logs[0], "silent")) << AllLogs(logs);
  // At least one rank says plainly what it waited for (the others may have
  // been torn down before their own timeout).
  int clear = 0;
  for (int r = 1; r < 8; ++r)
    if (Contains(logs[r], "awaiting rank 0") && Contains(logs[r], "'addr/0' was not published within"))
      ++clear;
  EXPECT_GE(clear, 1) << AllLogs(logs);
  EXPECT_FALSE(Contains(AllLogs(logs), "allreduce ok")) << AllLogs(logs);
}

}  // namespace
}  // namespace muster::testing
