// The policy through the real musterd (issue 3): the order jobs start in,
// backfill, quotas, holds, preemption and off-peak windows, checked the way
// a user would: `muster show` / `muster jobs --json`.
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

#include "common/proto/messages.h"
#include "common/transport/zmq_util.h"
#include "tests/integration/integration.h"

namespace muster::testing {
namespace {

// One node of 4 GPUs: every 4-GPU job runs alone, so start order is visible.
class IntegrationPolicy : public ClusterTest {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o;
    o.agents = 1;
    o.gpus_per_agent = 4;
    return o;
  }
  // The job's start time as RFC 3339 (sortable as text at second precision,
  // so compare attempts instead where order within a second matters).
  std::string StartOf(int64_t id) { return cluster().Show(id).value("start_time", ""); }
};

std::string StateOf(const Json& job) { return job.value("state", ""); }

// Golden scenario: while a blocker runs, three 4-GPU jobs of different
// priorities queue up; they must start highest priority first, and a later
// job of equal priority after an earlier one.
TEST_F(IntegrationPolicy, JobsStartInPriorityThenSubmitOrder) {
  const std::string order_file = cluster().Scratch("order");
  auto record = [&](const std::string& tag, const std::string& sleep) {
    // Four ranks per job: only rank 0 records the start.
    return Sh("if [ \"$RANK\" = 0 ]; then echo " + tag + " >> " + order_file + "; fi; sleep " + sleep);
  };
  int64_t blocker = cluster().Submit({"--gpus", "4", "--name", "blocker"}, record("blocker", "1.5"));
  ASSERT_EQ(StateOf(cluster().WaitForJobState(blocker, "RUNNING")), "RUNNING");
  int64_t low = cluster().Submit({"--gpus", "4", "--priority", "0"}, record("low", "0.3"));
  int64_t high = cluster().Submit({"--gpus", "4", "--priority", "10"}, record("high", "0.3"));
  int64_t mid1 = cluster().Submit({"--gpus", "4", "--priority", "5"}, record("mid1", "0.3"));
  int64_t mid2 = cluster().Submit({"--gpus", "4", "--priority", "5"}, record("mid2", "0.3"));
  // Pending jobs say why.
  Json pending = cluster().Show(low);
  EXPECT_EQ(StateOf(pending), "PENDING");
  EXPECT_EQ(pending.value("reason", ""), "Resources") << pending.dump(2);
  for (int64_t id : {low, high, mid1, mid2})
    EXPECT_EQ(StateOf(cluster().WaitForJobState(id, "COMPLETED", Millis(30000))), "COMPLETED");
  EXPECT_EQ(ReadFile(order_file), "blocker\nhigh\nmid1\nmid2\nlow\n");
}

// EASY backfill: a 4-GPU job waits for a 3-GPU job with a time limit; a short
// 1-GPU job fits before the reservation and starts at once, a long one must
// not delay the big job.
TEST_F(IntegrationPolicy, ShortJobsBackfillButNeverDelayTheReservedJob) {
  int64_t running = cluster().Submit({"--gpus", "3", "--time-limit", "6s"}, Sh("sleep 3"));
  ASSERT_EQ(StateOf(cluster().WaitForJobState(running, "RUNNING")), "RUNNING");
  int64_t big = cluster().Submit({"--gpus", "4", "--time-limit", "1m"}, Sh("sleep 0.5"));
  Json b = cluster().WaitForJob(big, [](const Json& j) { return j.value("reason_detail", "").find("reserved") != std::string::npos; },
                                Millis(5000));
  EXPECT_EQ(StateOf(b), "PENDING");
  EXPECT_NE(b.value("reason_detail", "").find("reserved, starts by"), std::string::npos) << b.dump(2);
  int64_t long_job = cluster().Submit({"--gpus", "1", "--time-limit", "1h"}, Sh("sleep 0.2"));
  int64_t short_job = cluster().Submit({"--gpus", "1", "--time-limit", "2s"}, Sh("sleep 0.2"));
  // The short job backfills now, while the 3-GPU job still runs.
  Json s = cluster().WaitForJobState(short_job, "COMPLETED", Millis(10000));
  EXPECT_EQ(StateOf(s), "COMPLETED");
  EXPECT_EQ(StateOf(cluster().Show(running)), "RUNNING") << "the short job should have run in the gap";
  // The long job starts only after the big job did.
  Json bj = cluster().WaitForJobState(big, "COMPLETED", Millis(20000));
  Json lj = cluster().WaitForJobState(long_job, "COMPLETED", Millis(20000));
  ASSERT_EQ(StateOf(bj), "COMPLETED");
  ASSERT_EQ(StateOf(lj), "COMPLETED");
  EXPECT_LE(bj.value("start_time", ""), lj.value("start_time", "")) << bj.dump(2) << lj.dump(2);
}

TEST_F(IntegrationPolicy, QueueMaxCapsRunningGpusAndSaysQuota) {
  CommandResult created = cluster().Cli({"queue", "create", "capped", "--max", "2"});
  ASSERT_EQ(created.exit_code, 0) << created.Describe();
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(cluster().Submit({"--queue", "capped", "--gpus", "1"}, Sh("sleep 2")));
  ASSERT_EQ(StateOf(cluster().WaitForJobState(ids[0], "RUNNING")), "RUNNING");
  ASSERT_EQ(StateOf(cluster().WaitForJobState(ids[1], "RUNNING")), "RUNNING");
  Json third = cluster().WaitForJob(
      ids[2], [](const Json& j) { return j.value("reason", "") == "Quota"; }, Millis(5000));
  EXPECT_EQ(StateOf(third), "PENDING");
  EXPECT_EQ(third.value("reason", ""), "Quota") << third.dump(2);
  EXPECT_NE(third.value("reason_detail", "").find("2/2"), std::string::npos) << third.dump(2);
  EXPECT_EQ(StateOf(cluster().WaitForJobState(ids[2], "COMPLETED", Millis(15000))), "COMPLETED");
}

TEST_F(IntegrationPolicy, HeldJobWaitsUntilReleased) {
  int64_t id = cluster().Submit({"--gpus", "1", "--hold"}, Sh("true"));
  Json held = cluster().WaitForJob(
      id, [](const Json& j) { return j.value("reason", "") == "Held"; }, Millis(5000));
  EXPECT_EQ(StateOf(held), "PENDING");
  EXPECT_EQ(held.value("reason", ""), "Held") << held.dump(2);
  CommandResult rel = cluster().Cli({"release", std::to_string(id)});
  ASSERT_EQ(rel.exit_code, 0) << rel.Describe();
  EXPECT_EQ(StateOf(cluster().WaitForJobState(id, "COMPLETED")), "COMPLETED");
  // Releasing what is not held is refused, and says so.
  CommandResult again = cluster().Cli({"release", std::to_string(id)});
  EXPECT_EQ(again.exit_code, 1) << again.Describe();
}

TEST_F(IntegrationPolicy, HigherTierPreemptsAndTheVictimIsRequeued) {
  ASSERT_EQ(cluster().Cli({"queue", "create", "batch", "--tier", "0"}).exit_code, 0);
  ASSERT_EQ(cluster().Cli({"queue", "create", "urgent", "--tier", "1"}).exit_code, 0);
  int64_t victim =
      cluster().Submit({"--queue", "batch", "--gpus", "4", "--preemptible", "--grace", "1s"}, Sh("sleep 30"));
  ASSERT_EQ(StateOf(cluster().WaitForJobState(victim, "RUNNING")), "RUNNING");
  int64_t urgent = cluster().Submit({"--queue", "urgent", "--gpus", "4"}, Sh("sleep 0.5"));
  EXPECT_EQ(StateOf(cluster().WaitForJobState(urgent, "COMPLETED", Millis(20000))), "COMPLETED");
  Json v = cluster().WaitForJob(
      victim, [](const Json& j) { return j.value("restarts", 0) >= 1; }, Millis(10000));
  EXPECT_GE(v.value("restarts", 0), 1) << v.dump(2);
  EXPECT_NE(StateOf(v), "FAILED") << v.dump(2);
  cluster().Cli({"cancel", std::to_string(victim)});
}

TEST_F(IntegrationPolicy, NonPreemptibleJobsAreNeverPreempted) {
  ASSERT_EQ(cluster().Cli({"queue", "create", "batch", "--tier", "0"}).exit_code, 0);
  ASSERT_EQ(cluster().Cli({"queue", "create", "urgent", "--tier", "1"}).exit_code, 0);
  int64_t safe = cluster().Submit({"--queue", "batch", "--gpus", "4"}, Sh("sleep 2"));
  ASSERT_EQ(StateOf(cluster().WaitForJobState(safe, "RUNNING")), "RUNNING");
  int64_t urgent = cluster().Submit({"--queue", "urgent", "--gpus", "4"}, Sh("true"));
  Json s = cluster().WaitForJobState(safe, "COMPLETED", Millis(15000));
  EXPECT_EQ(StateOf(s), "COMPLETED");
  EXPECT_EQ(s.value("restarts", -1), 0) << s.dump(2);
  EXPECT_EQ(StateOf(cluster().WaitForJobState(urgent, "COMPLETED", Millis(15000))), "COMPLETED");
}

// A window two hours from now: an offpeak job waits with the time it becomes
// eligible; an anytime job runs.
class IntegrationOffPeak : public IntegrationPolicy {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o = IntegrationPolicy::Options();
    time_t now = std::time(nullptr);
    struct tm tm;
    gmtime_r(&now, &tm);
    char range[64];
    std::snprintf(range, sizeof range, "daily %02d:00-%02d:00", (tm.tm_hour + 2) % 24, (tm.tm_hour + 3) % 24);
    window_ = range;
    o.musterd_args = {"--offpeak", window_, "--timezone", "UTC"};
    return o;
  }
  mutable std::string window_;
};

