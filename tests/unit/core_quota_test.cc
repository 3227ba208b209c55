// The quota gate, stage 3 of a cycle (docs/policy.md, "One cycle"), through
// QuotaGate alone: a queue's `max` GPUs and an array's running-task cap,
// counting running jobs and this cycle's placements.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "scheduler/core/quota.h"
#include "scheduler/core/snapshot.h"
#include "tests/unit/core_test_util.h"

namespace muster::core {
namespace {

// 20 GPUs of queue 1 "prod" running (max 24, guaranteed 16) and 2 of queue 0.
ClusterSnapshot Busy() {
  return ClusterBuilder()
      .AddNodes(4, 8)
      .Run(RunningJobBuilder(90)
               .Queue(1)
               .On("n0", {0, 1, 2, 3, 4, 5, 6, 7})
               .On("n1", {0, 1, 2, 3, 4, 5, 6, 7}))
      .Run(RunningJobBuilder(91).Queue(1).On("n2", {0, 1, 2, 3}))
      .Run(RunningJobBuilder(92).Queue(0).On("n3", {0, 1}));
}

QueueBuilder Queues() {
  QueueBuilder qb;
  qb.Queue(0, QueueConfigBuilder("batch")).Queue(1, QueueConfigBuilder("prod").Guaranteed(16).Max(24));
  return qb;
}

TEST(CoreQuotaStage, RunningJobsCountForTheirQueue) {
  QueueSnapshot q = Queues();
  QuotaGate gate(Busy(), q);
  EXPECT_EQ(gate.used(0), 2);
  EXPECT_EQ(gate.used(1), 20);
}

TEST(CoreQuotaStage, AJobThatFitsUnderTheMaxPasses) {
  QueueSnapshot q = Queues();
  QuotaGate gate(Busy(), q);
  EXPECT_EQ(gate.Refusal(PendingJobBuilder(1).Queue(1).Gpus(4)), std::nullopt)
      << "20 + 4 = 24: exactly the max";
}

TEST(CoreQuotaStage, AJobOverTheQueueMaxGetsQuotaNamingUsedAndMax) {
  QueueSnapshot q = Queues();
  QuotaGate gate(Busy(), q);
  EXPECT_EQ(gate.Refusal(PendingJobBuilder(1).Queue(1).Gang(1, 8)), "queue prod uses 20/24 GPUs; needs 8");
  EXPECT_EQ(gate.Refusal(PendingJobBuilder(2).Queue(1).Gang(5, 1)), "queue prod uses 20/24 GPUs; needs 5");
}

TEST(CoreQuotaStage, AQueueWithoutMaxIsNeverRefused) {
  QueueSnapshot q = Queues();
  QuotaGate gate(Busy(), q);
  EXPECT_EQ(gate.Refusal(PendingJobBuilder(1).Queue(0).Gpus(1000)), std::nullopt);
}

TEST(CoreQuotaStage, PlacementsThisCycleCountTowardTheMax) {
  QueueSnapshot q = Queues();
  QuotaGate gate(Busy(), q);
  gate.Charge(PendingJobBuilder(1).Queue(1), 3);
  EXPECT_EQ(gate.used(1), 23);
  EXPECT_EQ(gate.Refusal(PendingJobBuilder(2).Queue(1).Gpus(2)), "queue prod uses 23/24 GPUs; needs 2");
  EXPECT_EQ(gate.used(0), 2) << "the other queue is not charged";
}

TEST(CoreQuotaStage, AQueueAboveItsGuaranteeBorrows) {
  QueueSnapshot q = QueueBuilder()
                        .Queue(0, QueueConfigBuilder("batch").Guaranteed(2))
                        .Queue(1, QueueConfigBuilder("prod").Guaranteed(20));
  QuotaGate gate(Busy(), q);
  EXPECT_FALSE(gate.Borrows(0)) << "2 of 2 guaranteed";
  EXPECT_FALSE(gate.Borrows(1)) << "20 of 20 guaranteed";
  gate.Charge(PendingJobBuilder(1).Queue(1), 1);
  EXPECT_TRUE(gate.Borrows(1));
}

TEST(CoreQuotaStage, AnArrayAtItsRunningCapGetsQuota) {
  QueueSnapshot q = QueueBuilder().Array(0, /*max_running=*/2, /*running=*/2).Array(1, 2, 1);
  QuotaGate gate(ClusterBuilder().AddNodes(1, 8), q);
  EXPECT_EQ(gate.Refusal(PendingJobBuilder(1).Array(0)), "array task limit: 2/2 running");
  EXPECT_EQ(gate.Refusal(PendingJobBuilder(2).Array(1)), std::nullopt);
}

TEST(CoreQuotaStage, APlacedTaskCountsAgainstItsArray) {
  QueueSnapshot q = QueueBuilder().Array(0, 3, 1);
  QuotaGate gate(ClusterBuilder().AddNodes(1, 8), q);
  gate.Charge(PendingJobBuilder(1).Array(0), 1);
  EXPECT_EQ(gate.array_running(0), 2);
  gate.Charge(PendingJobBuilder(2).Array(0), 1);
  EXPECT_EQ(gate.Refusal(PendingJobBuilder(3).Array(0)), "array task limit: 3/3 running");
}

TEST(CoreQuotaStage, AnArrayWithoutCapOrAJobOfNoArrayIsNotLimited) {
  QueueSnapshot q = QueueBuilder().Array(0, /*max_running=*/0, /*running=*/50);
  QuotaGate gate(ClusterBuilder().AddNodes(1, 8), q);
  EXPECT_EQ(gate.Refusal(PendingJobBuilder(1).Array(0)), std::nullopt);
  EXPECT_EQ(gate.Refusal(PendingJobBuilder(2)), std::nullopt);
  EXPECT_EQ(gate.Refusal(PendingJobBuilder(3).Array(7)), std::nullopt)
      << "an array the snapshot does not know";
}

TEST(CoreQuotaStage, TheQueueMaxIsToldBeforeTheArrayCap) {
  QueueSnapshot q = Queues().Array(0, 1, 1);
  QuotaGate gate(Busy(), q);
  EXPECT_EQ(gate.Refusal(PendingJobBuilder(1).Queue(1).Gpus(8).Array(0)),
            "queue prod uses 20/24 GPUs; needs 8");
}

}  // namespace
}  // namespace muster::core
