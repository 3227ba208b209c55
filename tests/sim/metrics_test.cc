// Percentiles, Jain's index and the per-policy summary against values worked
// out by hand.
#include "scheduler/sim/metrics.h"

#include <gtest/gtest.h>

namespace muster::sim {
namespace {

TEST(Percentile, NearestRank) {
  // The textbook example: 15 20 35 40 50.
  std::vector<double> v = {15, 20, 35, 40, 50};
  EXPECT_EQ(Percentile(v, 0), 15);
  EXPECT_EQ(Percentile(v, 5), 15);   // rank ceil(0.25) = 1
  EXPECT_EQ(Percentile(v, 30), 20);  // rank ceil(1.5) = 2
  EXPECT_EQ(Percentile(v, 40), 20);  // rank 2 exactly
  EXPECT_EQ(Percentile(v, 50), 35);  // rank ceil(2.5) = 3
  EXPECT_EQ(Percentile(v, 100), 50);
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  EXPECT_EQ(Percentile(hundred, 95), 95);
  EXPECT_EQ(Percentile(hundred, 99), 99);
  EXPECT_EQ(Percentile(hundred, 99.5), 100);
  EXPECT_EQ(Percentile({}, 50), 0);
  EXPECT_EQ(Percentile({7}, 99), 7);
}

TEST(Jain, HandValues) {
  EXPECT_DOUBLE_EQ(JainIndex({1, 1, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(JainIndex({1, 0, 0, 0}), 0.25);
  EXPECT_DOUBLE_EQ(JainIndex({1, 2, 3}), 36.0 / 42.0);  // (1+2+3)^2 / (3 * (1+4+9))
  EXPECT_DOUBLE_EQ(JainIndex({}), 1.0);
  EXPECT_DOUBLE_EQ(JainIndex({0, 0}), 1.0);
}

// Two teams, three jobs, a 4-GPU cluster, by hand:
//   job 1 (team a, 2 GPUs, 100 s): submit 0, runs 0-100          JCT 100, slowdown 1
//   job 2 (team a, 2 GPUs, 100 s): submit 0, runs 50-150 (queued 50)  JCT 150, slowdown 1.5
//   job 3 (team b, 4 GPUs, 10 s):  submit 100, runs 150-160       JCT 60, slowdown 6
// Team means: a = 1.25, b = 6. Jain = (7.25)^2 / (2 * (1.5625 + 36)) = 0.69983...
// GPUs held: 2x100 + 2x100 + 4x10 = 440 GPU-s over 4 GPUs x 160 s = 0.6875.
TEST(Summarize, HandWorkload) {
  Workload w;
  w.teams = {"a", "b"};
  w.queues = {"default"};
  auto job = [&](int id, int team, int gpus, double dur_s, double submit_s) {
    SimJob j;
    j.id = id;
    j.team = team;
    j.gpus = gpus;
    j.duration = static_cast<Duration>(dur_s * kSecond);
    j.submit = static_cast<Time>(1000 * kSecond + submit_s * kSecond);
    w.jobs.push_back(j);
  };
  job(1, 0, 2, 100, 0);
  job(2, 0, 2, 100, 0);
  job(3, 1, 4, 10, 100);
  w.jobs[2].deadline = w.jobs[2].submit + 30 * kSecond;  // missed (finishes at +60 s)
  RunOutcome o;
  o.runs.resize(3);
  Time base = 1000 * kSecond;
  auto done = [&](int i, double start, double finish) {
    o.runs[i].phase = Phase::kDone;
    o.runs[i].first_start = base + static_cast<Time>(start * kSecond);
    o.runs[i].finish = base + static_cast<Time>(finish * kSecond);
    o.runs[i].pending_total = o.runs[i].first_start - w.jobs[i].submit;
  };
  done(0, 0, 100);
  done(1, 50, 150);
  done(2, 150, 160);
  o.first_submit = base;
  o.last_finish = base + 160 * kSecond;
  o.total_gpus = 4;
  o.busy_gpu_us = 440.0 * kSecond;
  o.bucket = 100 * kSecond;
  o.busy_by_bucket = {300.0 * kSecond, 140.0 * kSecond};  // 2x100 + 2x50 | 2x50 + 4x10
  o.preemptions = 2;
  PolicyResult r = Summarize("x", w, o);
  EXPECT_EQ(r.jobs, 3);
  EXPECT_DOUBLE_EQ(r.avg_jct_s, 310.0 / 3);
  EXPECT_EQ(r.median_jct_s, 100);
  EXPECT_EQ(r.p95_jct_s, 150);
  EXPECT_DOUBLE_EQ(r.avg_queue_s, (0 + 50 + 50) / 3.0);
  EXPECT_EQ(r.makespan_s, 160);
  EXPECT_DOUBLE_EQ(r.utilization, 0.6875);
  EXPECT_EQ(r.preemptions, 2);
  EXPECT_EQ(r.deadline_misses, 1);
  EXPECT_NEAR(r.fairness, 7.25 * 7.25 / (2 * (1.25 * 1.25 + 36)), 1e-12);
  ASSERT_EQ(r.teams.size(), 2u);
  EXPECT_EQ(r.teams[0].team, "a");
  EXPECT_EQ(r.teams[0].jobs, 2);
  EXPECT_DOUBLE_EQ(r.teams[0].gpu_hours, 400.0 / 3600);
  EXPECT_DOUBLE_EQ(r.teams[0].avg_jct_s, 125);
  EXPECT_DOUBLE_EQ(r.teams[0].avg_slowdown, 1.25);
  EXPECT_DOUBLE_EQ(r.teams[1].avg_slowdown, 6);
  ASSERT_EQ(r.util_series.size(), 2u);
  EXPECT_DOUBLE_EQ(r.util_series[0], 300.0 / 400);
  EXPECT_DOUBLE_EQ(r.util_series[1], 140.0 / (4 * 60));  // the last bucket ends at the makespan
}

}  // namespace
}  // namespace muster::sim
