// The policy through musterd, in one process: backfill, quotas, preemption,
// off-peak windows, deep queues and arrays, checked as `muster show` sees
// them. Jobs run until the test makes their ranks exit, so "what runs while
// what waits" is exact rather than a race against sleeps.
#include "tests/service/service_test_util.h"

namespace muster::testing {
namespace {

class Policy : public ::testing::Test {
 protected:
  explicit Policy(Harness::Options o = {}, int gpus = 4) : h_(std::move(o)) {
    a_ = &h_.AddAgent("node-a", gpus);
  }

  JobId Submit(int32_t gpus, Duration limit = 0, const std::string& queue = "") {
    JobSpec s = Spec(gpus);
    s.time_limit = limit;
    s.queue = queue;
    return h_.Submit(s);
  }
  JobState State(JobId id) { return h_.Show(id).state; }
  // The job's ranks exit 0 and the loop settles.
  void Finish(JobId id) {
    a_->Exit(id);
    h_.Settle();
  }
  // Creates queue `name` with the defaults and the given tier and cap (-1: none).
  void PutQueue(const std::string& name, uint32_t fields, int32_t tier = 0, int32_t max = -1) {
    wire::PutQueue q;
    q.spec.name = name;
    q.spec.tier = tier;
    q.spec.max_gpus = max;
    q.create = true;
    q.fields = fields;
    wire::Body reply = h_.Call(q);
    ASSERT_TRUE(std::holds_alternative<wire::Ok>(reply)) << ErrorOf(reply).message;
  }
  // The ids of the jobs running now, in id order (an array job, RUNNING
  // while its tasks run, is not one of them).
  std::vector<JobId> RunningNow() {
    std::vector<JobId> out;
    for (const Job& j : h_.Jobs())
      if (j.state == JobState::kRunning && j.spec.array.empty()) out.push_back(j.id);
    return out;
  }

  Harness h_;
  FakeAgent* a_;
};

// EASY backfill: a 4-GPU job waits for a 3-GPU job with a time limit; a
// short 1-GPU job fits before the reservation and starts at once, a long one
// must not delay the big job.
TEST_F(Policy, ShortJobsBackfillButNeverDelayTheReservedJob) {
  JobId running = Submit(3, 6 * kSecond);
  ASSERT_EQ(State(running), JobState::kRunning);
  JobId big = Submit(4, kMinute);
  Job b = h_.Show(big);
  EXPECT_EQ(b.state, JobState::kPending);
  EXPECT_TRUE(Contains(b.reason_detail, "reserved, starts by")) << b.reason_detail;
  JobId long_job = Submit(1, kHour);
  JobId short_job = Submit(1, 2 * kSecond);
  EXPECT_EQ(State(short_job), JobState::kRunning) << "the short job runs in the gap";
  EXPECT_EQ(State(long_job), JobState::kPending) << "the long job would delay the reservation";
  Finish(short_job);
  EXPECT_EQ(State(long_job), JobState::kPending);
  Finish(running);
  EXPECT_EQ(RunningNow(), std::vector<JobId>{big}) << "the reserved job first";
  Finish(big);
  EXPECT_EQ(RunningNow(), std::vector<JobId>{long_job});
}

TEST_F(Policy, QueueMaxCapsRunningGpusAndSaysQuota) {
  PutQueue("capped", wire::kQueueMax, 0, 2);
  std::vector<JobId> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(Submit(1, 0, "capped"));
  EXPECT_EQ(State(ids[0]), JobState::kRunning);
  EXPECT_EQ(State(ids[1]), JobState::kRunning);
  Job third = h_.Show(ids[2]);
  EXPECT_EQ(third.state, JobState::kPending);
  EXPECT_EQ(third.reason, PendingReason::kQuota) << PendingReasonName(third.reason);
  EXPECT_TRUE(Contains(third.reason_detail, "2/2")) << third.reason_detail;
  EXPECT_EQ(FreeGpus(h_, "node-a"), 2) << "the quota, not the node, holds it back";
  Finish(ids[0]);
  EXPECT_EQ(State(ids[2]), JobState::kRunning);
}

TEST_F(Policy, HigherTierPreemptsAfterTheGraceAndTheVictimIsRequeued) {
  PutQueue("batch", wire::kQueueTier, 0);
  PutQueue("urgent", wire::kQueueTier, 1);
  JobSpec v = Spec(4);
  v.queue = "batch";
  v.preemptible = true;
  v.grace_seconds = 1;
  JobId victim = h_.Submit(v);
  ASSERT_EQ(State(victim), JobState::kRunning);
  a_->ClearReceived();
  JobId urgent = Submit(4, 0, "urgent");
  auto kills = a_->Got<wire::KillJob>();
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].job, victim);
  EXPECT_EQ(State(urgent), JobState::kRunning) << "the victim's ranks exited on the kill";
  Job j = h_.Show(victim);
  EXPECT_EQ(j.state, JobState::kPending);
  EXPECT_EQ(j.restarts, 1);
  EXPECT_TRUE(Contains(Causes(h_.History(victim)), "preempted")) << Causes(h_.History(victim));
  Finish(urgent);
  EXPECT_EQ(State(victim), JobState::kRunning) << "requeued, it runs again when there is room";
  EXPECT_EQ(h_.Show(victim).attempt, j.attempt + 1) << "a new attempt";
}

