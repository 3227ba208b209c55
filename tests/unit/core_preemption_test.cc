// Preemption (docs/policy.md): a blocked job of a higher tier, or of a
// queue below its guarantee, preempts preemptible jobs — borrowers first,
// then lowest priority, then youngest — the fewest that make it fit; never a
// non-preemptible job, never one already ending, and nothing at all when no
// rule allows it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "scheduler/core/free_index.h"
#include "scheduler/core/gang.h"
#include "scheduler/core/policy.h"
#include "scheduler/core/snapshot.h"
#include "tests/unit/core_test_util.h"
#include "tests/unit/known_bug.h"

namespace muster::core {
namespace {

// Queue 0 "batch" (tier 0) and queue 1 "prod" (tier 1).
QueueBuilder TwoTiers() {
  QueueBuilder qb;
  qb.Queue(0, QueueConfigBuilder("batch").Tier(0)).Queue(1, QueueConfigBuilder("prod").Tier(1));
  return qb;
}

// A preemptible batch job on n0.
RunningJobBuilder Batch(JobId id, std::vector<int32_t> gpus) {
  RunningJobBuilder r(id);
  r.Queue(0).Preemptible().On("n0", std::move(gpus)).Started(kNow - kHour).Ends(kNow + 10 * kHour);
  return r;
}

TEST(CorePreemption, HigherTierPreemptsAPreemptibleLowerTierJob) {
  ClusterSnapshot c = ClusterBuilder().AddNodes(1, 8).Run(Batch(20, {0, 1, 2, 3, 4, 5, 6, 7}));
  Plan plan = Decide(c, TwoTiers().Add(PendingJobBuilder(1).Queue(1).Gang(1, 8)), kNow);
  ASSERT_EQ(plan.preemptions.size(), 1u);
  EXPECT_EQ(plan.preemptions[0].victim, 20u);
  EXPECT_EQ(plan.preemptions[0].for_job, 1u);
  EXPECT_FALSE(plan.preemptions[0].why.empty());
  EXPECT_EQ(FindPlacement(plan, 1), nullptr) << "it starts when the victim has gone, not now";
  const PendingVerdict* v = FindVerdict(plan, 1);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->reason, PendingReason::kResources);
  EXPECT_NE(v->detail.find("preempting job(s) 20"), std::string::npos) << v->detail;
}

TEST(CorePreemption, PicksTheFewestVictimsThatMakeItFit) {
  // The youngest (2 GPUs) alone does not help a 6-GPU job; the 6-GPU victim
  // alone does, so only it goes.
  ClusterSnapshot c = ClusterBuilder()
                          .AddNodes(1, 8)
                          .Run(Batch(20, {0, 1}).Started(kNow - 10 * kMinute))
                          .Run(Batch(21, {2, 3, 4, 5, 6, 7}).Started(kNow - 2 * kHour));
  Plan plan = Decide(c, TwoTiers().Add(PendingJobBuilder(1).Queue(1).Gang(1, 6)), kNow);
  EXPECT_EQ(Victims(plan), (std::vector<JobId>{21}));
}

TEST(CorePreemption, TakesAsManyVictimsAsTheGangNeedsAndNoMore) {
  ClusterSnapshot c = ClusterBuilder()
                          .AddNodes(1, 8)
                          .Run(Batch(20, {0, 1}))
                          .Run(Batch(21, {2, 3}))
                          .Run(Batch(22, {4, 5}))
                          .Run(Batch(23, {6, 7}));
  Plan plan = Decide(c, TwoTiers().Add(PendingJobBuilder(1).Queue(1).Gpus(4)), kNow);
  EXPECT_EQ(plan.preemptions.size(), 2u);
}

TEST(CorePreemption, BorrowersGoFirst) {
  // "a" uses 4 of its guaranteed 8; "b" borrows all it uses. b's job goes
  // although a's has the lower priority.
  ClusterSnapshot c = ClusterBuilder()
                          .AddNodes(1, 8)
                          .Run(Batch(20, {0, 1, 2, 3}).Queue(0).Priority(0))
                          .Run(Batch(21, {4, 5, 6, 7}).Queue(1).Priority(10).Started(kNow - 5 * kHour));
  QueueSnapshot q = QueueBuilder()
                        .Queue(0, QueueConfigBuilder("a").Guaranteed(8))
                        .Queue(1, QueueConfigBuilder("b"))
                        .Queue(2, QueueConfigBuilder("prod").Tier(1))
                        .Add(PendingJobBuilder(1).Queue(2).Gang(1, 4));
  EXPECT_EQ(Victims(Decide(c, q, kNow)), (std::vector<JobId>{21}));
}

TEST(CorePreemption, ThenTheLowestPriority) {
  ClusterSnapshot c = ClusterBuilder()
                          .AddNodes(1, 8)
                          .Run(Batch(20, {0, 1, 2, 3}).Priority(5).Started(kNow - 10 * kMinute))
                          .Run(Batch(21, {4, 5, 6, 7}).Priority(1).Started(kNow - 5 * kHour));
  EXPECT_EQ(Victims(Decide(c, TwoTiers().Add(PendingJobBuilder(1).Queue(1).Gang(1, 4)), kNow)),
            (std::vector<JobId>{21}));
}

TEST(CorePreemption, ThenTheYoungest) {
  ClusterSnapshot c = ClusterBuilder()
                          .AddNodes(1, 8)
                          .Run(Batch(20, {0, 1, 2, 3}).Started(kNow - 2 * kHour))
                          .Run(Batch(21, {4, 5, 6, 7}).Started(kNow - kHour));
  EXPECT_EQ(Victims(Decide(c, TwoTiers().Add(PendingJobBuilder(1).Queue(1).Gang(1, 4)), kNow)),
            (std::vector<JobId>{21}));
}

TEST(CorePreemption, NeverANonPreemptibleJob) {
  ClusterSnapshot c = ClusterBuilder().AddNodes(1, 8).Run(
      Batch(20, {0, 1, 2, 3, 4, 5, 6, 7}).Preemptible(false).Ends(kNow + kHour));
  Plan plan = Decide(c, TwoTiers().Add(PendingJobBuilder(1).Queue(1).Gang(1, 8)), kNow);
  EXPECT_TRUE(plan.preemptions.empty());
  ASSERT_NE(FindVerdict(plan, 1), nullptr);
  EXPECT_EQ(FindVerdict(plan, 1)->eta, kNow + kHour) << "it waits for the job to end instead";
}

TEST(CorePreemption, NoUselessVictimWhenANonPreemptibleJobStillBlocks) {
  ClusterSnapshot c = ClusterBuilder()
                          .AddNodes(1, 8)
                          .Run(Batch(20, {0, 1, 2, 3}).Preemptible(false))
                          .Run(Batch(21, {4, 5, 6, 7}));
  Plan plan = Decide(c, TwoTiers().Add(PendingJobBuilder(1).Queue(1).Gang(1, 8)), kNow);
  EXPECT_TRUE(plan.preemptions.empty());
}

TEST(CorePreemption, AnEndingJobIsNeverAVictimAndItsGpusMeanNoNewVictim) {
  ClusterSnapshot c = ClusterBuilder()
                          .AddNodes(1, 8)
                          .Run(Batch(20, {0, 1, 2, 3}).Ending().Started(kNow - 10 * kMinute))
                          .Run(Batch(21, {4, 5, 6, 7}).Started(kNow - 2 * kHour));
  Plan plan = Decide(c, TwoTiers().Add(PendingJobBuilder(1).Queue(1).Gang(1, 4)), kNow);
  EXPECT_TRUE(plan.preemptions.empty()) << "victim " << plan.preemptions[0].victim;
  ASSERT_NE(FindVerdict(plan, 1), nullptr);
  EXPECT_EQ(FindVerdict(plan, 1)->eta, kNow) << FindVerdict(plan, 1)->detail;
}

TEST(CorePreemption, AnEndingJobsGpusCountBeforeChoosingVictimsForTheRest) {
  ClusterSnapshot c = ClusterBuilder()
                          .AddNodes(1, 8)
                          .Run(Batch(20, {0, 1}).Ending())
                          .Run(Batch(21, {2, 3}).Started(kNow - 10 * kMinute))
                          .Run(Batch(22, {4, 5, 6, 7}).Started(kNow - 2 * kHour));
  Plan plan = Decide(c, TwoTiers().Add(PendingJobBuilder(1).Queue(1).Gang(1, 4)), kNow);
  EXPECT_EQ(Victims(plan), (std::vector<JobId>{21}));
}

TEST(CorePreemption, AQueueBelowItsGuaranteeReclaimsFromABorrower) {
  // Same tier: "a" is guaranteed 8 and uses none; "b" borrows all 8.
  ClusterSnapshot c = ClusterBuilder().AddNodes(1, 8).Run(Batch(20, {0, 1, 2, 3, 4, 5, 6, 7}).Queue(1));
  QueueSnapshot q = QueueBuilder()
                        .Queue(0, QueueConfigBuilder("a").Guaranteed(8))
                        .Queue(1, QueueConfigBuilder("b"))
                        .Add(PendingJobBuilder(1).Queue(0).Gang(1, 4));
  EXPECT_EQ(Victims(Decide(c, q, kNow)), (std::vector<JobId>{20}));
}

TEST(CorePreemption, NoReclaimForMoreThanTheGuarantee) {
  ClusterSnapshot c = ClusterBuilder().AddNodes(1, 8).Run(Batch(20, {0, 1, 2, 3, 4, 5, 6, 7}).Queue(1));
  QueueSnapshot q = QueueBuilder()
                        .Queue(0, QueueConfigBuilder("a").Guaranteed(2))
                        .Queue(1, QueueConfigBuilder("b"))
                        .Add(PendingJobBuilder(1).Queue(0).Gang(1, 4));
  EXPECT_TRUE(Decide(c, q, kNow).preemptions.empty());
}

TEST(CorePreemption, NoReclaimFromAQueueWithinItsOwnGuarantee) {
  ClusterSnapshot c = ClusterBuilder().AddNodes(1, 8).Run(Batch(20, {0, 1, 2, 3, 4, 5, 6, 7}).Queue(1));
  QueueSnapshot q = QueueBuilder()
                        .Queue(0, QueueConfigBuilder("a").Guaranteed(8))
                        .Queue(1, QueueConfigBuilder("b").Guaranteed(8))
                        .Add(PendingJobBuilder(1).Queue(0).Gang(1, 4));
  EXPECT_TRUE(Decide(c, q, kNow).preemptions.empty());
}

TEST(CorePreemption, NothingIsPreemptedWhenNoRuleAllowsIt) {
  ClusterSnapshot c = ClusterBuilder().AddNodes(1, 8).Run(Batch(20, {0, 1, 2, 3, 4, 5, 6, 7}).Queue(1));
  // Same tier, no guarantees.
  QueueSnapshot same = QueueBuilder()
                           .Queue(0, QueueConfigBuilder("a"))
                           .Queue(1, QueueConfigBuilder("b"))
                           .Add(PendingJobBuilder(1).Queue(0).Priority(1000).Gang(1, 4));
  EXPECT_TRUE(Decide(c, same, kNow).preemptions.empty());
  // A lower tier never preempts a higher one.
  QueueSnapshot lower = QueueBuilder()
                            .Queue(0, QueueConfigBuilder("a").Tier(0))
                            .Queue(1, QueueConfigBuilder("b").Tier(1))
                            .Add(PendingJobBuilder(1).Queue(0).Gang(1, 4));
  EXPECT_TRUE(Decide(c, lower, kNow).preemptions.empty());
  // Within one queue, priority alone preempts nothing.
  ClusterSnapshot c0 = ClusterBuilder().AddNodes(1, 8).Run(Batch(20, {0, 1, 2, 3, 4, 5, 6, 7}).Queue(0));
  EXPECT_TRUE(
      Decide(c0, QueueBuilder().Add(PendingJobBuilder(1).Priority(99).Gang(1, 4)), kNow).preemptions.empty());
}

TEST(CorePreemption, NoneWhenTheJobFitsInFreeGpus) {
  ClusterSnapshot c = ClusterBuilder().AddNodes(1, 8).Run(Batch(20, {0, 1, 2, 3}));
  Plan plan = Decide(c, TwoTiers().Add(PendingJobBuilder(1).Queue(1).Gang(1, 4)), kNow);
  EXPECT_TRUE(plan.preemptions.empty());
  EXPECT_NE(FindPlacement(plan, 1), nullptr);
}

TEST(CorePreemption, QuotaComesFirst) {
  ClusterSnapshot c = ClusterBuilder().AddNodes(1, 8).Run(Batch(20, {0, 1, 2, 3, 4, 5, 6, 7}));
  QueueSnapshot q = QueueBuilder()
                        .Queue(0, QueueConfigBuilder("batch"))
                        .Queue(1, QueueConfigBuilder("prod").Tier(1).Max(4))
                        .Add(PendingJobBuilder(1).Queue(1).Gang(1, 8));
  Plan plan = Decide(c, q, kNow);
  EXPECT_TRUE(plan.preemptions.empty());
  EXPECT_EQ(FindVerdict(plan, 1)->reason, PendingReason::kQuota);
}

TEST(CorePreemption, AttemptsPerCycleAreBounded) {
  ClusterSnapshot c = ClusterBuilder().AddNodes(1, 8).Run(Batch(20, {0, 1, 2, 3, 4, 5, 6, 7}));
  QueueBuilder qb = TwoTiers();
  qb.MaxPreemptionAttempts(0).Add(PendingJobBuilder(1).Queue(1).Gang(1, 8));
  EXPECT_TRUE(Decide(c, qb, kNow).preemptions.empty());
}

// BUG (double booking): when no set of victims makes the blocked job fit,
// FindVictims clears `chosen` without taking back the candidates' GPUs it
// gave to the free index (policy.cc, `else { chosen.clear(); }`), so the rest
// of the cycle sees a running job's GPUs as free and places other jobs on
// them.
TEST(CorePreemption, AFutileSearchForVictimsGivesNoBusyGpuAway) {
  // The prod job needs all of n0, but job 21 cannot be preempted (and has no
  // end, so no reservation hides the damage): the search is futile. Job 20's
  // GPUs must stay busy for the batch job behind it.
  ClusterSnapshot c = ClusterBuilder()
                          .AddNodes(1, 8)
                          .Run(Batch(20, {0, 1, 2, 3}))
                          .Run(Batch(21, {4, 5, 6, 7}).Preemptible(false).Ends(kNoTime));
  QueueSnapshot q =
      TwoTiers().Add(PendingJobBuilder(1).Queue(1).Gang(1, 8)).Add(PendingJobBuilder(2).Queue(0).Gang(1, 4));
  Plan plan = Decide(c, q, kNow);
  EXPECT_TRUE(plan.preemptions.empty());
  const Placement* p = FindPlacement(plan, 2);
  EXPECT_EQ(p, nullptr) << "job 2 was placed on " << p->nodes[0].node << " GPUs " << p->nodes[0].gpus[0]
                        << ".." << p->nodes[0].gpus.back() << ", which running job 20 holds";
}

// BUG: each blocked job looks for victims among all running jobs, including
// those an earlier job of the same cycle already chose (policy.cc
// FindVictims / MayPreempt), so one victim is listed twice and the second
// job counts GPUs the first one will take.
TEST(CorePreemption, AVictimIsNeverChosenTwiceInOneCycle) {
  ClusterSnapshot c = ClusterBuilder()
                          .AddNodes(1, 8)
                          .Run(Batch(20, {0, 1, 2, 3}).Started(kNow - kHour))
                          .Run(Batch(21, {4, 5, 6, 7}).Started(kNow - 2 * kHour));
  QueueSnapshot q =
      TwoTiers().Add(PendingJobBuilder(1).Queue(1).Gang(1, 4)).Add(PendingJobBuilder(2).Queue(1).Gang(1, 4));
  Plan plan = Decide(c, q, kNow);
  ASSERT_EQ(plan.preemptions.size(), 2u);
  EXPECT_NE(plan.preemptions[0].victim, plan.preemptions[1].victim)
      << "job " << plan.preemptions[0].victim << " preempted for both " << plan.preemptions[0].for_job
      << " and " << plan.preemptions[1].for_job;
}

// BUG: the GPUs of a job already ending are counted for every blocked job
// of the cycle (FindVictims gives all `leaving` jobs' GPUs each time). Job 1
// will get job 20's GPUs; job 2 counts them again, so it picks no victim of
// its own and waits a whole preemption round for nothing.
TEST(CorePreemption, AnEndingJobsGpusAreNotCountedTwice) {
  ClusterSnapshot c =
      ClusterBuilder().AddNodes(1, 8).Run(Batch(20, {0, 1, 2, 3}).Ending()).Run(Batch(21, {4, 5, 6, 7}));
  QueueSnapshot q =
      TwoTiers().Add(PendingJobBuilder(1).Queue(1).Gang(1, 4)).Add(PendingJobBuilder(2).Queue(1).Gang(1, 4));
  Plan plan = Decide(c, q, kNow);
  ASSERT_EQ(plan.preemptions.size(), 1u);
  EXPECT_EQ(plan.preemptions[0].victim, 21u);
  EXPECT_EQ(plan.preemptions[0].for_job, 2u);
}

// BUG: after choosing victims the preempting job holds nothing, so a later
// job of the same plan takes the free GPUs its placement needs (policy.cc
// Consider: the preemption branch returns without holding them back). Next
// cycle the preemptor still does not fit: the victim was killed for nothing.
TEST(CorePreemption, GpusAPreemptorNeedsAreNotGivenAwayInTheSamePlan) {
  ClusterSnapshot c = ClusterBuilder().AddNodes(1, 8).Run(Batch(20, {0, 1, 2, 3}));
  QueueSnapshot q = TwoTiers()
                        .Add(PendingJobBuilder(1).Queue(1).Gang(1, 8))
                        .Add(PendingJobBuilder(2).Queue(0).Gpus(1));  // not preemptible, no limit
  Plan plan = Decide(c, q, kNow);
  ASSERT_EQ(Victims(plan), (std::vector<JobId>{20}));
  EXPECT_EQ(FindPlacement(plan, 2), nullptr) << "job 2 took GPU " << FindPlacement(plan, 2)->nodes[0].gpus[0]
                                             << " that job 1 preempted job 20 to get";
}

// BUG (memory safety): FindVictims' `give` passes FreeIndex::NodeIndex()
// straight to FreeIndex::Give, so a running job whose node is not in the
// snapshot (removed while the job is still recorded) makes it index
// schedulable_[-1] / free_[-1] (heap-buffer-overflow under ASan). The
// planner and FindVictims' own `take` skip unknown nodes; `give` does not.
// Run in a child process so a crash fails only this test. Without a
// sanitizer the stray write may go unnoticed and the test pass; under
// -fsanitize=address it fails every time.
TEST(CorePreemption, ARunningJobOnANodeMissingFromTheSnapshotIsIgnored) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ClusterSnapshot c = ClusterBuilder().AddNodes(1, 8).Run(Batch(21, {4, 5, 6, 7}).Preemptible(false));
        c.running.push_back(Batch(20, {0, 1, 2, 3}).On("removed-node", {0, 1, 2, 3}));
        for (int i = 0; i < 100; ++i) {
          Plan plan = Decide(c, TwoTiers().Add(PendingJobBuilder(1).Queue(1).Gang(1, 8)), kNow);
          if (!plan.preemptions.empty()) std::exit(2);
        }
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace muster::core