TEST_F(IntegrationOffPeak, OffpeakJobWaitsForTheWindowAndSaysWhen) {
  int64_t deferred =
      cluster().Submit({"--gpus", "1", "--window", "offpeak", "--time-limit", "30m"}, Sh("true"));
  int64_t now = cluster().Submit({"--gpus", "1"}, Sh("true"));
  EXPECT_EQ(StateOf(cluster().WaitForJobState(now, "COMPLETED")), "COMPLETED");
  Json d = cluster().Show(deferred);
  EXPECT_EQ(StateOf(d), "PENDING");
  EXPECT_EQ(d.value("reason", ""), "OffPeakWindow") << d.dump(2);
  EXPECT_NE(d.value("reason_detail", "").find("eligible 20"), std::string::npos) << d.dump(2);
  // A deadline that waiting would miss makes offpeak-preferred run now.
  int64_t urgent = cluster().Submit(
      {"--gpus", "1", "--window", "offpeak-preferred", "--time-limit", "30m", "--deadline", "1h"},
      Sh("true"));
  EXPECT_EQ(StateOf(cluster().WaitForJobState(urgent, "COMPLETED")), "COMPLETED");
  int64_t relaxed = cluster().Submit(
      {"--gpus", "1", "--window", "offpeak-preferred", "--time-limit", "30m", "--deadline", "12h"},
      Sh("true"));
  Json r = cluster().WaitForJob(
      relaxed, [](const Json& j) { return j.value("reason", "") == "OffPeakWindow"; }, Millis(5000));
  EXPECT_EQ(StateOf(r), "PENDING") << r.dump(2);
}

}  // namespace
}  // namespace muster::testing

