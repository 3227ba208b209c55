// The commands end to end against a fake musterd behind the Rpc interface.
#include "tests/cli/cli_fixture.h"

namespace muster::cli {
namespace {

using nlohmann::json;

TEST_F(CommandsTest, SubmitSendsTheSpecAndPrintsTheId) {
  replies_.push_back(wire::Body{wire::SubmitReply{7}});
  EXPECT_EQ(Run({"submit", "--gpus", "4", "--", "python", "train.py", "-v"}), kExitOk);
  EXPECT_EQ(out_.str(), "Submitted job 7\n");
  const JobSpec& spec = Request<wire::SubmitJob>(0).spec;
  EXPECT_EQ(spec.argv, (std::vector<std::string>{"python", "train.py", "-v"}));
  EXPECT_EQ(spec.total_gpus, 4);
  EXPECT_EQ(spec.team, "") << "musterd decides the default team, from the caller's key";
  EXPECT_EQ(spec.workdir, "/home/alice");
}

TEST_F(CommandsTest, SubmitAfterAnArrayTaskDependsOnItsOwnId) {
  replies_.push_back(TaskFound(57, 42, 7));
  replies_.push_back(wire::Body{wire::SubmitReply{60}});
  EXPECT_EQ(Run({"submit", "--after", "3,42_7", "--", "x"}), kExitOk) << err_.str();
  EXPECT_EQ(Request<wire::ListJobs>(0).array_task, 7);
  EXPECT_EQ(Request<wire::SubmitJob>(1).spec.after, (std::vector<JobId>{3, 57}));
}

TEST_F(CommandsTest, SubmitAfterAMissingTaskSubmitsNothing) {
  replies_.push_back(
      wire::Body{wire::Error{wire::ErrorCode::kNotFound, "array job 42 has no task 9 (its tasks: 0-3)"}});
  EXPECT_EQ(Run({"submit", "--after", "42_9", "--", "x"}), kExitRefused);
  EXPECT_EQ(err_.str(), "muster: array job 42 has no task 9 (its tasks: 0-3)\n");
  EXPECT_EQ(requests_.size(), 1u);
}

TEST_F(CommandsTest, SubmitJson) {
  replies_.push_back(wire::Body{wire::SubmitReply{8}});
  EXPECT_EQ(Run({"submit", "--json", "--", "x"}), kExitOk);
  EXPECT_EQ(out_.str(), "{\"id\": 8}\n");
  EXPECT_EQ(json::parse(out_.str())["id"], 8);
}

TEST_F(CommandsTest, RefusalIsExitOneWithMusterdsMessage) {
  replies_.push_back(wire::Body{wire::Error{wire::ErrorCode::kInvalidSpec, "queue 'gold' does not exist"}});
  EXPECT_EQ(Run({"submit", "--queue", "gold", "--", "x"}), kExitRefused);
  EXPECT_EQ(err_.str(), "muster: queue 'gold' does not exist\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CommandsTest, NoReplyIsExitThree) {
  EXPECT_EQ(Run({"jobs"}), kExitUnavailable);
  EXPECT_NE(err_.str().find("cannot reach musterd"), std::string::npos);
}

TEST_F(CommandsTest, InvalidSpecIsAUsageErrorAndSendsNothing) {
  EXPECT_EQ(Run({"submit", "--nodes", "2", "--", "x"}), kExitUsage);
  EXPECT_TRUE(requests_.empty());
  EXPECT_FALSE(connected_with_.has_value());
  EXPECT_NE(err_.str().find("--gpus-per-node"), std::string::npos);
}

TEST_F(CommandsTest, GlobalFlagsAfterTheCommandReachTheConnection) {
  replies_.push_back(wire::Body{wire::NodeList{}});
  EXPECT_EQ(Run({"--timeout-ms", "100", "nodes", "--scheduler", "tcp://h:1"}), kExitOk);
  ASSERT_TRUE(connected_with_);
  EXPECT_EQ(connected_with_->scheduler, "tcp://h:1");
  EXPECT_EQ(connected_with_->timeout_ms, 100);
}

TEST_F(CommandsTest, JobsTableAndJson) {
  Job j;
  j.id = 3;
  j.spec.name = "a";
  j.spec.team = "t";
  j.spec.queue = "default";
  j.spec.total_gpus = 1;
  j.reason = PendingReason::kPriority;
  replies_.push_back(wire::Body{wire::JobList{{j}}});
  replies_.push_back(wire::Body{wire::JobList{{j}}});
  EXPECT_EQ(Run({"jobs", "--state", "pending", "--team", "t"}), kExitOk);
  EXPECT_EQ(Request<wire::ListJobs>(0).states, std::vector<JobState>{JobState::kPending});
  EXPECT_EQ(Request<wire::ListJobs>(0).team, "t");
  EXPECT_NE(out_.str().find("(Priority)"), std::string::npos);
  out_.str("");
  EXPECT_EQ(Run({"jobs", "--json"}), kExitOk);
  json arr = json::parse(out_.str());
  ASSERT_TRUE(arr.is_array());
  EXPECT_EQ(arr[0]["reason"], "Priority");
}

TEST_F(CommandsTest, ShowAsksForOneIdAndPrintsJson) {
  Job j;
  j.id = 5;
  j.spec.total_gpus = 2;
  replies_.push_back(wire::Body{wire::JobList{{j}}});
  EXPECT_EQ(Run({"show", "5", "--json"}), kExitOk);
  EXPECT_EQ(Request<wire::ListJobs>(0).ids, std::vector<JobId>{5});
  EXPECT_EQ(json::parse(out_.str())["id"], 5);
}

TEST_F(CommandsTest, ShowUnknownJob) {
  replies_.push_back(wire::Body{wire::Error{wire::ErrorCode::kNotFound, "no job 9"}});
  EXPECT_EQ(Run({"show", "9"}), kExitRefused);
  EXPECT_EQ(err_.str(), "muster: no job 9\n");
}

TEST_F(CommandsTest, Cancel) {
  replies_.push_back(wire::Body{wire::Ok{}});
  replies_.push_back(wire::Body{wire::Error{wire::ErrorCode::kFailedPrecondition, "job 6 already finished"}});
  EXPECT_EQ(Run({"cancel", "5", "6"}), kExitRefused);
  EXPECT_EQ(out_.str(), "Cancelled job 5\n");
  EXPECT_EQ(err_.str(), "muster: job 6 already finished\n");
  EXPECT_EQ(Request<wire::CancelJob>(1).id, 6u);
}

// ---- array tasks as 42_7 --------------------------------------------------------

TEST_F(CommandsTest, ShowAnArrayTaskAsksMusterdByArrayAndIndex) {
  replies_.push_back(TaskFound(57, 42, 7));
  EXPECT_EQ(Run({"show", "42_7", "--json"}), kExitOk) << err_.str();
  ASSERT_EQ(requests_.size(), 1u);
  const auto& asked = Request<wire::ListJobs>(0);
  EXPECT_EQ(asked.array_job, 42u);
  EXPECT_EQ(asked.array_task, 7);
  EXPECT_TRUE(asked.ids.empty());
  json j = json::parse(out_.str());
  EXPECT_EQ(j["id"], 57);
  EXPECT_EQ(j["display_id"], "42_7");
}

TEST_F(CommandsTest, AMissingTaskIsMusterdsNotFound) {
  replies_.push_back(
      wire::Body{wire::Error{wire::ErrorCode::kNotFound, "array job 42 has no task 9 (its tasks: 0-3)"}});
  EXPECT_EQ(Run({"show", "42_9"}), kExitRefused);
  EXPECT_EQ(err_.str(), "muster: array job 42 has no task 9 (its tasks: 0-3)\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CommandsTest, AReplyWithoutTheTaskIsNotTakenForIt) {
  // What a musterd that ignores the array filter answers: every job.
  replies_.push_back(wire::Body{wire::JobList{{ArrayTaskJob(50, 42, 0), ArrayTaskJob(51, 42, 1)}}});
  EXPECT_EQ(Run({"cancel", "42_7"}), kExitRefused);
  EXPECT_NE(err_.str().find("job 42_7 not found"), std::string::npos) << err_.str();
  EXPECT_EQ(requests_.size(), 1u) << "nothing is cancelled";
}

TEST_F(CommandsTest, CancelATaskCancelsItsOwnIdAndAnArrayIdTheArray) {
  replies_.push_back(TaskFound(55, 42, 3));
  replies_.push_back(wire::Body{wire::Ok{}});
  replies_.push_back(wire::Body{wire::Ok{}});
  EXPECT_EQ(Run({"cancel", "42_3", "42"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "Cancelled job 42_3\nCancelled job 42\n");
  ASSERT_EQ(requests_.size(), 3u) << "a plain id needs no lookup";
  EXPECT_EQ(Request<wire::CancelJob>(1).id, 55u);
  EXPECT_EQ(Request<wire::CancelJob>(2).id, 42u);
}

TEST_F(CommandsTest, CancelGoesOnAfterATaskThatIsNotFound) {
  replies_.push_back(wire::Body{wire::Error{wire::ErrorCode::kNotFound, "task 7 of array 42 not found"}});
  replies_.push_back(wire::Body{wire::Ok{}});
  EXPECT_EQ(Run({"cancel", "42_7", "43"}), kExitRefused);
  EXPECT_EQ(out_.str(), "Cancelled job 43\n");
  EXPECT_EQ(err_.str(), "muster: task 7 of array 42 not found\n");
}

TEST_F(CommandsTest, LogsAndHistoryOfATaskReadItsOwnJob) {
  replies_.push_back(TaskFound(56, 42, 1));
  replies_.push_back(wire::Body{wire::LogChunk{"task 1\n", 7, true, true}});
  EXPECT_EQ(Run({"logs", "42_1"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "task 1\n");
  EXPECT_EQ(Request<wire::ReadLog>(1).job, 56u);
  replies_.push_back(TaskFound(56, 42, 1));
  replies_.push_back(wire::Body{wire::EventList{}});
  EXPECT_EQ(Run({"history", "42_1"}), kExitOk) << err_.str();
  EXPECT_EQ(Request<wire::ListEvents>(3).job, 56u);
}

TEST_F(CommandsTest, BadTaskIdsAreUsageErrorsAndSendNothing) {
  for (const char* bad : {"42_x", "_7", "42_-1", "42_"}) {
    err_.str("");
    EXPECT_EQ(Run({"show", bad}), kExitUsage) << bad;
    EXPECT_NE(err_.str().find("an array task (42_7)"), std::string::npos) << err_.str();
    EXPECT_EQ(Run({"logs", bad}), kExitUsage) << bad;
    EXPECT_EQ(Run({"cancel", "5", bad}), kExitUsage) << bad;
  }
  EXPECT_TRUE(requests_.empty());
}

TEST_F(CommandsTest, UnexpectedReplyIsARefusal) {
  replies_.push_back(wire::Body{wire::Ok{}});
  EXPECT_EQ(Run({"nodes"}), kExitRefused);
  EXPECT_NE(err_.str().find("unexpected reply"), std::string::npos);
}

TEST_F(CommandsTest, NodesPagesThroughALargeCluster) {
  auto node = [](const std::string& name) {
    wire::NodeStatus s;
    s.node.name = name;
    return s;
  };
  replies_.push_back(wire::Body{wire::NodeList{{node("a"), node("b")}, true}});
  replies_.push_back(wire::Body{wire::NodeList{{node("c")}, false}});
  ASSERT_EQ(Run({"nodes", "--json"}), kExitOk) << err_.str();
  auto names = nlohmann::json::parse(out_.str());
  ASSERT_EQ(names.size(), 3u) << out_.str();
  EXPECT_EQ(names[2]["name"], "c");
  EXPECT_EQ(Request<wire::ListNodes>(0).after, "");
  EXPECT_EQ(Request<wire::ListNodes>(1).after, "b") << "the next page starts after the last name";
  EXPECT_EQ(requests_.size(), 2u);
}

TEST_F(CommandsTest, LogsPagesUntilEof) {
  replies_.push_back(wire::Body{wire::LogChunk{"hello ", 6, false, false}});
  replies_.push_back(wire::Body{wire::LogChunk{std::string("wor\0ld\n", 7), 13, true, false}});
  EXPECT_EQ(Run({"logs", "4", "--rank", "1"}), kExitOk);
  EXPECT_EQ(out_.str(), std::string("hello wor\0ld\n", 13));
  ASSERT_EQ(requests_.size(), 2u);
  EXPECT_EQ(Request<wire::ReadLog>(0).job, 4u);
  EXPECT_EQ(Request<wire::ReadLog>(0).rank, 1);
  EXPECT_EQ(Request<wire::ReadLog>(0).offset, 0u);
  EXPECT_EQ(Request<wire::ReadLog>(1).offset, 6u);
  EXPECT_TRUE(slept_ms_.empty());
}

TEST_F(CommandsTest, LogsFollowPollsUntilTheJobFinished) {
  replies_.push_back(wire::Body{wire::LogChunk{"a", 1, true, false}});
  replies_.push_back(wire::Body{wire::LogChunk{"", 1, true, false}});
  replies_.push_back(wire::Body{wire::LogChunk{"b", 2, true, true}});
  EXPECT_EQ(Run({"logs", "4", "-f"}), kExitOk);
  EXPECT_EQ(out_.str(), "ab");
  EXPECT_EQ(slept_ms_, (std::vector<int>{kFollowPollMs, kFollowPollMs}));
  EXPECT_EQ(Request<wire::ReadLog>(2).offset, 1u);
}

TEST_F(CommandsTest, LogsNeverSpinsOnAChunkThatMovesNowhere) {
  replies_.push_back(wire::Body{wire::LogChunk{"", 0, false, false}});
  EXPECT_EQ(Run({"logs", "4"}), kExitOk);
  EXPECT_EQ(requests_.size(), 1u);
}

TEST_F(CommandsTest, LogsErrorFromMusterd) {
  replies_.push_back(wire::Body{wire::Error{wire::ErrorCode::kUnavailable, "node-a is not reachable"}});
  EXPECT_EQ(Run({"logs", "4"}), kExitRefused);
  EXPECT_EQ(err_.str(), "muster: node-a is not reachable\n");
}

TEST_F(CommandsTest, HelpEverywhere) {
  EXPECT_EQ(Run({"--help"}), kExitOk);
  EXPECT_NE(out_.str().find("Commands:"), std::string::npos);
  for (const char* cmd : {"submit", "jobs", "show", "cancel", "logs", "nodes"}) {
    out_.str("");
    EXPECT_EQ(Run({cmd, "--help"}), kExitOk) << cmd;
    EXPECT_NE(out_.str().find(std::string("usage: muster ") + cmd), std::string::npos) << cmd;
    out_.str("");
    EXPECT_EQ(Run({"help", cmd}), kExitOk) << cmd;
    EXPECT_NE(out_.str().find(std::string("usage: muster ") + cmd), std::string::npos) << cmd;
  }
  EXPECT_TRUE(requests_.empty());
}

TEST_F(CommandsTest, UsageErrors) {
  EXPECT_EQ(Run({}), kExitUsage);
  EXPECT_EQ(Run({"frobnicate"}), kExitUsage);
  EXPECT_NE(err_.str().find("unknown command 'frobnicate'"), std::string::npos);
  EXPECT_EQ(Run({"show"}), kExitUsage);
  EXPECT_EQ(Run({"jobs", "--bogus"}), kExitUsage);
  EXPECT_EQ(Run({"submit", "--time-limit", "forever", "--", "x"}), kExitUsage);
  EXPECT_TRUE(requests_.empty());
}

}  // namespace
}  // namespace muster::cli
