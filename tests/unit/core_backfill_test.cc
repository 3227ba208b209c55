// EASY backfill (docs/policy.md; planner.h): the first blocked job
// reserves the place and time it will start at, computed from running jobs'
// expected ends; later jobs may start only if they end before that time or
// use GPUs the reservation does not need. And the test the issue asks for:
// a big gang at the head never starves behind a stream of 1-GPU jobs.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/base/strings.h"
#include "scheduler/core/free_index.h"
#include "scheduler/core/planner.h"
#include "scheduler/core/policy.h"
#include "scheduler/core/snapshot.h"
#include "tests/unit/core_test_util.h"

namespace muster::core {
namespace {

bool Reserved(const PendingVerdict* v) { return v && v->detail.rfind("reserved, starts by ", 0) == 0; }

// ---- the time planner on its own -------------------------------------------------------------

TEST(CorePlanner, StartsAtTheFirstReleaseThatMakesTheGangFit) {
  ClusterSnapshot c = ClusterBuilder()
                          .AddNodes(1, 8)
                          .Run(RunningJobBuilder(10).On("n0", {0, 1, 2, 3}).Ends(kNow + 2 * kHour))
                          .Run(RunningJobBuilder(11).On("n0", {4, 5}).Ends(kNow + kHour));
  FreeIndex index(c);
  std::vector<Release> releases;
  for (const auto& r : c.running) releases.push_back({r.expected_end, &r.placement});
  auto res = PlanReservation(index, releases, PendingJobBuilder(1).Gang(1, 4), kNow);
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->job, 1u);
  EXPECT_EQ(res->start, kNow + kHour);
  EXPECT_EQ(res->gpus, (std::vector<NodeAllocation>{{"n0", {4, 5, 6, 7}}}));
  res = PlanReservation(index, releases, PendingJobBuilder(2).Gang(1, 8), kNow);
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->start, kNow + 2 * kHour);
}

TEST(CorePlanner, NeverWhenTheNeededGpusHaveNoEnd) {
  ClusterSnapshot c = ClusterBuilder().AddNodes(1, 8).Run(RunningJobBuilder(10).On("n0", {0, 1, 2, 3}));
  FreeIndex index(c);
  std::vector<Release> releases = {{kNoTime, &c.running[0].placement}};
  EXPECT_FALSE(PlanReservation(index, releases, PendingJobBuilder(1).Gang(1, 8), kNow).has_value());
  EXPECT_FALSE(PlanReservation(index, {}, PendingJobBuilder(1).Gang(1, 8), kNow).has_value());
}

TEST(CorePlanner, OverdueJobsCountAsEndingNow) {
  ClusterSnapshot c =
      ClusterBuilder().AddNodes(1, 8).Run(RunningJobBuilder(10).On("n0", {0, 1, 2, 3}).Ends(kNow - kHour));
  FreeIndex index(c);
  std::vector<Release> releases = {{c.running[0].expected_end, &c.running[0].placement}};
  auto res = PlanReservation(index, releases, PendingJobBuilder(1).Gang(1, 8), kNow);
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->start, kNow);
}

TEST(CorePlanner, JobsEndingAtTheSameInstantFreeTogetherBeforeTheBestFitIsChosen) {
  // At +1h both n0 (4 GPUs) and n1 (2 GPUs) free up; the 2-GPU job is
  // reserved on the tighter n1 whichever release is looked at first.
  ClusterSnapshot c = ClusterBuilder()
                          .AddNodes(2, 4)
                          .Run(RunningJobBuilder(10).On("n0", {0, 1, 2, 3}).Ends(kNow + kHour))
                          .Run(RunningJobBuilder(11).On("n1", {0, 1}).Ends(kNow + kHour))
                          .Run(RunningJobBuilder(12).On("n1", {2, 3}));
  FreeIndex index(c);
  std::vector<Release> releases;
  for (const auto& r : c.running) releases.push_back({r.expected_end, &r.placement});
  for (int order = 0; order < 2; ++order) {
    auto res = PlanReservation(index, releases, PendingJobBuilder(1).Gang(1, 2), kNow);
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->start, kNow + kHour);
    EXPECT_EQ(res->gpus, (std::vector<NodeAllocation>{{"n1", {0, 1}}}));
    std::reverse(releases.begin(), releases.end());
  }
}