namespace muster::testing {
namespace {

// A deep queue with tiny depths: each cycle considers 2 jobs, the full
// cycle 3 plus a slice of 3 from further back, a different one each time.
class IntegrationDeepQueue : public IntegrationPolicy {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o = IntegrationPolicy::Options();
    o.gpus_per_agent = 1;
    o.musterd_args = {"--queue-depth", "2", "--full-queue-depth", "3"};
    return o;
  }
};

// The jobs past the depth and the slice say so, and none is lost: all run,
// in order.
TEST_F(IntegrationDeepQueue, JobsPastTheDepthSayWhyAndStillRunInOrder) {
  const std::string go = cluster().Scratch("go");
  const std::string order_file = cluster().Scratch("order");
  int64_t blocker = cluster().Submit(
      {"--gpus", "1"}, Sh("for i in $(seq 200); do [ -e " + go + " ] && exit 0; sleep 0.05; done; exit 1"));
  ASSERT_EQ(StateOf(cluster().WaitForJobState(blocker, "RUNNING")), "RUNNING");
  std::vector<int64_t> ids;
  for (int i = 1; i <= 10; ++i)
    ids.push_back(cluster().Submit({"--gpus", "1"}, Sh("echo j" + std::to_string(i) + " >> " + order_file)));
  // A full cycle (one a second) tells the last one where it stands: at most
  // one cycle in three has it in its slice.
  Json last = cluster().WaitForJob(
      ids.back(),
      [](const Json& j) { return j.value("reason_detail", "").find("behind the first 3 jobs") != std::string::npos; },
      Millis(8000));
  EXPECT_EQ(last.value("reason", ""), "Priority") << last.dump(2);
  EXPECT_NE(last.value("reason_detail", "").find("looked at 3 at a time, in turn"), std::string::npos)
      << last.dump(2);
  EXPECT_EQ(cluster().Show(ids.front()).value("reason", ""), "Resources");

  std::ofstream(go).put('\n');  // releases the blocker
  for (int64_t id : ids) EXPECT_EQ(StateOf(cluster().WaitForJobState(id, "COMPLETED", Millis(30000))), "COMPLETED");
  EXPECT_EQ(ReadFile(order_file), "j1\nj2\nj3\nj4\nj5\nj6\nj7\nj8\nj9\nj10\n");
}

// Jobs that can never run here (2 GPUs on a 1-GPU cluster) fill every depth; a
// small job behind them still runs, found by a full cycle's slice.
TEST_F(IntegrationDeepQueue, AJobBehindJobsThatCanNeverRunStillRuns) {
  std::vector<int64_t> wide;
  for (int i = 0; i < 8; ++i) wide.push_back(cluster().Submit({"--gpus", "2"}, Sh("true")));
  int64_t small = cluster().Submit({"--gpus", "1"}, Sh("true"));
  EXPECT_EQ(StateOf(cluster().WaitForJobState(small, "COMPLETED", Millis(15000))), "COMPLETED")
      << cluster().Diagnostics();
  Json w = cluster().Show(wide.front());
  EXPECT_EQ(StateOf(w), "PENDING");
  EXPECT_EQ(w.value("reason", ""), "Resources") << w.dump(2);
}

// `--array 0-5%2`: six tasks, never more than two at once, each with its
// index in MUSTER_ARRAY_TASK_ID; the array job completes when they all have.
TEST_F(IntegrationPolicy, ArrayRunsEveryTaskWithinItsCap) {
  const std::string dir = cluster().Scratch("array");
  ASSERT_EQ(::system(("mkdir -p " + dir).c_str()), 0);
  // Each task counts the tasks running beside it through marker files.
  std::string script = "touch " + dir + "/run.$MUSTER_ARRAY_TASK_ID; ls " + dir + " | grep -c '^run' >> " +
                       dir + "/concurrency; sleep 0.4; rm " + dir +
                       "/run.$MUSTER_ARRAY_TASK_ID; echo $MUSTER_ARRAY_TASK_ID >> " + dir + "/done";
  int64_t array = cluster().Submit({"--gpus", "1", "--array", "0-5%2"}, Sh(script));
  Json a = cluster().WaitForJobState(array, "COMPLETED", Millis(30000));
  ASSERT_EQ(StateOf(a), "COMPLETED") << a.dump(2);
  std::string done = ReadFile(dir + "/done");
  for (int i = 0; i <= 5; ++i) EXPECT_NE(done.find(std::to_string(i) + "\n"), std::string::npos) << done;
  std::string concurrency = ReadFile(dir + "/concurrency");
  for (char c : concurrency)
    EXPECT_TRUE(c == '\n' || c == '1' || c == '2') << "more than 2 at once: " << concurrency;
  // The tasks are jobs of their own that name their array.
  Json jobs = cluster().Jobs("all");
  int tasks = 0;
  for (const auto& j : jobs)
    if (j.contains("array_job") && j["array_job"].is_number() && j["array_job"].get<int64_t>() == array)
      ++tasks;
  EXPECT_EQ(tasks, 6) << jobs.dump(2);
}

TEST_F(IntegrationPolicy, CancellingAnArrayCancelsItsTasks) {
  int64_t array = cluster().Submit({"--gpus", "4", "--array", "0-9"}, Sh("sleep 30"));
  // Ten tasks are fewer than the 32 made ahead: all become jobs at once and
  // the array itself is RUNNING.
  Json running = cluster().WaitForJobState(array, "RUNNING", Millis(10000));
  ASSERT_EQ(StateOf(running), "RUNNING") << running.dump(2);
  ASSERT_EQ(cluster().Cli({"cancel", std::to_string(array)}).exit_code, 0);
  Json a = cluster().WaitForJobState(array, "CANCELLED", Millis(15000));
  EXPECT_EQ(StateOf(a), "CANCELLED") << a.dump(2);
  Json jobs = cluster().Jobs();
  for (const auto& j : jobs)
    if (j.contains("array_job") && j["array_job"].is_number() && j["array_job"].get<int64_t>() == array) {
      EXPECT_EQ(StateOf(j), "CANCELLED") << j.dump(2);
    }
}

// Array tasks are named the Slurm way, N_T, wherever a job id goes: in
// `muster jobs`, and as the argument of show, logs, history and cancel.
class IntegrationArrayTasks : public IntegrationPolicy {
 protected:
  // `muster show N_T --json`; null when the command fails.
  Json ShowTask(const std::string& task) {
    CommandResult r = cluster().Cli({"show", task, "--json"});
    return r.exit_code == 0 ? Json::parse(r.out, nullptr, false) : Json();
  }
  std::string TaskState(const std::string& task) {
    Json j = ShowTask(task);
    return j.is_object() ? StateOf(j) : "";
  }
  // The first column of each row of `muster jobs` (the table, not --json).
  std::set<std::string> TableIds() {
    CommandResult r = cluster().Cli({"jobs"});
    std::set<std::string> ids;
    std::istringstream in(r.out);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) ids.insert(line.substr(0, line.find(' ')));
    return ids;
  }
};

