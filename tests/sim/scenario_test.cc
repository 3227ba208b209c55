// Hand-made scenarios whose outcomes are worked out in the comments, run
// through the real engine and policies (the production core for `muster`).
#include <gtest/gtest.h>

#include <random>

#include "scheduler/sim/report.h"
#include "tests/sim/sim_test_util.h"

namespace muster::sim {
namespace {

using testing::Jcts;
using testing::Prepare;
using testing::RunOne;
using testing::TinyOptions;

const char* kHeader = "job_id,submit_time_s,num_gpus,duration_s\n";

// One GPU; A (100 s) at 0, B (10 s) at 1, C (1 s) at 2.
//   fifo, muster, las (all in the first LAS queue, FIFO inside it):
//     A 0-100, B 100-110, C 110-111: JCTs 100, 109, 109.
const std::string kThree = std::string(kHeader) + "A,0,1,100\nB,1,1,10\nC,2,1,1\n";

TEST(Scenario, ThreeJobsNonPreemptive) {
  SimInputs in = Prepare(TinyOptions(1, 1), kThree);
  for (const char* p : {"fifo", "muster", "las"}) {
    RunOutcome o = RunOne(in, p);
    EXPECT_EQ(Jcts(in, o), (std::vector<double>{100, 109, 109})) << p;
    EXPECT_EQ(o.preemptions, 0) << p;
  }
}

// srtf with no grace and no lost work: B preempts A at 1 (A has 99 s left),
// C preempts B at 2 (B has 9 s left), C 2-3, B 3-12, A 12-111.
TEST(Scenario, ThreeJobsSrtfIdealPreemption) {
  SimOptions o = TinyOptions(1, 1);
  o.engine.grace = 0;
  o.engine.restart_overhead = 0;
  SimInputs in = Prepare(o, kThree);
  RunOutcome r = RunOne(in, "srtf");
  EXPECT_EQ(Jcts(in, r), (std::vector<double>{111, 11, 1}));
  EXPECT_EQ(r.preemptions, 2);
}

// srtf with the defaults (30 s grace, up to 60 s lost): B preempts A at 1;
// A loses its 1 s of work and its GPU stays busy until 31. C (1 s) arrives at
// 2 and, being shorter, claims that GPU ahead of B: C 31-32, B 32-42, then A
// runs its full 100 s again, 42-142.
TEST(Scenario, ThreeJobsSrtfWithGraceAndLostWork) {
  SimInputs in = Prepare(TinyOptions(1, 1), kThree);
  RunOutcome r = RunOne(in, "srtf");
  EXPECT_EQ(Jcts(in, r), (std::vector<double>{142, 41, 30}));
  EXPECT_EQ(r.preemptions, 1);
  PolicyResult s = Summarize("srtf", in.workload, r);
  EXPECT_DOUBLE_EQ(s.avg_jct_s, (142 + 41 + 30) / 3.0);
  // A waited 31-42 after its grace period, B 1-32, C 2-31.
  EXPECT_DOUBLE_EQ(s.avg_queue_s, (11 + 31 + 29) / 3.0);
}

// las preempts a long job once it has been demoted. One GPU; L runs 3 h from
// 0; S (10 min) arrives at 2 h. L passed 1 GPU-hour at 1 h, so S (first
// queue) preempts it at 7200: L keeps 7200 - 60 s of work (10800 - 7200 + 60
// = 3660 s left), its GPU frees at 7230, S runs 7230-7830, L 7830-11490.
TEST(Scenario, LasPreemptsDemotedLongJob) {
  SimInputs in = Prepare(TinyOptions(1, 1), std::string(kHeader) + "L,0,1,10800\nS,7200,1,600\n");
  RunOutcome las = RunOne(in, "las");
  EXPECT_EQ(Jcts(in, las), (std::vector<double>{11490, 630}));
  EXPECT_EQ(las.preemptions, 1);
  // muster and fifo let L finish: S runs 10800-11400.
  for (const char* p : {"muster", "fifo"})
    EXPECT_EQ(Jcts(in, RunOne(in, p)), (std::vector<double>{10800, 4200})) << p;
}

// The demotion itself wakes las up: S arrives at 1800, when L (attained 0.5
// GPU-hours) is still in the first queue and older, so S waits. At 3600 L is
// demoted and S preempts it: L has 10800 - 3600 + 60 = 7260 s left, S runs
// 3630-4230, L 4230-11490.
TEST(Scenario, LasDemotionWakesThePolicy) {
  SimInputs in = Prepare(TinyOptions(1, 1), std::string(kHeader) + "L,0,1,10800\nS,1800,1,600\n");
  RunOutcome las = RunOne(in, "las");
  EXPECT_EQ(Jcts(in, las), (std::vector<double>{11490, 2430}));
  EXPECT_EQ(las.preemptions, 1);
}

// Gangs, head-of-line blocking and EASY backfill. Two nodes of 4 GPUs:
// A (4 GPUs, 100 s) at 0, B (8 GPUs, 50 s) at 1, C (4 GPUs, 10 s) at 2.
//   fifo: B needs both nodes and blocks C: A 0-100, B 100-150, C 150-160.
//   muster with the default 24 h limits: B reserves both nodes at A's
//     expected end (24 h); C cannot end before that, so it waits too.
//   muster with exact limits: B's reservation is at 100 and C (10 s) ends
//     before it: C backfills 2-12 on the reserved node.
TEST(Scenario, GangHeadOfLineAndBackfill) {
  const std::string csv = std::string(kHeader) + "A,0,4,100\nB,1,8,50\nC,2,4,10\n";
  SimInputs in = Prepare(TinyOptions(2, 4), csv);
  EXPECT_EQ(Jcts(in, RunOne(in, "fifo")), (std::vector<double>{100, 149, 158}));
  EXPECT_EQ(Jcts(in, RunOne(in, "muster")), (std::vector<double>{100, 149, 158}));
  SimOptions exact = TinyOptions(2, 4);
  exact.workload.limit_factor = 1.0;
  SimInputs in2 = Prepare(exact, csv);
  RunOutcome r = RunOne(in2, "muster");
  EXPECT_EQ(Jcts(in2, r), (std::vector<double>{100, 149, 10}));
  // B got a whole node for each of its two 4-GPU ranks.
  ASSERT_EQ(r.runs[1].finish, in2.workload.jobs[1].submit + 149 * kSecond);
  // Without backfill (and the default limits) there is no reservation: C
  // starts at once on the free node, and B still starts at 100.
  SimOptions no_backfill = TinyOptions(2, 4);
  no_backfill.muster.backfill = false;
  SimInputs in3 = Prepare(no_backfill, csv);
  EXPECT_EQ(Jcts(in3, RunOne(in3, "muster")), (std::vector<double>{100, 149, 10}));
}

// Off-peak: the trace starts Monday 12:00 UTC, windows are weeknights
// 20:00-07:00, every job is deferrable (deadline = submit + 1 h run + 48 h).
// muster holds the 1-hour job until 20:00 (its 24 h limit still ends before
// the deadline): JCT 9 h, all of it off-peak. fifo runs it at once.
TEST(Scenario, OffpeakDeferralAndDeadline) {
  SimOptions o = TinyOptions(1, 1);
  o.workload.trace_start = "2024-01-01T12:00:00Z";
  o.workload.offpeak = {"Mon-Fri 20:00-07:00"};
  o.workload.deferrable_fraction = 1.0;
  SimInputs in = Prepare(o, std::string(kHeader) + "X,0,1,3600\n");
  ASSERT_EQ(in.workload.deferrable, 1);
  RunOutcome m = RunOne(in, "muster");
  EXPECT_EQ(Jcts(in, m), (std::vector<double>{9 * 3600}));
  PolicyResult ms = Summarize("muster", in.workload, m);
  EXPECT_DOUBLE_EQ(ms.offpeak_share, 1.0);
  EXPECT_EQ(ms.deadline_misses, 0);
  RunOutcome f = RunOne(in, "fifo");
  EXPECT_EQ(Jcts(in, f), (std::vector<double>{3600}));
  EXPECT_DOUBLE_EQ(Summarize("fifo", in.workload, f).offpeak_share, 0.0);
  // With no slack the deadline (13:00) forbids waiting: it runs now.
  o.workload.deadline_slack = 0;
  SimInputs tight = Prepare(o, std::string(kHeader) + "X,0,1,3600\n");
  EXPECT_EQ(Jcts(tight, RunOne(tight, "muster")), (std::vector<double>{3600}));
}

// Time limits: by default a job outlasting its limit runs on; with
// --kill-at-time-limit it ends at the limit (as musterd's TIMEOUT).
TEST(Scenario, TimeLimitKill) {
  SimOptions o = TinyOptions(1, 1);
  o.workload.default_time_limit = kHour;
  const std::string csv = std::string(kHeader) + "X,0,1,7200\n";
  SimInputs in = Prepare(o, csv);
  EXPECT_EQ(Jcts(in, RunOne(in, "muster")), (std::vector<double>{7200}));
  o.engine.kill_at_time_limit = true;
  SimInputs killed = Prepare(o, csv);
  for (const char* p : {"muster", "fifo", "las", "srtf"}) {
    RunOutcome r = RunOne(killed, p);
    EXPECT_EQ(Jcts(killed, r), (std::vector<double>{3600})) << p;
    EXPECT_EQ(r.timeouts, 1) << p;
    EXPECT_TRUE(r.runs[0].timed_out) << p;
  }
}

// Queue tiers make the production core preempt: a tier-1 `prod` job takes
// the node from a tier-0 `batch` job at 10; the victim loses its 10 s of
// work, frees the GPUs at 40; prod runs 40-140, batch again 140-1140.
TEST(Scenario, MusterPreemptsForAHigherTier) {
  SimOptions o = TinyOptions(1, 2);
  o.workload.columns.queue = "q";
  o.muster.queues = {{"prod", 1.0, 0, -1, 1}};
  SimInputs in =
      Prepare(o, "job_id,submit_time_s,num_gpus,duration_s,q\nJ1,0,2,1000,batch\nJ2,10,2,100,prod\n");
  RunOutcome r = RunOne(in, "muster");
  EXPECT_EQ(Jcts(in, r), (std::vector<double>{1140, 130}));
  EXPECT_EQ(r.preemptions, 1);
}

// A random workload through every policy: each job finishes once, never
// before its run time, GPUs are never double-booked (the cluster state
// aborts on that), utilisation stays within [0, 1], and two runs give the
// same bytes.
TEST(Scenario, RandomWorkloadInvariantsAndDeterminism) {
  std::mt19937_64 rng(7);
  std::string csv = "job_id,submit_time_s,num_gpus,duration_s,vc\n";
  int64_t t = 0;
  const int sizes[] = {1, 1, 1, 1, 2, 4, 8, 12};
  for (int i = 0; i < 300; ++i) {
    t += static_cast<int64_t>(rng() % 400);
    csv += "j" + std::to_string(i) + "," + std::to_string(t) + "," + std::to_string(sizes[rng() % 8]) + "," +
           std::to_string(1 + rng() % 20000) + ",team" + std::to_string(rng() % 3) + "\n";
  }
  SimOptions o = TinyOptions(3, 4);
  o.cluster.nodes_per_switch = 2;
  o.workload.offpeak = {"Mon-Fri 20:00-07:00", "Sat-Sun 00:00-24:00"};
  o.workload.deferrable_fraction = 0.3;
  SimInputs in = Prepare(o, csv);
  EXPECT_EQ(in.workload.unplaceable, 0);
  auto a = RunPolicies(in, nullptr, nullptr);
  auto b = RunPolicies(in, nullptr, nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(RenderJson(in, *a), RenderJson(in, *b));
  EXPECT_EQ(RenderCsv(*a), RenderCsv(*b));
  EXPECT_EQ(RenderSvg(in, *a), RenderSvg(in, *b));
  for (const char* p : {"muster", "fifo", "las", "srtf"}) {
    RunOutcome r = RunOne(in, p);
    EXPECT_EQ(r.unfinished, 0) << p;
    EXPECT_EQ(r.stats.stale_starts, 0) << p;
    for (size_t i = 0; i < in.workload.jobs.size(); ++i) {
      const auto& run = r.runs[i];
      ASSERT_EQ(run.phase, Phase::kDone) << p;
      EXPECT_GE(run.finish - in.workload.jobs[i].submit, in.workload.jobs[i].duration) << p;
      EXPECT_GE(run.first_start, in.workload.jobs[i].submit) << p;
    }
    PolicyResult s = Summarize(p, in.workload, r);
    EXPECT_GT(s.utilization, 0) << p;
    EXPECT_LE(s.utilization, 1.0 + 1e-9) << p;
    for (double u : s.util_series) EXPECT_LE(u, 1.0 + 1e-9) << p;
    if (std::string(p) == "fifo" || std::string(p) == "muster") {
      EXPECT_EQ(r.preemptions, 0) << p;
    }
  }
}

}  // namespace
}  // namespace muster::sim