TEST_F(Policy, NonPreemptibleJobsAreNeverPreempted) {
  PutQueue("batch", wire::kQueueTier, 0);
  PutQueue("urgent", wire::kQueueTier, 1);
  JobId safe = Submit(4, 0, "batch");
  a_->ClearReceived();
  JobId urgent = Submit(4, 0, "urgent");
  h_.Advance(30 * kSecond);
  EXPECT_TRUE(a_->Got<wire::KillJob>().empty());
  EXPECT_EQ(State(urgent), JobState::kPending);
  Finish(safe);
  Job s = h_.Show(safe);
  EXPECT_EQ(s.state, JobState::kCompleted);
  EXPECT_EQ(s.restarts, 0);
  EXPECT_EQ(State(urgent), JobState::kRunning);
}

// The harness starts on a Thursday at 16:00 UTC; the window opens at 18:00.
Harness::Options OffPeakAt18() {
  Harness::Options o;
  o.server.offpeak = {"daily 18:00-19:00"};
  o.server.timezone = "UTC";
  return o;
}

class OffPeak : public Policy {
 protected:
  OffPeak() : Policy(OffPeakAt18()) {}
  JobId SubmitIn(Window w, Duration limit, Time deadline = kNoTime) {
    JobSpec s = Spec(1);
    s.window = w;
    s.window_set = true;
    s.time_limit = limit;
    s.deadline = deadline;
    return h_.Submit(s);
  }
};

TEST_F(OffPeak, AnOffpeakJobWaitsForTheWindowSaysWhenAndRunsInIt) {
  JobId deferred = SubmitIn(Window::kOffpeak, 30 * kMinute);
  JobId now = Submit(1);
  EXPECT_EQ(State(now), JobState::kRunning);
  Job d = h_.Show(deferred);
  EXPECT_EQ(d.state, JobState::kPending);
  EXPECT_EQ(d.reason, PendingReason::kOffPeakWindow) << PendingReasonName(d.reason);
  EXPECT_TRUE(Contains(d.reason_detail, "eligible 2026-11-26T18:00:00")) << d.reason_detail;
  h_.Advance(2 * kHour - kMinute, 5 * kSecond);
  EXPECT_EQ(State(deferred), JobState::kPending) << "a minute before the window";
  h_.Advance(2 * kMinute, 5 * kSecond);
  EXPECT_EQ(State(deferred), JobState::kRunning) << "in the window";
}

TEST_F(OffPeak, APreferredJobRunsNowOnlyWhenWaitingWouldMissItsDeadline) {
  Time start = h_.clock().Now();
  JobId urgent = SubmitIn(Window::kOffpeakPreferred, 30 * kMinute, start + kHour);
  EXPECT_EQ(State(urgent), JobState::kRunning);
  JobId relaxed = SubmitIn(Window::kOffpeakPreferred, 30 * kMinute, start + 12 * kHour);
  Job r = h_.Show(relaxed);
  EXPECT_EQ(r.state, JobState::kPending);
  EXPECT_EQ(r.reason, PendingReason::kOffPeakWindow) << PendingReasonName(r.reason);
}

// A deep queue with tiny depths: each cycle considers 2 jobs, the full
// cycle 3 plus a slice of 3 from further back, a different one each time.
Harness::Options TinyDepths() {
  Harness::Options o;
  o.server.queue_depth = 2;
  o.server.full_queue_depth = 3;
  return o;
}

class DeepQueue : public Policy {
 protected:
  DeepQueue() : Policy(TinyDepths(), 1) {}
};

TEST_F(DeepQueue, JobsPastTheDepthSayWhyAndStillRunInOrder) {
  JobId blocker = Submit(1);
  std::vector<JobId> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(Submit(1));
  h_.Advance(5 * kSecond, 500 * kMillisecond);  // full cycles run once a second
  Job last = h_.Show(ids.back());
  EXPECT_EQ(last.reason, PendingReason::kPriority) << PendingReasonName(last.reason);
  EXPECT_TRUE(Contains(last.reason_detail, "behind the first 3 jobs")) << last.reason_detail;
  EXPECT_TRUE(Contains(last.reason_detail, "looked at 3 at a time, in turn")) << last.reason_detail;
  EXPECT_EQ(h_.Show(ids.front()).reason, PendingReason::kResources);

  Finish(blocker);
  for (JobId id : ids) {
    EXPECT_EQ(RunningNow(), std::vector<JobId>{id}) << "jobs run in submit order";
    Finish(id);
  }
  for (JobId id : ids) EXPECT_EQ(State(id), JobState::kCompleted);
}