// ---- reservations through Decide ------------------------------------------------------------

// n0: job 10 on GPUs 0-3 until +1h, GPUs 4-7 free.
ClusterSnapshot HalfBusyNode() {
  return ClusterBuilder().AddNodes(1, 8).Run(RunningJobBuilder(10).On("n0", {0, 1, 2, 3}).Ends(kNow + kHour));
}

TEST(CoreBackfill, FirstBlockedJobReservesAtTheShadowTime) {
  ClusterSnapshot c = ClusterBuilder()
                          .AddNodes(1, 8)
                          .Run(RunningJobBuilder(10).On("n0", {0, 1, 2, 3}).Ends(kNow + kHour))
                          .Run(RunningJobBuilder(11).On("n0", {4, 5}).Ends(kNow + 2 * kHour));
  Plan plan = Decide(c, QueueBuilder().Add(PendingJobBuilder(1).Gang(1, 8)), kNow);
  const PendingVerdict* v = FindVerdict(plan, 1);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->reason, PendingReason::kResources);
  EXPECT_EQ(v->eta, kNow + 2 * kHour);
  EXPECT_EQ(v->detail, "reserved, starts by " + FormatRfc3339(kNow + 2 * kHour));
  EXPECT_EQ(v->detail, "reserved, starts by 2026-11-26T18:00:00Z");
}

TEST(CoreBackfill, JobsPlacedEarlierInTheCycleCountTowardTheShadowTime) {
  ClusterSnapshot c = ClusterBuilder().AddNodes(1, 8);
  QueueSnapshot q = QueueBuilder()
                        .Add(PendingJobBuilder(1).Priority(5).Gpus(4).TimeLimit(3 * kHour))
                        .Add(PendingJobBuilder(2).Gang(1, 8));
  Plan plan = Decide(c, q, kNow);
  ASSERT_NE(FindPlacement(plan, 1), nullptr);
  ASSERT_TRUE(Reserved(FindVerdict(plan, 2)));
  EXPECT_EQ(FindVerdict(plan, 2)->eta, kNow + 3 * kHour);
}

TEST(CoreBackfill, ShortJobThatEndsBeforeTheShadowMayUseReservedGpus) {
  QueueSnapshot q = QueueBuilder()
                        .Add(PendingJobBuilder(1).Gang(1, 8))
                        .Add(PendingJobBuilder(2).Gpus(2).TimeLimit(30 * kMinute))
                        .Add(PendingJobBuilder(3).Gpus(2).TimeLimit(kHour));  // ends exactly at the shadow
  Plan plan = Decide(HalfBusyNode(), q, kNow);
  ASSERT_TRUE(Reserved(FindVerdict(plan, 1)));
  EXPECT_EQ(FindVerdict(plan, 1)->eta, kNow + kHour);
  ASSERT_NE(FindPlacement(plan, 2), nullptr);
  ASSERT_NE(FindPlacement(plan, 3), nullptr);
  EXPECT_EQ(FindPlacement(plan, 2)->nodes[0].node, "n0");
}

TEST(CoreBackfill, LongJobMayNotUseReservedGpus) {
  QueueSnapshot q = QueueBuilder()
                        .Add(PendingJobBuilder(1).Gang(1, 8))
                        .Add(PendingJobBuilder(2).Gpus(1).TimeLimit(kHour + kSecond))
                        .Add(PendingJobBuilder(3).Gpus(1));  // no time limit: may run forever
  Plan plan = Decide(HalfBusyNode(), q, kNow);
  ASSERT_TRUE(Reserved(FindVerdict(plan, 1)));
  EXPECT_TRUE(plan.placements.empty());
  for (JobId id : {2, 3}) {
    const PendingVerdict* v = FindVerdict(plan, id);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->reason, PendingReason::kResources);
    EXPECT_NE(v->detail.find("reserved for job 1"), std::string::npos) << v->detail;
  }
}

