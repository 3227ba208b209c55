// The policy through the real binaries, a thin layer: real ranks start in
// priority order, and array tasks are named N_T by the CLI. The policy's
// cases (backfill, quotas, holds, preemption, off-peak windows, deep queues,
// arrays) run in one process: tests/service/policy_test.cc.
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
  EXPECT_EQ(TableIds(), (std::set<std::string>{n, task(0), task(1), task(2), task(3)}))
      << cluster().Cli({"jobs"}).out;
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
  transport::Client client(cluster().endpoint(), 5000, cluster().Keys());
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
