// The fair-share order, stage 2 of a cycle (docs/policy.md, "One cycle"),
// through FairShareOrder alone: tiers, weighted usage with this cycle's
// charges, teams, and the order within a team.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "scheduler/core/order.h"
#include "scheduler/core/snapshot.h"
#include "tests/unit/core_test_util.h"

namespace muster::core {
namespace {

// Adds every pending job of `q` to a new order and sorts it.
FairShareOrder OrderOf(const QueueSnapshot& q) {
  FairShareOrder order(q);
  for (const auto& j : q.pending) order.Add(j);
  order.Sort();
  return order;
}

// The ids in the order Next hands them out, charging nothing.
std::vector<JobId> Drain(FairShareOrder& order) {
  std::vector<JobId> ids;
  while (const PendingJob* j = order.Next()) ids.push_back(j->id);
  return ids;
}

TEST(CoreOrderStage, WithinATeamPriorityThenAgeThenId) {
  QueueSnapshot q = QueueBuilder()
                        .Add(PendingJobBuilder(1).Submitted(kNow))
                        .Add(PendingJobBuilder(2).Submitted(kNow - kHour))
                        .Add(PendingJobBuilder(3).Priority(5).Submitted(kNow))
                        .Add(PendingJobBuilder(5).Submitted(kNow - 2 * kHour))
                        .Add(PendingJobBuilder(4).Submitted(kNow - 2 * kHour));
  FairShareOrder order = OrderOf(q);
  EXPECT_EQ(Drain(order), (std::vector<JobId>{3, 4, 5, 2, 1}));
}

TEST(CoreOrderStage, AHigherTierGoesFirstWhateverItsUsage) {
  QueueSnapshot q = QueueBuilder()
                        .Queue(0, QueueConfigBuilder("batch").Usage(0))
                        .Queue(1, QueueConfigBuilder("prod").Tier(1).Usage(1e6))
                        .Add(PendingJobBuilder(1).Queue(0))
                        .Add(PendingJobBuilder(2).Queue(1));
  FairShareOrder order = OrderOf(q);
  EXPECT_EQ(Drain(order), (std::vector<JobId>{2, 1}));
}

TEST(CoreOrderStage, TheQueueWithLessUsagePerWeightGoesFirst) {
  // a: 10 GPU-hours / weight 1 = 10; b: 30 / 4 = 7.5.
  QueueSnapshot q = QueueBuilder()
                        .Queue(0, QueueConfigBuilder("a").Usage(10))
                        .Queue(1, QueueConfigBuilder("b").Weight(4).Usage(30))
                        .Add(PendingJobBuilder(1).Queue(0))
                        .Add(PendingJobBuilder(2).Queue(1));
  FairShareOrder order = OrderOf(q);
  EXPECT_DOUBLE_EQ(order.QueueKey(0), 10.0);
  EXPECT_DOUBLE_EQ(order.QueueKey(1), 7.5);
  EXPECT_EQ(Drain(order), (std::vector<JobId>{2, 1}));
}

TEST(CoreOrderStage, PlacementChargesInterleaveQueuesByWeight) {
  // Both idle; "heavy" weighs 3. Equal keys go to the lower queue index, so
  // light goes first; one 1-GPU-hour charge puts it behind heavy, which then
  // takes three turns before the keys meet again.
  QueueBuilder qb;
  qb.Queue(0, QueueConfigBuilder("light")).Queue(1, QueueConfigBuilder("heavy").Weight(3));
  for (JobId id = 1; id <= 4; ++id) qb.Add(PendingJobBuilder(id).Queue(0).TimeLimit(kHour));
  for (JobId id = 11; id <= 14; ++id) qb.Add(PendingJobBuilder(id).Queue(1).TimeLimit(kHour));
  QueueSnapshot q = qb;
  FairShareOrder order = OrderOf(q);
  std::vector<JobId> ids;
  for (int i = 0; i < 6; ++i) {
    const PendingJob* j = order.Next();
    ASSERT_NE(j, nullptr);
    ids.push_back(j->id);
    order.Charge(*j, 1, j->time_limit);
  }
  EXPECT_EQ(ids, (std::vector<JobId>{1, 11, 12, 13, 2, 14}));
}

TEST(CoreOrderStage, AChargeIsGpusTimesTheTimeLimitOverTheWeight) {
  QueueSnapshot q = QueueBuilder().Queue(0, QueueConfigBuilder().Weight(2)).FairShareHorizon(3 * kHour);
  FairShareOrder order(q);
  order.Charge(PendingJobBuilder(1), 4, 30 * kMinute);
  EXPECT_DOUBLE_EQ(order.QueueKey(0), 4 * 0.5 / 2);
  EXPECT_DOUBLE_EQ(order.TeamKey(0), 4 * 0.5);
  // Without a time limit the policy's horizon stands in for it.
  order.Charge(PendingJobBuilder(2), 2, 0);
  EXPECT_DOUBLE_EQ(order.QueueKey(0), (2.0 + 2 * 3) / 2);
  EXPECT_DOUBLE_EQ(order.TeamKey(0), 2.0 + 2 * 3);
}

TEST(CoreOrderStage, TheLeastUsedTeamOfTheQueueGoesFirst) {
  // Team "a"'s job has the higher priority, but team "b" used less.
  QueueSnapshot q = QueueBuilder()
                        .Team(0, "a", 0, 50)
                        .Team(1, "b", 0, 10)
                        .Add(PendingJobBuilder(1).Team(0).Priority(9))
                        .Add(PendingJobBuilder(2).Team(1));
  FairShareOrder order = OrderOf(q);
  EXPECT_DOUBLE_EQ(order.TeamKey(1), 10.0);
  EXPECT_EQ(Drain(order), (std::vector<JobId>{2, 1}));
}

TEST(CoreOrderStage, TeamsWithEqualUsageGoByTeamIndexNotArrival) {
  QueueSnapshot q = QueueBuilder()
                        .Team(0, "a")
                        .Team(1, "b")
                        .Team(2, "c")
                        .Add(PendingJobBuilder(1).Team(2))
                        .Add(PendingJobBuilder(2).Team(1));
  FairShareOrder order = OrderOf(q);
  EXPECT_EQ(Drain(order), (std::vector<JobId>{2, 1}));
}

TEST(CoreOrderStage, AChargedTeamLetsTheOtherTeamGoNext) {
  QueueSnapshot q = QueueBuilder()
                        .Team(0, "a")
                        .Team(1, "b")
                        .Add(PendingJobBuilder(1).Team(0))
                        .Add(PendingJobBuilder(2).Team(0))
                        .Add(PendingJobBuilder(3).Team(1));
  FairShareOrder order = OrderOf(q);
  const PendingJob* first = order.Next();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->id, 1u);
  order.Charge(*first, 1, kHour);
  const PendingJob* second = order.Next();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->id, 3u) << "team a was charged, b was not";
}

TEST(CoreOrderStage, EveryAddedJobComesOutOnceThenNothing) {
  QueueSnapshot q = QueueBuilder()
                        .Queue(1, QueueConfigBuilder("b"))
                        .Team(1, "t1")
                        .Add(PendingJobBuilder(1).Queue(1).Team(1))
                        .Add(PendingJobBuilder(2))
                        .Add(PendingJobBuilder(3).Queue(1));
  FairShareOrder order = OrderOf(q);
  std::vector<JobId> ids = Drain(order);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<JobId>{1, 2, 3}));
  EXPECT_EQ(order.Next(), nullptr);
  EXPECT_EQ(FairShareOrder(q).Next(), nullptr) << "nothing added, nothing to hand out";
}

}  // namespace
}  // namespace muster::core