TEST(CoreBackfill, QueueDefaultTimeLimitLetsAJobBackfill) {
  QueueSnapshot q = QueueBuilder()
                        .Queue(0, QueueConfigBuilder("default").DefaultTimeLimit(20 * kMinute))
                        .Add(PendingJobBuilder(1).Gang(1, 8).TimeLimit(4 * kHour))
                        .Add(PendingJobBuilder(2).Gpus(1));
  Plan plan = Decide(HalfBusyNode(), q, kNow);
  ASSERT_TRUE(Reserved(FindVerdict(plan, 1)));
  EXPECT_NE(FindPlacement(plan, 2), nullptr);
}

TEST(CoreBackfill, LongJobMayUseGpusTheReservationDoesNotNeed) {
  // The 1x8 gang reserves n0 at +1h; n1's two free GPUs are not part of it.
  ClusterSnapshot c = ClusterBuilder()
                          .AddNodes(2, 8)
                          .Run(RunningJobBuilder(10).On("n0", {0, 1, 2, 3}).Ends(kNow + kHour))
                          .Run(RunningJobBuilder(11).On("n1", {0, 1, 2, 3, 4, 5}).Ends(kNow + 5 * kHour));
  QueueSnapshot q = QueueBuilder()
                        .Add(PendingJobBuilder(1).Gang(1, 8))
                        .Add(PendingJobBuilder(2).Gpus(2))   // no limit
                        .Add(PendingJobBuilder(3).Gpus(1));  // no limit, nothing unreserved left
  Plan plan = Decide(c, q, kNow);
  ASSERT_TRUE(Reserved(FindVerdict(plan, 1)));
  EXPECT_EQ(FindVerdict(plan, 1)->eta, kNow + kHour);
  ASSERT_NE(FindPlacement(plan, 2), nullptr);
  EXPECT_EQ(FindPlacement(plan, 2)->nodes, (std::vector<NodeAllocation>{{"n1", {6, 7}}}));
  ASSERT_NE(FindVerdict(plan, 3), nullptr);
  EXPECT_EQ(FindPlacement(plan, 3), nullptr);
}

TEST(CoreBackfill, OnlyTheFirstBlockedJobHoldsAReservation) {
  QueueSnapshot q = QueueBuilder().Add(PendingJobBuilder(1).Gang(1, 8)).Add(PendingJobBuilder(2).Gang(1, 6));
  Plan plan = Decide(HalfBusyNode(), q, kNow);
  ASSERT_TRUE(Reserved(FindVerdict(plan, 1)));
  const PendingVerdict* v = FindVerdict(plan, 2);
  ASSERT_NE(v, nullptr);
  EXPECT_FALSE(Reserved(v));
  EXPECT_EQ(v->eta, kNoTime);
  EXPECT_NE(v->detail.find("reserved for job 1"), std::string::npos) << v->detail;
}

