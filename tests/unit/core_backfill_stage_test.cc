// The backfill stage (docs/policy.md, "One cycle", step 6) through Backfill
// alone, on a free index built by the test: the EASY reservation, the GPUs
// it holds back, which later jobs may still use them, and the attempt bound.
#include <gtest/gtest.h>

#include <vector>

#include "scheduler/core/backfill.h"
#include "scheduler/core/free_index.h"
#include "scheduler/core/snapshot.h"
#include "tests/unit/core_test_util.h"

namespace muster::core {
namespace {

// n0: job 20 on GPUs 0-3 until now + 2 h, GPUs 4-7 free; n1: job 21 on all
// 8 until now + 5 h. An 8-GPU gang fits on n0 in 2 h.
ClusterSnapshot TwoNodes() {
  return ClusterBuilder()
      .AddNodes(2, 8)
      .Run(RunningJobBuilder(20).On("n0", {0, 1, 2, 3}).Ends(kNow + 2 * kHour))
      .Run(RunningJobBuilder(21).On("n1", {0, 1, 2, 3, 4, 5, 6, 7}).Ends(kNow + 5 * kHour));
}

const PendingJob kGang8 = PendingJobBuilder(1).Gang(1, 8);
const std::vector<Placement> kNonePlaced;

int32_t HeldBack(const Backfill& b) {
  int32_t n = 0;
  for (const auto& a : b.held_back()) n += static_cast<int32_t>(a.gpus.size());
  return n;
}

TEST(CoreBackfillStage, TheFirstBlockedJobReservesWhereAndWhenItWillStart) {
  ClusterSnapshot c = TwoNodes();
  QueueSnapshot q = QueueBuilder();
  FreeIndex index(c);
  Backfill backfill(c, q, index, kNow);
  EXPECT_FALSE(backfill.reservation().has_value());
  EXPECT_TRUE(backfill.TryReserve(kGang8, kNonePlaced));
  ASSERT_TRUE(backfill.reservation().has_value());
  EXPECT_EQ(backfill.reservation()->job, 1u);
  EXPECT_EQ(backfill.reservation()->start, kNow + 2 * kHour);
  EXPECT_EQ(backfill.reservation()->gpus, (std::vector<NodeAllocation>{{"n0", {0, 1, 2, 3, 4, 5, 6, 7}}}));
}

TEST(CoreBackfillStage, TheReservedGpusThatAreFreeNowAreHeldBack) {
  ClusterSnapshot c = TwoNodes();
  QueueSnapshot q = QueueBuilder();
  FreeIndex index(c);
  Backfill backfill(c, q, index, kNow);
  ASSERT_EQ(index.total_free(), 4);
  ASSERT_TRUE(backfill.TryReserve(kGang8, kNonePlaced));
  EXPECT_EQ(backfill.held_back(), (std::vector<NodeAllocation>{{"n0", {4, 5, 6, 7}}}));
  EXPECT_EQ(index.total_free(), 0) << "no other job may take them";
}

TEST(CoreBackfillStage, AShortJobMayUseReservedGpusOnlyIfItEndsBeforeTheReservation) {
  ClusterSnapshot c = TwoNodes();
  QueueSnapshot q = QueueBuilder();
  FreeIndex index(c);
  Backfill backfill(c, q, index, kNow);
  ASSERT_TRUE(backfill.TryReserve(kGang8, kNonePlaced));
  EXPECT_TRUE(backfill.EndsBeforeReservation(2 * kHour)) << "ending exactly at the start is in time";
  EXPECT_FALSE(backfill.EndsBeforeReservation(3 * kHour));
  EXPECT_FALSE(backfill.EndsBeforeReservation(0)) << "a job without a limit may run forever";
  EXPECT_EQ(backfill.PlaceWithReservedGpus(PendingJobBuilder(2).Gpus(2), 3 * kHour), std::nullopt);
  EXPECT_EQ(backfill.PlaceWithReservedGpus(PendingJobBuilder(3).Gpus(2), 0), std::nullopt);
  EXPECT_EQ(HeldBack(backfill), 4);
  EXPECT_EQ(index.total_free(), 0) << "a refused job leaves the held-back GPUs held back";
  auto alloc = backfill.PlaceWithReservedGpus(PendingJobBuilder(4).Gpus(2), kHour);
  ASSERT_TRUE(alloc.has_value());
  EXPECT_EQ(*alloc, (std::vector<NodeAllocation>{{"n0", {4, 5}}}));
}

TEST(CoreBackfillStage, WhatAShortJobTakesIsNoLongerHeldBackAndIsLeftForTheCallerToTake) {
  ClusterSnapshot c = TwoNodes();
  QueueSnapshot q = QueueBuilder();
  FreeIndex index(c);
  Backfill backfill(c, q, index, kNow);
  ASSERT_TRUE(backfill.TryReserve(kGang8, kNonePlaced));
  ASSERT_TRUE(backfill.PlaceWithReservedGpus(PendingJobBuilder(2).Gpus(3), kHour).has_value());
  EXPECT_EQ(backfill.held_back(), (std::vector<NodeAllocation>{{"n0", {7}}}));
  EXPECT_EQ(index.total_free(), 3) << "the cycle takes the job's GPUs when it commits the placement";
}

TEST(CoreBackfillStage, WithoutAReservationNothingEndsBeforeIt) {
  ClusterSnapshot c = TwoNodes();
  QueueSnapshot q = QueueBuilder();
  FreeIndex index(c);
  Backfill backfill(c, q, index, kNow);
  EXPECT_FALSE(backfill.EndsBeforeReservation(kMinute));
  EXPECT_EQ(backfill.PlaceWithReservedGpus(PendingJobBuilder(2), kMinute), std::nullopt);
}

TEST(CoreBackfillStage, OneReservationPerCycle) {
  ClusterSnapshot c = TwoNodes();
  QueueSnapshot q = QueueBuilder();
  FreeIndex index(c);
  Backfill backfill(c, q, index, kNow);
  ASSERT_TRUE(backfill.TryReserve(kGang8, kNonePlaced));
  EXPECT_FALSE(backfill.TryReserve(PendingJobBuilder(2).Gang(1, 4), kNonePlaced));
  EXPECT_EQ(backfill.reservation()->job, 1u);
}

TEST(CoreBackfillStage, NoReservationWhenBackfillIsOff) {
  ClusterSnapshot c = TwoNodes();
  QueueSnapshot q = QueueBuilder().Backfill(false);
  FreeIndex index(c);
  Backfill backfill(c, q, index, kNow);
  EXPECT_FALSE(backfill.TryReserve(kGang8, kNonePlaced));
  EXPECT_FALSE(backfill.reservation().has_value());
  EXPECT_EQ(index.total_free(), 4);
}

TEST(CoreBackfillStage, OnlyABoundedNumberOfJobsTryToReserve) {
  // n0 is held by a job without a time limit: a 2-node gang can never be
  // reserved. After kMaxReservationAttempts of them, a job that could be
  // reserved is not even tried.
  ClusterSnapshot c = ClusterBuilder()
                          .AddNodes(2, 8)
                          .Run(RunningJobBuilder(20).On("n0", {0, 1, 2, 3, 4, 5, 6, 7}))
                          .Run(RunningJobBuilder(21).On("n1", {0, 1, 2, 3}).Ends(kNow + kHour));
  QueueSnapshot q = QueueBuilder();
  FreeIndex index(c);
  Backfill backfill(c, q, index, kNow);
  for (JobId id = 1; id <= Backfill::kMaxReservationAttempts; ++id)
    EXPECT_FALSE(backfill.TryReserve(PendingJobBuilder(id).Gang(2, 8), kNonePlaced));
  EXPECT_FALSE(backfill.TryReserve(PendingJobBuilder(100).Gang(1, 8), kNonePlaced));
  Backfill fresh(c, q, index, kNow);
  EXPECT_TRUE(fresh.TryReserve(PendingJobBuilder(100).Gang(1, 8), kNonePlaced))
      << "the job itself can be reserved";
}

TEST(CoreBackfillStage, JobsPlacedThisCycleReleaseTheirGpusAtTheirTimeLimit) {
  // The cycle placed job 5 on all of n0 (1 h limit) and job 6 on n1 (no
  // limit): only n0 comes free, in an hour.
  ClusterSnapshot c = ClusterBuilder().AddNodes(2, 8);
  QueueSnapshot q = QueueBuilder();
  FreeIndex index(c);
  Backfill backfill(c, q, index, kNow);
  std::vector<Placement> placed = {{5, {{"n0", {0, 1, 2, 3, 4, 5, 6, 7}}}},
                                   {6, {{"n1", {0, 1, 2, 3, 4, 5, 6, 7}}}}};
  for (const auto& p : placed) index.Take(index.NodeIndex(p.nodes[0].node), p.nodes[0].gpus);
  backfill.RecordPlacement(kHour);
  backfill.RecordPlacement(0);
  ASSERT_TRUE(backfill.TryReserve(kGang8, placed));
  EXPECT_EQ(backfill.reservation()->start, kNow + kHour);
  EXPECT_EQ(backfill.reservation()->gpus[0].node, "n0");
}

TEST(CoreBackfillStage, AJobAlreadyEndingReleasesItsGpusNow) {
  ClusterSnapshot c = ClusterBuilder().AddNodes(1, 8).Run(
      RunningJobBuilder(20).On("n0", {0, 1, 2, 3, 4, 5, 6, 7}).Ends(kNow + 9 * kHour).Ending());
  QueueSnapshot q = QueueBuilder();
  FreeIndex index(c);
  Backfill backfill(c, q, index, kNow);
  ASSERT_TRUE(backfill.TryReserve(kGang8, kNonePlaced));
  EXPECT_EQ(backfill.reservation()->start, kNow);
}

}  // namespace
}  // namespace muster::core
