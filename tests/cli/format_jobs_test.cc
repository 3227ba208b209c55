#include <gtest/gtest.h>

#include "common/base/strings.h"
#include "scheduler/cli/format.h"

namespace muster::cli {
namespace {

using nlohmann::json;

const Time kT0 = *ParseRfc3339("2026-11-26T16:20:00Z");

Job PendingFlexible() {
  Job j;
  j.id = 42;
  j.spec.name = "resnet";
  j.spec.team = "vision";
  j.spec.queue = "default";
  j.spec.user = "alice";
  j.spec.argv = {"python", "train.py", "--lr", "0.1"};
  j.spec.env = {{"WANDB_KEY", "secret-value"}, {"SEED", "1"}};
  j.spec.workdir = "/home/alice/proj";
  j.spec.total_gpus = 16;
  j.spec.time_limit = 2 * kHour;
  j.spec.after = {7};
  j.state = JobState::kPending;
  j.reason = PendingReason::kResources;
  j.reason_detail = "needs 16 GPUs, 8 free";
  j.submit_time = kT0;
  return j;
}

Job RunningGang() {
  Job j;
  j.id = 43;
  j.spec.name = "llm";
  j.spec.team = "nlp";
  j.spec.queue = "batch";
  j.spec.user = "bob";
  j.spec.argv = {"torchrun", "main.py"};
  j.spec.nodes = 2;
  j.spec.gpus_per_node = 4;
  j.state = JobState::kRunning;
  j.submit_time = kT0;
  j.start_time = kT0 + 10 * kSecond;
  j.attempt = 1;
  j.master_port = 29500;
  j.placement = {{"node-a", {0, 1, 2, 3}}, {"node-b", {4, 5, 6, 7}}};
  return j;
}

TEST(ShapeOf, PendingFlexibleHasNoNodesYet) {
  JobShape s = ShapeOf(PendingFlexible());
  EXPECT_EQ(s.nodes, 0);
  EXPECT_EQ(s.gpus_per_node, 0);
  EXPECT_EQ(s.gpus, 16);
  Job requeued = PendingFlexible();
  requeued.placement = {{"node-a", {0, 1}}};  // left over from the previous attempt
  s = ShapeOf(requeued);
  EXPECT_EQ(s.nodes, 0);
  EXPECT_EQ(s.gpus_per_node, 0);
}

TEST(ShapeOf, GangFromTheSpecPlacedFlexibleFromThePlacement) {
  Job gang = RunningGang();
  gang.placement.clear();
  gang.state = JobState::kPending;
  JobShape s = ShapeOf(gang);
  EXPECT_EQ(s.nodes, 2);
  EXPECT_EQ(s.gpus_per_node, 4);
  EXPECT_EQ(s.gpus, 8);

  Job flex = PendingFlexible();
  flex.state = JobState::kStarting;
  flex.placement = {{"node-a", {0, 1, 2, 3, 4, 5, 6, 7}}, {"node-c", {0, 1, 2, 3, 4, 5, 6, 7}}};
  s = ShapeOf(flex);
  EXPECT_EQ(s.nodes, 2);
  EXPECT_EQ(s.gpus_per_node, 8);
  EXPECT_EQ(s.gpus, 16);
}

TEST(FormatElapsed, SqueueStyle) {
  EXPECT_EQ(FormatElapsed(0), "0:00");
  EXPECT_EQ(FormatElapsed(-5 * kSecond), "0:00");
  EXPECT_EQ(FormatElapsed(245 * kSecond), "4:05");
  EXPECT_EQ(FormatElapsed(3723 * kSecond), "1:02:03");
  EXPECT_EQ(FormatElapsed(2 * kDay + 3 * kHour + 4 * kMinute + 5 * kSecond), "2-03:04:05");
}

TEST(RunTime, PendingRunningAndEnded) {
  Job j = RunningGang();
  EXPECT_EQ(RunTime(j, kT0 + 70 * kSecond), 60 * kSecond);
  j.state = JobState::kCompleted;
  j.end_time = kT0 + 40 * kSecond;
  EXPECT_EQ(RunTime(j, kT0 + 999 * kSecond), 30 * kSecond);
  j.state = JobState::kPending;  // requeued: the old attempt does not count
  EXPECT_EQ(RunTime(j, kT0 + 999 * kSecond), 0);
}

TEST(FormatJobsTable, HeaderRowsAndReasons) {
  Job done = RunningGang();
  done.id = 44;
  done.state = JobState::kCancelled;
  done.placement.clear();
  done.reason = PendingReason::kNone;
  std::string table = FormatJobsTable({RunningGang(), done, PendingFlexible()}, kT0 + 3610 * kSecond);
  auto lines = Split(table, '\n');
  ASSERT_EQ(lines.size(), 5u);  // header, 3 jobs, trailing empty
  EXPECT_EQ(lines[0], "JOBID  NAME    TEAM    QUEUE    STATE      TIME     NODES  GPUS  NODELIST(REASON)");
  EXPECT_EQ(
      lines[1],
      "42     resnet  vision  default  PENDING    0:00     -      16    (Resources: needs 16 GPUs, 8 free)");
  EXPECT_EQ(lines[2], "43     llm     nlp     batch    RUNNING    1:00:00  2      8     node-a,node-b");
  EXPECT_EQ(lines[3], "44     llm     nlp     batch    CANCELLED  0:00     2      8     (None)");
  EXPECT_EQ(lines[4], "");
}

// Slurm's names: task 7 of array job 42 is 42_7, whatever its own id; the
// array job itself stays 42.
Job ArrayTask(JobId id, JobId array, int32_t task) {
  Job j = RunningGang();
  j.id = id;
  j.array_job = array;
  j.array_task = task;
  return j;
}

TEST(FormatJobsTable, ArrayTasksShowAsArrayUnderscoreTask) {
  Job array = PendingFlexible();
  array.spec.array = "0-9";
  array.array_pending = "2-9";
  std::string table =
      FormatJobsTable({ArrayTask(51, 42, 1), array, ArrayTask(50, 42, 0)}, kT0 + 3610 * kSecond);
  auto lines = Split(table, '\n');
  ASSERT_EQ(lines.size(), 5u) << table;
  EXPECT_EQ(lines[0], "JOBID  NAME    TEAM    QUEUE    STATE    TIME     NODES  GPUS  NODELIST(REASON)");
  EXPECT_EQ(lines[1].substr(0, 7), "42     ");
  EXPECT_EQ(lines[2], "42_0   llm     nlp     batch    RUNNING  1:00:00  2      8     node-a,node-b");
  EXPECT_EQ(lines[3].substr(0, 7), "42_1   ");
  EXPECT_EQ(DisplayId(ArrayTask(51, 42, 0)), "42_0");
  EXPECT_EQ(DisplayId(PendingFlexible()), "42");
}

TEST(JobToJson, DisplayIdBesideTheNumericId) {
  json task = JobToJson(ArrayTask(57, 42, 7));
  EXPECT_EQ(task["id"], 57);
  EXPECT_EQ(task["display_id"], "42_7");
  EXPECT_EQ(task["array_job"], 42);
  EXPECT_EQ(task["array_task"], 7);
  json plain = JobToJson(PendingFlexible());
  EXPECT_EQ(plain["display_id"], "42");
  EXPECT_TRUE(plain["array_job"].is_null());
}

TEST(FormatJobsTable, EmptyListIsJustTheHeader) {
  EXPECT_EQ(FormatJobsTable({}, kT0),
            "JOBID  NAME  TEAM  QUEUE  STATE  TIME  NODES  GPUS  NODELIST(REASON)\n");
}

TEST(FormatJobDetails, EveryFieldAsKeyValueLines) {
  std::string text = FormatJobDetails(RunningGang(), kT0 + 70 * kSecond);
  for (const char* want :
       {"JobId:         43\n", "Name:          llm\n", "User:          bob\n", "State:         RUNNING\n",
        "Reason:        -\n", "Nodes:         2\n", "GpusPerNode:   4\n", "Gpus:          8\n",
        "TimeLimit:     UNLIMITED\n", "SubmitTime:    2026-11-26T16:20:00Z\n",
        "StartTime:     2026-11-26T16:20:10Z\n", "EndTime:       -\n", "RunTime:       1:00\n",
        "Command:       torchrun main.py\n", "MasterPort:    29500\n",
        "Placement:     node-a gpus=0,1,2,3\n"
        "               node-b gpus=4,5,6,7\n"})
    EXPECT_NE(text.find(want), std::string::npos) << want << "\nin:\n" << text;
}

TEST(FormatJobDetails, PendingReasonEnvNamesOnlyAndQuotedArgv) {
  Job j = PendingFlexible();
  j.spec.argv = {"sh", "-c", "echo 'hi' $X"};
  std::string text = FormatJobDetails(j, kT0);
  for (const char* want : {"Reason:        Resources\n", "ReasonDetail:  needs 16 GPUs, 8 free\n",
                           "Env:           WANDB_KEY,SEED\n", "Dependency:    afterok:7\n",
                           "TimeLimit:     2h\n", "Command:       sh -c 'echo '\\''hi'\\'' $X'\n",
                           "Workdir:       /home/alice/proj\n", "Placement:     -\n"})
    EXPECT_NE(text.find(want), std::string::npos) << want << "\nin:\n" << text;
  EXPECT_EQ(text.find("secret-value"), std::string::npos);
}

TEST(JobToJson, PendingFlexibleJob) {
  json j = JobToJson(PendingFlexible());
  EXPECT_EQ(j["id"], 42);
  EXPECT_EQ(j["name"], "resnet");
  EXPECT_EQ(j["team"], "vision");
  EXPECT_EQ(j["queue"], "default");
  EXPECT_EQ(j["user"], "alice");
  EXPECT_EQ(j["state"], "PENDING");
  EXPECT_EQ(j["reason"], "Resources");
  EXPECT_EQ(j["reason_detail"], "needs 16 GPUs, 8 free");
  EXPECT_EQ(j["nodes"], 0);
  EXPECT_EQ(j["gpus_per_node"], 0);
  EXPECT_EQ(j["gpus"], 16);
  EXPECT_EQ(j["priority"], 0);
  EXPECT_EQ(j["submit_time"], "2026-11-26T16:20:00Z");
  EXPECT_TRUE(j["start_time"].is_null());
  EXPECT_TRUE(j["end_time"].is_null());
  EXPECT_EQ(j["time_limit_s"], 7200);
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_EQ(j["restarts"], 0);
  EXPECT_EQ(j["attempt"], 0);
  EXPECT_EQ(j["argv"], json({"python", "train.py", "--lr", "0.1"}));
  EXPECT_EQ(j["workdir"], "/home/alice/proj");
  EXPECT_EQ(j["after"], json({7}));
  EXPECT_EQ(j["placement"], json::array());
  EXPECT_EQ(j["env_names"], json({"WANDB_KEY", "SEED"}));
  EXPECT_EQ(j.dump().find("secret-value"), std::string::npos);
}

TEST(JobToJson, PlacedGangJob) {
  Job job = RunningGang();
  job.state = JobState::kFailed;
  job.end_time = kT0 + 20 * kSecond;
  job.exit_code = 3;
  job.restarts = 1;
  json j = JobToJson(job);
  EXPECT_EQ(j["state"], "FAILED");
  EXPECT_EQ(j["reason"], "");
  EXPECT_EQ(j["nodes"], 2);
  EXPECT_EQ(j["gpus_per_node"], 4);
  EXPECT_EQ(j["gpus"], 8);
  EXPECT_EQ(j["start_time"], "2026-11-26T16:20:10Z");
  EXPECT_EQ(j["end_time"], "2026-11-26T16:20:20Z");
  EXPECT_EQ(j["time_limit_s"], 0);
  EXPECT_EQ(j["exit_code"], 3);
  EXPECT_EQ(j["restarts"], 1);
  EXPECT_EQ(j["attempt"], 1);
  EXPECT_EQ(j["placement"], json::parse(R"([{"node":"node-a","gpus":[0,1,2,3]},
                                             {"node":"node-b","gpus":[4,5,6,7]}])"));
}

TEST(JobToJson, PolicyKeys) {
  json plain = JobToJson(PendingFlexible());
  EXPECT_EQ(plain["held"], false);
  EXPECT_EQ(plain["topology"], "any");
  EXPECT_EQ(plain["window_may_overrun"], false);
  EXPECT_TRUE(plain["array_job"].is_null());
  EXPECT_TRUE(plain["array_task"].is_null());
  EXPECT_EQ(plain["array"], "");

  Job task = PendingFlexible();
  task.held = true;
  task.reason = PendingReason::kHeld;
  task.spec.topology = TopologyConstraint::kSameSwitch;
  task.spec.window_may_overrun = true;
  task.spec.hold = true;
  task.array_job = 40;
  task.array_task = 0;
  json j = JobToJson(task);
  EXPECT_EQ(j["held"], true);
  EXPECT_EQ(j["reason"], "Held");
  EXPECT_EQ(j["topology"], "same-switch");
  EXPECT_EQ(j["window_may_overrun"], true);
  EXPECT_EQ(j["array_job"], 40);
  EXPECT_EQ(j["array_task"], 0);

  Job array = PendingFlexible();
  array.spec.array = "0-99%8";
  array.array_pending = "8-99";
  j = JobToJson(array);
  EXPECT_EQ(j["array"], "0-99%8");
  EXPECT_EQ(j["array_pending"], "8-99");
}

TEST(FormatJobDetails, PolicyFields) {
  std::string plain = FormatJobDetails(PendingFlexible(), kT0);
  for (const char* want : {"Held:          no\n", "Topology:      any\n", "MayOverrun:    no\n",
                           "ArrayJob:      -\n", "ArrayTask:     -\n"})
    EXPECT_NE(plain.find(want), std::string::npos) << want << "\nin:\n" << plain;
  EXPECT_EQ(plain.find("Array:"), std::string::npos);

  Job task = PendingFlexible();
  task.held = true;
  task.spec.topology = TopologyConstraint::kSameRack;
  task.spec.window_may_overrun = true;
  task.spec.array = "0-9%2";
  task.array_pending = "3-9";
  task.array_job = 40;
  task.array_task = 7;
  std::string text = FormatJobDetails(task, kT0);
  for (const char* want :
       {"Held:          yes\n", "Topology:      same-rack\n", "MayOverrun:    yes\n",
        "Array:         0-9%2\n", "ArrayPending:  3-9\n", "ArrayJob:      40\n", "ArrayTask:     7\n"})
    EXPECT_NE(text.find(want), std::string::npos) << want << "\nin:\n" << text;
}

TEST(FormatJobsTable, HeldJobShowsItsReason) {
  Job j = PendingFlexible();
  j.held = true;
  j.reason = PendingReason::kHeld;
  j.reason_detail = "held; `muster release` lets it run";
  EXPECT_NE(FormatJobsTable({j}, kT0).find("(Held: held; `muster release` lets it run)"), std::string::npos);
}

TEST(JobsToJson, ArraySortedById) {
  json j = JobsToJson({RunningGang(), PendingFlexible()});
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["id"], 42);
  EXPECT_EQ(j[1]["id"], 43);
  EXPECT_EQ(JobsToJson({}), json::array());
}

TEST(ShellJoin, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(ShellJoin({"python", "-m", "a.b", "--x=1,2"}), "python -m a.b --x=1,2");
  EXPECT_EQ(ShellJoin({"a b", "", "it's"}), "'a b' '' 'it'\\''s'");
}

TEST(RenderFields, AlignsValuesAndContinuationLines) {
  EXPECT_EQ(RenderFields({{"A", "1"}, {"Long", "x\ny"}}), "A:     1\nLong:  x\n       y\n");
}

}  // namespace
}  // namespace muster::cli

namespace muster::cli {
namespace {

TEST(DumpJson, InvalidUtf8IsReplacedNotThrown) {
  Job j;
  j.id = 1;
  j.spec.argv = {"echo", "\xff\xfe"};
  std::string text;
  EXPECT_NO_THROW(text = DumpJson(JobToJson(j)));
  EXPECT_EQ(nlohmann::json::parse(text)["argv"][1], "\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace muster::cli