TEST(CoreBackfill, AJobThatCanNeverBeReservedLeavesTheReservationToTheNext) {
  // n0 is held by a job without a time limit: the 2x8 gang has no shadow
  // time, so the 1x8 behind it reserves n1.
  ClusterSnapshot c = ClusterBuilder()
                          .AddNodes(2, 8)
                          .Run(RunningJobBuilder(10).On("n0", {0, 1, 2, 3, 4, 5, 6, 7}))
                          .Run(RunningJobBuilder(11).On("n1", {0, 1, 2, 3}).Ends(kNow + kHour));
  QueueSnapshot q = QueueBuilder()
                        .Add(PendingJobBuilder(1).Gang(2, 8))
                        .Add(PendingJobBuilder(2).Gang(1, 8))
                        .Add(PendingJobBuilder(3).Gpus(1));
  Plan plan = Decide(c, q, kNow);
  ASSERT_NE(FindVerdict(plan, 1), nullptr);
  EXPECT_FALSE(Reserved(FindVerdict(plan, 1)));
  ASSERT_TRUE(Reserved(FindVerdict(plan, 2)));
  EXPECT_EQ(FindVerdict(plan, 2)->eta, kNow + kHour);
  EXPECT_EQ(FindPlacement(plan, 3), nullptr);
}

TEST(CoreBackfill, EndingJobsReleaseTheirGpusNow) {
  ClusterSnapshot c = ClusterBuilder().AddNodes(1, 8).Run(
      RunningJobBuilder(10).On("n0", {0, 1, 2, 3}).Ends(kNow + 5 * kHour).Ending());
  Plan plan = Decide(c, QueueBuilder().Add(PendingJobBuilder(1).Gang(1, 8)), kNow);
  ASSERT_TRUE(Reserved(FindVerdict(plan, 1)));
  EXPECT_EQ(FindVerdict(plan, 1)->eta, kNow);
}

TEST(CoreBackfill, WithBackfillOffNoJobHoldsAReservation) {
  QueueSnapshot q =
      QueueBuilder().Backfill(false).Add(PendingJobBuilder(1).Gang(1, 8)).Add(PendingJobBuilder(2).Gpus(1));
  Plan plan = Decide(HalfBusyNode(), q, kNow);
  EXPECT_FALSE(Reserved(FindVerdict(plan, 1)));
  EXPECT_EQ(FindVerdict(plan, 1)->eta, kNoTime);
}

// ---- no starvation -------------------------------------------------------------------------

// A tiny discrete-event loop around Decide: placed jobs run until now + their
// time limit (no limit: forever), then free their GPUs.
class Sim {
 public:
  Sim(ClusterSnapshot cluster, QueueSnapshot base, Time now)
      : c_(std::move(cluster)), base_(std::move(base)), now_(now) {}

  void Submit(PendingJob j) { pending_.push_back(std::move(j)); }

  Plan Cycle() {
    QueueSnapshot q = base_;
    q.pending = pending_;
    Plan plan = Decide(c_, q, now_);
    for (const auto& p : plan.placements) {
      auto it =
          std::find_if(pending_.begin(), pending_.end(), [&](const PendingJob& j) { return j.id == p.job; });
      EXPECT_NE(it, pending_.end());
      if (it == pending_.end()) continue;
      RunningJob r;
      r.id = p.job;
      r.start_time = now_;
      r.expected_end = it->time_limit > 0 ? now_ + it->time_limit : kNoTime;
      r.placement = p.nodes;
      for (const auto& a : p.nodes) {
        auto& free = Node(a.node).free_gpus;
        for (int32_t g : a.gpus) {
          auto f = std::find(free.begin(), free.end(), g);
          EXPECT_NE(f, free.end()) << "job " << p.job << " got busy GPU " << a.node << ":" << g;
          if (f != free.end()) free.erase(f);
        }
      }
      started_[p.job] = now_;
      c_.running.push_back(std::move(r));
      pending_.erase(it);
    }
    return plan;
  }

  // To the next job end, or `step` later, whichever is first; ends jobs due.
  void Advance(Duration step) {
    Time next = now_ + step;
    for (const auto& r : c_.running)
      if (r.expected_end != kNoTime && r.expected_end > now_) next = std::min(next, r.expected_end);
    now_ = next;
    for (auto it = c_.running.begin(); it != c_.running.end();) {
      if (it->expected_end != kNoTime && it->expected_end <= now_) {
        for (const auto& a : it->placement) {
          auto& free = Node(a.node).free_gpus;
          free.insert(free.end(), a.gpus.begin(), a.gpus.end());
          std::sort(free.begin(), free.end());
        }
        it = c_.running.erase(it);
      } else {
        ++it;
      }
    }
  }

