// The preemption stage (docs/policy.md, "One cycle", step 5) through
// Preemptor alone, on a free index and quota gate built by the test: who may
// be a victim, in which order victims are taken, and what a search claims
// for the rest of the cycle.
#include <gtest/gtest.h>

#include <vector>

#include "scheduler/core/free_index.h"
#include "scheduler/core/preemption.h"
#include "scheduler/core/quota.h"
#include "scheduler/core/snapshot.h"
#include "tests/unit/core_test_util.h"

namespace muster::core {
namespace {

// What a cycle hands the stage: the free GPUs and the queue use, built from
// the same snapshots it reads. Holds copies, so a test's temporaries are fine.
struct Stage {
  Stage(ClusterSnapshot c, QueueSnapshot qs) : cluster(std::move(c)), q(std::move(qs)) {}
  ClusterSnapshot cluster;
  QueueSnapshot q;
  FreeIndex index{cluster};
  QuotaGate quota{cluster, q};
  Preemptor preemptor{cluster, q, quota, index};

  const RunningJob& Running(JobId id) const {
    for (const auto& r : cluster.running)
      if (r.id == id) return r;
    ADD_FAILURE() << "no running job " << id;
    return cluster.running.front();
  }
  std::vector<JobId> Find(const PendingJob& j) {
    std::vector<JobId> ids;
    for (const RunningJob* r : preemptor.FindVictims(j).chosen) ids.push_back(r->id);
    return ids;
  }
};

// Queue 0 "batch" (tier 0), queue 1 "prod" (tier 1).
QueueBuilder TwoTiers() {
  QueueBuilder qb;
  qb.Queue(0, QueueConfigBuilder("batch")).Queue(1, QueueConfigBuilder("prod").Tier(1));
  return qb;
}

// A preemptible batch job on n0.
RunningJobBuilder Batch(JobId id, std::vector<int32_t> gpus) {
  RunningJobBuilder r(id);
  r.Queue(0).Preemptible().On("n0", std::move(gpus)).Started(kNow - kHour).Ends(kNow + 10 * kHour);
  return r;
}

const PendingJob kProd8 = PendingJobBuilder(1).Queue(1).Gang(1, 8);

TEST(CorePreemptionStage, AHigherTierMayPreemptOnlyPreemptibleJobsNotAlreadyEnding) {
  Stage s(ClusterBuilder()
              .AddNodes(1, 8)
              .Run(Batch(20, {0, 1}))
              .Run(Batch(21, {2, 3}).Preemptible(false))
              .Run(Batch(22, {4, 5}).Ending()),
          TwoTiers());
  EXPECT_TRUE(s.preemptor.MayPreempt(kProd8, s.Running(20), 8));
  EXPECT_FALSE(s.preemptor.MayPreempt(kProd8, s.Running(21), 8));
  EXPECT_FALSE(s.preemptor.MayPreempt(kProd8, s.Running(22), 8));
  EXPECT_FALSE(s.preemptor.MayPreempt(PendingJobBuilder(2).Queue(0), s.Running(20), 1))
      << "same tier, no guarantee";
}

TEST(CorePreemptionStage, AQueueBelowItsGuaranteeMayReclaimOnlyFromBorrowers) {
  // "a" is guaranteed 8 and uses none; "b" uses 4 of its 2; "c" 2 of its 4.
  Stage s(ClusterBuilder()
              .AddNodes(1, 8)
              .Run(Batch(20, {0, 1, 2, 3}).Queue(1))
              .Run(Batch(21, {4, 5}).Queue(2))
              .Run(Batch(22, {6}).Queue(0)),
          QueueBuilder()
              .Queue(0, QueueConfigBuilder("a").Guaranteed(8))
              .Queue(1, QueueConfigBuilder("b").Guaranteed(2))
              .Queue(2, QueueConfigBuilder("c").Guaranteed(4)));
  PendingJob a4 = PendingJobBuilder(1).Queue(0).Gpus(4);
  EXPECT_TRUE(s.preemptor.MayPreempt(a4, s.Running(20), 4));
  EXPECT_FALSE(s.preemptor.MayPreempt(a4, s.Running(21), 4)) << "c is within its guarantee";
  EXPECT_FALSE(s.preemptor.MayPreempt(a4, s.Running(22), 4)) << "never its own queue";
  EXPECT_FALSE(s.preemptor.MayPreempt(PendingJobBuilder(2).Queue(0).Gpus(8), s.Running(20), 8))
      << "1 used + 8 is more than the guarantee";
}

TEST(CorePreemptionStage, NoAttemptWithoutARightOrABudget) {
  Stage none(ClusterBuilder().AddNodes(1, 8).Run(Batch(20, {0, 1, 2, 3, 4, 5, 6, 7}).Preemptible(false)),
             TwoTiers());
  EXPECT_FALSE(none.preemptor.MayAttempt(kProd8, 8)) << "nothing preemptible runs";
  Stage same_tier(ClusterBuilder().AddNodes(1, 8).Run(Batch(20, {0, 1, 2, 3, 4, 5, 6, 7})), TwoTiers());
  EXPECT_FALSE(same_tier.preemptor.MayAttempt(PendingJobBuilder(2).Queue(0).Gang(1, 8), 8));
  Stage no_budget(ClusterBuilder().AddNodes(1, 8).Run(Batch(20, {0, 1, 2, 3, 4, 5, 6, 7})),
                  TwoTiers().MaxPreemptionAttempts(0));
  EXPECT_FALSE(no_budget.preemptor.MayAttempt(kProd8, 8));
}

TEST(CorePreemptionStage, EachSearchSpendsOneAttemptOfTheBudget) {
  Stage s(ClusterBuilder().AddNodes(2, 8).Run(Batch(20, {0, 1, 2, 3, 4, 5, 6, 7})).AllBusy("n1"),
          TwoTiers().MaxPreemptionAttempts(1));
  EXPECT_TRUE(s.preemptor.MayAttempt(kProd8, 8));
  s.preemptor.FindVictims(kProd8);
  EXPECT_EQ(s.preemptor.attempts(), 1);
  EXPECT_FALSE(s.preemptor.MayAttempt(PendingJobBuilder(2).Queue(1).Gang(1, 1), 1));
}

TEST(CorePreemptionStage, BorrowersArePreemptedBeforeLowerPriorityNonBorrowers) {
  Stage s(ClusterBuilder()
              .AddNodes(1, 8)
              .Run(Batch(20, {0, 1, 2, 3}).Queue(0).Priority(0))
              .Run(Batch(21, {4, 5, 6, 7}).Queue(1).Priority(10).Started(kNow - 5 * kHour)),
          QueueBuilder()
              .Queue(0, QueueConfigBuilder("a").Guaranteed(8))
              .Queue(1, QueueConfigBuilder("b"))
              .Queue(2, QueueConfigBuilder("prod").Tier(1)));
  EXPECT_EQ(s.Find(PendingJobBuilder(1).Queue(2).Gang(1, 4)), (std::vector<JobId>{21}));
}

TEST(CorePreemptionStage, AmongEqualsTheLowestPriorityThenTheYoungestGoes) {
  Stage by_priority(ClusterBuilder()
                        .AddNodes(1, 8)
                        .Run(Batch(20, {0, 1, 2, 3}).Priority(5).Started(kNow - 10 * kMinute))
                        .Run(Batch(21, {4, 5, 6, 7}).Priority(1).Started(kNow - 5 * kHour)),
                    TwoTiers());
  EXPECT_EQ(by_priority.Find(PendingJobBuilder(1).Queue(1).Gang(1, 4)), (std::vector<JobId>{21}));
  Stage by_age(ClusterBuilder()
                   .AddNodes(1, 8)
                   .Run(Batch(20, {0, 1, 2, 3}).Started(kNow - 2 * kHour))
                   .Run(Batch(21, {4, 5, 6, 7}).Started(kNow - kHour)),
               TwoTiers());
  EXPECT_EQ(by_age.Find(PendingJobBuilder(1).Queue(1).Gang(1, 4)), (std::vector<JobId>{21}));
}

TEST(CorePreemptionStage, VictimsThatTurnOutUnnecessaryAreDropped) {
  // The youngest (2 GPUs) is tried first but does not make a 6-GPU gang fit;
  // once the 6-GPU job is added, the 2-GPU one is not needed any more.
  Stage s(ClusterBuilder()
              .AddNodes(1, 8)
              .Run(Batch(20, {0, 1}).Started(kNow - 10 * kMinute))
              .Run(Batch(21, {2, 3, 4, 5, 6, 7}).Started(kNow - 2 * kHour)),
          TwoTiers());
  EXPECT_EQ(s.Find(PendingJobBuilder(1).Queue(1).Gang(1, 6)), (std::vector<JobId>{21}));
  EXPECT_FALSE(s.preemptor.claimed(20));
  EXPECT_TRUE(s.preemptor.claimed(21));
}

TEST(CorePreemptionStage, JobsAlreadyLeavingAreCountedBeforeAnyVictim) {
  Stage s(ClusterBuilder()
              .AddNodes(1, 8)
              .Run(Batch(20, {0, 1, 2, 3}))
              .Run(Batch(21, {4, 5, 6, 7}).Preemptible(false).Ending()),
          TwoTiers());
  Preemptor::Victims v = s.preemptor.FindVictims(PendingJobBuilder(1).Queue(1).Gang(1, 4));
  EXPECT_TRUE(v.chosen.empty());
  EXPECT_TRUE(v.wait_for_leavers) << "the leaving job's GPUs are enough";
  EXPECT_TRUE(s.preemptor.claimed(21));
  EXPECT_FALSE(s.preemptor.claimed(20));
}

TEST(CorePreemptionStage, AVictimIsNeverChosenTwiceAndItsPlaceStaysHeld) {
  // n0: 4 free GPUs and a 4-GPU victim. The first 8-GPU preemptor claims
  // the victim and holds the 4 free GPUs; nothing is left for a second one.
  Stage s(ClusterBuilder().AddNodes(1, 8).Run(Batch(20, {4, 5, 6, 7})), TwoTiers());
  EXPECT_EQ(s.index.total_free(), 4);
  EXPECT_EQ(s.Find(kProd8), (std::vector<JobId>{20}));
  EXPECT_EQ(s.index.total_free(), 0) << "the preemptor's free GPUs are held for it";
  EXPECT_FALSE(s.preemptor.MayPreempt(PendingJobBuilder(2).Queue(1).Gang(1, 8), s.Running(20), 8));
  EXPECT_TRUE(s.Find(PendingJobBuilder(2).Queue(1).Gang(1, 8)).empty());
}

TEST(CorePreemptionStage, AFutileSearchClaimsNothingAndLeavesTheFreeGpusAsTheyWere) {
  Stage s(ClusterBuilder()
              .AddNodes(1, 8)
              .Run(Batch(20, {0, 1, 2, 3}).Preemptible(false))
              .Run(Batch(21, {4, 5, 6}))
              .Run(Batch(22, {7}).Ending()),
          TwoTiers());
  Preemptor::Victims v = s.preemptor.FindVictims(kProd8);
  EXPECT_TRUE(v.chosen.empty());
  EXPECT_FALSE(v.wait_for_leavers);
  EXPECT_FALSE(s.preemptor.claimed(21));
  EXPECT_FALSE(s.preemptor.claimed(22));
  EXPECT_EQ(s.index.total_free(), 0);
}

}  // namespace
}  // namespace muster::core