TEST_F(IntegrationArrayTasks, TasksAreShownAndAddressedAsArrayUnderscoreTask) {
  // Tasks 0 and 1 print and end; 2 and 3 run until cancelled (4 GPUs: all at once).
  int64_t array = cluster().Submit(
      {"--gpus", "1", "--array", "0-3"},
      Sh("echo task $MUSTER_ARRAY_TASK_ID; if [ $MUSTER_ARRAY_TASK_ID -ge 2 ]; then sleep 30; fi"));
  const std::string n = std::to_string(array);
  auto task = [&](int t) { return n + "_" + std::to_string(t); };
  ASSERT_TRUE(PollUntil(
      [&] {
        return TaskState(task(0)) == "COMPLETED" && TaskState(task(1)) == "COMPLETED" &&
               TaskState(task(2)) == "RUNNING" && TaskState(task(3)) == "RUNNING";
      },
      Millis(15000)))
      << cluster().Cli({"jobs"}).out << cluster().Diagnostics();

  // `muster jobs`: the array as N, its tasks as N_0..N_3, never by their own ids.
  EXPECT_EQ(TableIds(), (std::set<std::string>{n, task(0), task(1), task(2), task(3)})) << cluster().Cli({"jobs"}).out;
  std::set<int64_t> task_ids;
  for (const auto& j : cluster().Jobs()) {
    if (!j["array_job"].is_number()) {
      EXPECT_EQ(j["display_id"], std::to_string(j["id"].get<int64_t>())) << j.dump(2);
      continue;
    }
    EXPECT_EQ(j["display_id"], n + "_" + std::to_string(j["array_task"].get<int>())) << j.dump(2);
    task_ids.insert(j["id"].get<int64_t>());
  }
  EXPECT_EQ(task_ids.size(), 4u);
  // On the wire: ListJobs by array lists its tasks; a task index needs its array.
  transport::Client client(cluster().endpoint(), 5000);
  wire::ListJobs by_array;
  by_array.array_job = static_cast<JobId>(array);
  auto listed = client.Call(by_array);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_TRUE(std::holds_alternative<wire::JobList>(*listed)) << wire::BodyName(*listed);
  std::set<int64_t> listed_ids;
  for (const Job& j : std::get<wire::JobList>(*listed).jobs) listed_ids.insert(static_cast<int64_t>(j.id));
  EXPECT_EQ(listed_ids, task_ids) << "the tasks, not the array job itself";
  wire::ListJobs task_alone;
  task_alone.array_task = 1;
  auto refused = client.Call(task_alone);
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  auto* error = std::get_if<wire::Error>(&*refused);
  ASSERT_NE(error, nullptr) << wire::BodyName(*refused);
  EXPECT_EQ(error->code, wire::ErrorCode::kBadRequest) << error->message;

  Json two = ShowTask(task(2));
  ASSERT_TRUE(two.is_object());
  EXPECT_EQ(two["array_job"], array);
  EXPECT_EQ(two["array_task"], 2);
  EXPECT_EQ(two["display_id"], task(2));
  EXPECT_NE(two["id"], array) << "a task is a job of its own";
  CommandResult r = cluster().Cli({"logs", task(1)});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "task 1\n");
  r = cluster().Cli({"history", task(0)});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "task 0 of array job " + n)) << r.out;
  int64_t after = cluster().Submit({"--gpus", "1", "--after", "afterok:" + task(0)}, Sh("true"));
  EXPECT_EQ(cluster().Show(after)["after"], Json({ShowTask(task(0))["id"]}));

  // Cancelling one task leaves its siblings and the array running.
  r = cluster().Cli({"cancel", task(3)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "Cancelled job " + task(3) + "\n");
  Json three = cluster().WaitForJobState(ShowTask(task(3))["id"].get<int64_t>(), "CANCELLED");
  EXPECT_EQ(StateOf(three), "CANCELLED") << three.dump(2);
  EXPECT_EQ(TaskState(task(2)), "RUNNING");
  EXPECT_EQ(StateOf(cluster().Show(array)), "RUNNING");
  r = cluster().Cli({"release", task(3)});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "job " + std::to_string(three["id"].get<int64_t>()) + " (" + task(3) +
                                  ") already ended CANCELLED"))
      << "named both ways: " << r.err;

  // Mistakes: a usage error for what is no job id, not-found for no such task.
  for (const std::string& bad : {n + "_x", std::string("_7"), n + "_-1", n + "_"}) {
    r = cluster().Cli({"show", bad});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.Describe();
    EXPECT_TRUE(Contains(r.err, "bad job id '" + bad + "'")) << r.err;
  }
  r = cluster().Cli({"show", task(9)});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "array job " + n + " has no task 9 (its tasks: 0-3)")) << r.err;
  r = cluster().Cli({"logs", std::to_string(two["id"].get<int64_t>()) + "_0"});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "is task 2 of array " + n + ", not an array job")) << r.err;

  // The array's id still cancels the whole array.
  ASSERT_EQ(cluster().Cli({"cancel", n}).exit_code, 0);
  EXPECT_EQ(StateOf(cluster().WaitForJobState(array, "CANCELLED")), "CANCELLED");
  EXPECT_EQ(TaskState(task(2)), "CANCELLED");
  EXPECT_EQ(TaskState(task(0)), "COMPLETED");
}