  Time now() const { return now_; }
  const std::map<JobId, Time>& started() const { return started_; }
  const ClusterSnapshot& cluster() const { return c_; }

 private:
  NodeView& Node(const std::string& name) {
    for (auto& n : c_.nodes)
      if (n.name == name) return n;
    ADD_FAILURE() << "no node " << name;
    return c_.nodes.front();
  }

  ClusterSnapshot c_;
  QueueSnapshot base_;
  Time now_;
  std::vector<PendingJob> pending_;
  std::map<JobId, Time> started_;
};

// Both nodes start full of 1-GPU jobs ending every 15 minutes; a 2x8 gang
// is at the head of the queue; every cycle three more 1-GPU jobs arrive,
// short and long, some without a limit. The gang must start no later than
// the first reservation promised, and the reservation never slips.
void RunStarvationScenario(PendingJob gang, uint32_t seed) {
  ClusterBuilder cb;
  cb.AddNodes(2, 8, {{"rack", "r1"}, {"switch", "s1"}});
  JobId rid = 1000;
  for (int k = 0; k < 16; ++k)
    cb.Run(RunningJobBuilder(rid++)
               .On("n" + std::to_string(k % 2), {k / 2})
               .Ends(kNow + (k + 1) * 15 * kMinute));
  Sim sim(cb.Build(), QueueSnapshot{}, kNow);
  sim.Submit(gang);
  std::mt19937 rng(seed);
  const Duration kLimits[] = {10 * kMinute, 25 * kMinute, 45 * kMinute, 2 * kHour, 4 * kHour, 0};
  JobId next_id = 100;
  Time first_eta = kNoTime;
  int backfilled = 0;
  for (int cycle = 0; cycle < 300 && !sim.started().count(gang.id); ++cycle) {
    for (int k = 0; k < 3; ++k) {
      PendingJob j =
          PendingJobBuilder(next_id).Submitted(sim.now() + k).Gpus(1).TimeLimit(kLimits[rng() % 6]);
      ++next_id;
      sim.Submit(j);
    }
    Plan plan = sim.Cycle();
    if (sim.started().count(gang.id)) break;
    backfilled += static_cast<int>(plan.placements.size());
    const PendingVerdict* v = FindVerdict(plan, gang.id);
    ASSERT_NE(v, nullptr) << "cycle " << cycle;
    ASSERT_TRUE(Reserved(v)) << "cycle " << cycle << ": " << v->detail;
    if (first_eta == kNoTime) first_eta = v->eta;
    EXPECT_LE(v->eta, first_eta) << "cycle " << cycle << ": the reservation slipped";
    sim.Advance(5 * kMinute);
  }
  ASSERT_NE(first_eta, kNoTime);
  EXPECT_EQ(first_eta, kNow + 16 * 15 * kMinute) << "the shadow time is the last running job's end";
  ASSERT_TRUE(sim.started().count(gang.id)) << "the gang never started";
  EXPECT_LE(sim.started().at(gang.id), first_eta);
  // The test has teeth only if small jobs did run meanwhile.
  EXPECT_GT(backfilled, 5);
}

TEST(CoreBackfill, BigGangAtTheHeadNeverStarvesBehindAStreamOfOneGpuJobs) {
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RunStarvationScenario(PendingJobBuilder(1).Submitted(kNow - kHour).Gang(2, 8).TimeLimit(kHour), seed);
  }
}

TEST(CoreBackfill, SixteenGpuFlexibleJobNeverStarvesEither) {
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RunStarvationScenario(PendingJobBuilder(1).Submitted(kNow - kHour).Gpus(16), seed);
  }
}

}  // namespace
}  // namespace muster::core