// Jobs that can never run here (2 GPUs on a 1-GPU cluster) fill every depth;
// a small job behind them still runs, found by a full cycle's slice.
TEST_F(DeepQueue, AJobBehindJobsThatCanNeverRunStillRuns) {
  std::vector<JobId> wide;
  for (int i = 0; i < 8; ++i) wide.push_back(Submit(2));
  JobId small = Submit(1);
  h_.Advance(5 * kSecond, 500 * kMillisecond);
  EXPECT_EQ(State(small), JobState::kRunning);
  Job w = h_.Show(wide.front());
  EXPECT_EQ(w.state, JobState::kPending);
  EXPECT_EQ(w.reason, PendingReason::kResources) << PendingReasonName(w.reason);
}

class Arrays : public Policy {
 protected:
  JobId SubmitArray(int32_t gpus, const std::string& array) {
    JobSpec s = Spec(gpus);
    s.array = array;
    return h_.Submit(s);
  }
  std::vector<Job> Tasks(JobId array) {
    wire::ListJobs q;
    q.array_job = array;
    q.states = {JobState::kPending, JobState::kRunning,   JobState::kCompleted,
                JobState::kFailed,  JobState::kCancelled, JobState::kTimeout};
    return std::get<wire::JobList>(h_.Call(q)).jobs;
  }
  wire::Body Task(JobId array, int32_t index) {
    wire::ListJobs q;
    q.array_job = array;
    q.array_task = index;
    return h_.Call(q);
  }
  // The env value `name` of the job's launch on node-a, or "" when none.
  std::string LaunchEnv(JobId job, const std::string& name) {
    for (const auto& [key, launch] : a_->launched())
      if (key.first == job)
        for (const auto& e : launch.env)
          if (e.name == name) return e.value;
    return "";
  }
};

// `--array 0-5%2`: six tasks, never more than two at once, each with its
// index in MUSTER_ARRAY_TASK_ID; the array completes when they all have.
TEST_F(Arrays, EveryTaskRunsWithinTheCapAndTheArrayCompletes) {
  JobId array = SubmitArray(1, "0-5%2");
  std::set<std::string> indices;
  for (int round = 0; round < 10 && indices.size() < 6; ++round) {
    std::vector<JobId> running = RunningNow();
    ASSERT_LE(running.size(), 2u) << "more than the cap at once";
    ASSERT_FALSE(running.empty()) << "the array stalled after " << indices.size() << " tasks";
    for (JobId id : running) {
      indices.insert(LaunchEnv(id, "MUSTER_ARRAY_TASK_ID"));
      Finish(id);
    }
  }
  EXPECT_EQ(indices, (std::set<std::string>{"0", "1", "2", "3", "4", "5"}));
  EXPECT_EQ(State(array), JobState::kCompleted);
  std::vector<Job> tasks = Tasks(array);
  ASSERT_EQ(tasks.size(), 6u);
  for (const Job& t : tasks) {
    EXPECT_EQ(t.array_job, array);
    EXPECT_NE(t.id, array) << "a task is a job of its own";
  }
}

TEST_F(Arrays, CancellingAnArrayCancelsItsTasks) {
  JobId array = SubmitArray(4, "0-9");
  EXPECT_EQ(State(array), JobState::kRunning) << "ten tasks become jobs at once; one runs";
  ASSERT_EQ(Tasks(array).size(), 10u);
  ASSERT_TRUE(std::holds_alternative<wire::Ok>(h_.Call(wire::CancelJob{array})));
  EXPECT_EQ(State(array), JobState::kCancelled);
  for (const Job& t : Tasks(array)) EXPECT_EQ(t.state, JobState::kCancelled) << "task " << t.array_task;
  EXPECT_EQ(FreeGpus(h_, "node-a"), 4);
}

TEST_F(Arrays, TasksNotStartedSayWhy) {
  JobId array = SubmitArray(1, "0-3%1");
  const std::string n = std::to_string(array);
  wire::Error e = ErrorOf(Task(array, 2));
  EXPECT_EQ(e.code, wire::ErrorCode::kNotFound);
  EXPECT_TRUE(Contains(e.message, "task 2 of array " + n + " is not a job yet")) << e.message;
  EXPECT_TRUE(Contains(e.message, "(tasks 1-3 wait)")) << e.message;
  e = ErrorOf(Task(array, 9));
  EXPECT_TRUE(Contains(e.message, "array job " + n + " has no task 9 (its tasks: 0-3)")) << e.message;
  ASSERT_TRUE(std::holds_alternative<wire::Ok>(h_.Call(wire::CancelJob{array})));
  EXPECT_EQ(State(array), JobState::kCancelled);
  e = ErrorOf(Task(array, 2));
  EXPECT_TRUE(
      Contains(e.message, "task 2 of array " + n + " never started (array job " + n + " is CANCELLED)"))
      << e.message;
}

}  // namespace
}  // namespace muster::testing