// A task the array has not made a job yet, or never will, says so.
TEST_F(IntegrationArrayTasks, TasksNotStartedSayWhy) {
  int64_t array = cluster().Submit({"--gpus", "1", "--array", "0-3%1"}, Sh("sleep 30"));
  const std::string n = std::to_string(array);
  ASSERT_TRUE(PollUntil([&] { return TaskState(n + "_0") == "RUNNING"; }, Millis(15000))) << cluster().Diagnostics();
  CommandResult r = cluster().Cli({"cancel", n + "_2"});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "task 2 of array " + n + " is not a job yet")) << r.err;
  EXPECT_TRUE(Contains(r.err, "(tasks 1-3 wait)")) << r.err;
  ASSERT_EQ(cluster().Cli({"cancel", n}).exit_code, 0);
  ASSERT_EQ(StateOf(cluster().WaitForJobState(array, "CANCELLED")), "CANCELLED");
  r = cluster().Cli({"show", n + "_2"});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "task 2 of array " + n + " never started (array job " + n + " is CANCELLED)"))
      << r.err;
}

// musterd keeps only the newest finished job in memory here: an older task
// is on disk, found by its own id but not by array and index.
class IntegrationArrayHistory : public IntegrationArrayTasks {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o = IntegrationArrayTasks::Options();
    o.musterd_args = {"--recent-finished", "1"};
    return o;
  }
};

TEST_F(IntegrationArrayHistory, ALongFinishedTaskPointsToItsNumericId) {
  int64_t array = cluster().Submit({"--gpus", "1", "--array", "0-1%1"}, Sh("true"));
  const std::string n = std::to_string(array);
  ASSERT_EQ(StateOf(cluster().WaitForJobState(array, "COMPLETED")), "COMPLETED");
  // Task 1 ended last with the highest id: the one job still in memory.
  EXPECT_EQ(TaskState(n + "_1"), "COMPLETED");
  CommandResult r = cluster().Cli({"show", n + "_0"});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "task 0 of array " + n + " not found (finished long ago? use its numeric id)"))
      << r.err;
  // With no other job submitted, the tasks took the next ids in order.
  Json task0 = cluster().Show(array + 1);
  EXPECT_EQ(task0["array_task"], 0) << task0.dump(2);
  EXPECT_EQ(task0["display_id"], n + "_0");
}

}  // namespace
}  // namespace muster::testing
