// The operator commands end to end against the fake musterd: the exact
// request sent, what is printed and the exit code.
#include "tests/cli/cli_fixture.h"

namespace muster::cli {
namespace {

using OpsTest = CommandsTest;

wire::Body OkReply() { return wire::Body{wire::Ok{}}; }
wire::Body Refusal(std::string message) {
  return wire::Body{wire::Error{wire::ErrorCode::kFailedPrecondition, std::move(message)}};
}

// ---- queue ------------------------------------------------------------------

TEST_F(OpsTest, QueueCreateSendsTheWholeSpec) {
  replies_.push_back(OkReply());
  EXPECT_EQ(Run({"queue", "create", "batch", "--weight", "2", "--guaranteed", "8", "--max", "32", "--tier",
                 "1", "--default-time-limit", "4h", "--default-window", "offpeak"}),
            kExitOk);
  EXPECT_EQ(out_.str(), "Created queue batch\n");
  EXPECT_EQ(err_.str(), "");
  wire::PutQueue want;
  want.create = true;
  want.fields = 0x7F;
  want.spec = {"batch", 2.0, 8, 32, 1, 4 * kHour, Window::kOffpeak, false};
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_EQ(Request<wire::PutQueue>(0), want);
}

TEST_F(OpsTest, QueueCreateRefused) {
  replies_.push_back(Refusal("queue batch already exists"));
  EXPECT_EQ(Run({"queue", "create", "batch"}), kExitRefused);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(err_.str(), "muster: queue batch already exists\n");
}

TEST_F(OpsTest, QueueUpdateSendsOnlyTheGivenFields) {
  replies_.push_back(OkReply());
  EXPECT_EQ(Run({"queue", "update", "batch", "--max", "none", "--weight", "0.5"}), kExitOk);
  EXPECT_EQ(out_.str(), "Updated queue batch\n");
  const auto& put = Request<wire::PutQueue>(0);
  EXPECT_FALSE(put.create);
  EXPECT_EQ(put.fields, uint32_t{wire::kQueueMax | wire::kQueueWeight});
  EXPECT_EQ(put.spec.name, "batch");
  EXPECT_EQ(put.spec.max_gpus, -1);
  EXPECT_EQ(put.spec.weight, 0.5);
}

TEST_F(OpsTest, QueueUpdateMaxBelowGuaranteedIsRefusedByMusterd) {
  replies_.push_back(
      wire::Body{wire::Error{wire::ErrorCode::kInvalidSpec, "max GPUs (4) is below guaranteed (8)"}});
  EXPECT_EQ(Run({"queue", "update", "batch", "--max", "4"}), kExitRefused);
  EXPECT_EQ(err_.str(), "muster: max GPUs (4) is below guaranteed (8)\n");
}

TEST_F(OpsTest, QueuePauseResumeDelete) {
  replies_.push_back(OkReply());
  replies_.push_back(OkReply());
  replies_.push_back(OkReply());
  EXPECT_EQ(Run({"queue", "pause", "batch"}), kExitOk);
  EXPECT_EQ(Run({"queue", "resume", "batch"}), kExitOk);
  EXPECT_EQ(Run({"queue", "delete", "batch"}), kExitOk);
  EXPECT_EQ(out_.str(), "Paused queue batch\nResumed queue batch\nDeleted queue batch\n");
  wire::PutQueue pause;
  pause.spec.name = "batch";
  pause.spec.paused = true;
  pause.fields = wire::kQueuePaused;
  EXPECT_EQ(Request<wire::PutQueue>(0), pause);
  wire::PutQueue resume = pause;
  resume.spec.paused = false;
  EXPECT_EQ(Request<wire::PutQueue>(1), resume);
  EXPECT_EQ(Request<wire::DeleteQueue>(2), wire::DeleteQueue{"batch"});
}

TEST_F(OpsTest, QueueDeleteRefused) {
  replies_.push_back(Refusal("the default queue cannot be deleted"));
  EXPECT_EQ(Run({"queue", "delete", "default"}), kExitRefused);
  EXPECT_EQ(err_.str(), "muster: the default queue cannot be deleted\n");
}

wire::QueueList TwoQueues() {
  wire::QueueList list;
  list.half_life_hours = 24;
  wire::QueueInfo batch;
  batch.spec = {"batch", 2.0, 8, 32, 1, 0, Window::kAnytime, true};
  batch.running = 1;
  batch.pending = 2;
  batch.gpus_used = 8;
  batch.usage_gpu_hours = 3;
  wire::QueueInfo def;
  def.spec.name = "default";
  def.usage_gpu_hours = 1;
  list.queues = {def, batch};
  list.teams = {{"batch", "vision", 8, 3}, {"default", "alice", 0, 1}};
  return list;
}

TEST_F(OpsTest, QueueListTableAndJson) {
  replies_.push_back(wire::Body{TwoQueues()});
  replies_.push_back(wire::Body{TwoQueues()});
  EXPECT_EQ(Run({"queue", "list"}), kExitOk);
  EXPECT_EQ(Request<wire::ListQueues>(0), wire::ListQueues{});
  EXPECT_EQ(out_.str(),
            "NAME     WEIGHT  GUARANTEED  MAX  TIER  PAUSED  RUNNING  PENDING  GPUS_USED  USAGE_GPU_H\n"
            "batch    2       8           32   1     yes     1        2        8          3.00\n"
            "default  1       0           -    0     no      0        0        0          1.00\n");
  out_.str("");
  EXPECT_EQ(Run({"queue", "list", "--json"}), kExitOk);
  json j = json::parse(out_.str());
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["name"], "batch");
  EXPECT_EQ(j[0]["paused"], true);
  EXPECT_TRUE(j[1]["max"].is_null());
}

TEST_F(OpsTest, UsageTableAndJson) {
  replies_.push_back(wire::Body{TwoQueues()});
  replies_.push_back(wire::Body{TwoQueues()});
  EXPECT_EQ(Run({"usage"}), kExitOk);
  EXPECT_EQ(Request<wire::ListQueues>(0), wire::ListQueues{});
  EXPECT_EQ(out_.str(),
            "Usage in decayed GPU-hours, half-life 24h\n"
            "QUEUE    TEAM    GPUS_USED  USAGE_GPU_H  SHARE\n"
            "batch    -       8          3.00         75.0%\n"
            "batch    vision  8          3.00         75.0%\n"
            "default  -       0          1.00         25.0%\n"
            "default  alice   0          1.00         25.0%\n");
  out_.str("");
  EXPECT_EQ(Run({"usage", "--json"}), kExitOk);
  json j = json::parse(out_.str());
  EXPECT_EQ(j["half_life_hours"], 24.0);
  EXPECT_EQ(j["queues"][0], json::parse(R"({"queue":"batch","gpus_used":8,"usage_gpu_h":3.0,"share":0.75})"));
  EXPECT_EQ(j["teams"][1], json::parse(R"({"queue":"default","team":"alice","gpus_used":0,"usage_gpu_h":1.0,
                                            "share":0.25})"));
}

TEST_F(OpsTest, QueueUsageErrorsSendNothing) {
  EXPECT_EQ(Run({"queue"}), kExitUsage);
  EXPECT_NE(err_.str().find("missing queue subcommand: one of create, update, delete, pause, resume, list"),
            std::string::npos);
  EXPECT_EQ(Run({"queue", "rename", "a"}), kExitUsage);
  EXPECT_NE(err_.str().find("unknown queue subcommand 'rename'"), std::string::npos);
  EXPECT_EQ(Run({"queue", "update", "batch"}), kExitUsage);
  EXPECT_NE(err_.str().find("nothing to update"), std::string::npos);
  EXPECT_NE(err_.str().find("(try: muster queue update --help)"), std::string::npos);
  EXPECT_EQ(Run({"queue", "create", "q", "--default-window", "never"}), kExitUsage);
  EXPECT_NE(err_.str().find("bad --default-window 'never'"), std::string::npos);
  EXPECT_EQ(Run({"queue", "list", "extra"}), kExitUsage);
  EXPECT_EQ(Run({"usage", "extra"}), kExitUsage);
  EXPECT_TRUE(requests_.empty());
  EXPECT_FALSE(connected_with_.has_value());
}

// ---- node ---------------------------------------------------------------------

TEST_F(OpsTest, NodeDrainAndResume) {
  replies_.push_back(OkReply());
  replies_.push_back(OkReply());
  EXPECT_EQ(Run({"node", "drain", "node-a"}), kExitOk);
  EXPECT_EQ(Run({"node", "resume", "node-a"}), kExitOk);
  EXPECT_EQ(out_.str(), "Draining node node-a\nResumed node node-a\n");
  EXPECT_EQ(Request<wire::NodeAction>(0), (wire::NodeAction{"node-a", wire::NodeOp::kDrain}));
  EXPECT_EQ(Request<wire::NodeAction>(1), (wire::NodeAction{"node-a", wire::NodeOp::kResume}));
}

TEST_F(OpsTest, NodeRefusedAndUnreachable) {
  replies_.push_back(wire::Body{wire::Error{wire::ErrorCode::kNotFound, "no node node-z"}});
  EXPECT_EQ(Run({"node", "drain", "node-z"}), kExitRefused);
  EXPECT_EQ(err_.str(), "muster: no node node-z\n");
  EXPECT_EQ(Run({"node", "resume", "node-a"}), kExitUnavailable);
  EXPECT_EQ(out_.str(), "");
}

TEST_F(OpsTest, NodeUsageErrors) {
  EXPECT_EQ(Run({"node"}), kExitUsage);
  EXPECT_EQ(Run({"node", "drain"}), kExitUsage);
  EXPECT_NE(err_.str().find("missing node NAME"), std::string::npos);
  EXPECT_EQ(Run({"node", "cordon", "a"}), kExitUsage);
  EXPECT_TRUE(requests_.empty());
}

// ---- hold, release, requeue, priority ----------------------------------------------

TEST_F(OpsTest, HoldOneLinePerJob) {
  replies_.push_back(OkReply());
  replies_.push_back(OkReply());
  EXPECT_EQ(Run({"hold", "5", "6"}), kExitOk);
  EXPECT_EQ(out_.str(), "Held job 5\nHeld job 6\n");
  EXPECT_EQ(Request<wire::JobAction>(0), (wire::JobAction{5, wire::JobOp::kHold, 0}));
  EXPECT_EQ(Request<wire::JobAction>(1), (wire::JobAction{6, wire::JobOp::kHold, 0}));
}

TEST_F(OpsTest, ReleaseGoesOnAfterARefusalAndExitsOne) {
  replies_.push_back(Refusal("job 5 is not held"));
  replies_.push_back(OkReply());
  EXPECT_EQ(Run({"release", "5", "6"}), kExitRefused);
  EXPECT_EQ(out_.str(), "Released job 6\n");
  EXPECT_EQ(err_.str(), "muster: job 5 is not held\n");
  EXPECT_EQ(Request<wire::JobAction>(0), (wire::JobAction{5, wire::JobOp::kRelease, 0}));
  EXPECT_EQ(Request<wire::JobAction>(1), (wire::JobAction{6, wire::JobOp::kRelease, 0}));
}

TEST_F(OpsTest, RequeueStopsWhenMusterdIsUnreachable) {
  replies_.push_back(OkReply());
  EXPECT_EQ(Run({"requeue", "5", "6", "7"}), kExitUnavailable);
  EXPECT_EQ(out_.str(), "Requeued job 5\n");
  EXPECT_EQ(requests_.size(), 2u);  // 7 was not tried
  EXPECT_EQ(Request<wire::JobAction>(1), (wire::JobAction{6, wire::JobOp::kRequeue, 0}));
}

TEST_F(OpsTest, Priority) {
  replies_.push_back(OkReply());
  replies_.push_back(OkReply());
  EXPECT_EQ(Run({"priority", "5", "10"}), kExitOk);
  EXPECT_EQ(Run({"priority", "5", "-3"}), kExitOk);
  EXPECT_EQ(out_.str(), "Set priority of job 5 to 10\nSet priority of job 5 to -3\n");
  EXPECT_EQ(Request<wire::JobAction>(0), (wire::JobAction{5, wire::JobOp::kSetPriority, 10}));
  EXPECT_EQ(Request<wire::JobAction>(1), (wire::JobAction{5, wire::JobOp::kSetPriority, -3}));
}

TEST_F(OpsTest, HoldReleaseAndPriorityOfAnArrayTask) {
  for (int i = 0; i < 3; ++i) {
    replies_.push_back(TaskFound(57, 42, 7));
    replies_.push_back(OkReply());
  }
  EXPECT_EQ(Run({"hold", "42_7"}), kExitOk);
  EXPECT_EQ(Run({"release", "42_7"}), kExitOk);
  EXPECT_EQ(Run({"priority", "42_7", "-2"}), kExitOk);
  EXPECT_EQ(out_.str(), "Held job 42_7\nReleased job 42_7\nSet priority of job 42_7 to -2\n");
  EXPECT_EQ(Request<wire::ListJobs>(0).array_task, 7);
  EXPECT_EQ(Request<wire::JobAction>(1), (wire::JobAction{57, wire::JobOp::kHold, 0}));
  EXPECT_EQ(Request<wire::JobAction>(3), (wire::JobAction{57, wire::JobOp::kRelease, 0}));
  EXPECT_EQ(Request<wire::JobAction>(5), (wire::JobAction{57, wire::JobOp::kSetPriority, -2}));
}

TEST_F(OpsTest, PriorityRefused) {
  replies_.push_back(Refusal("job 5 already ended COMPLETED"));
  EXPECT_EQ(Run({"priority", "5", "1"}), kExitRefused);
  EXPECT_EQ(err_.str(), "muster: job 5 already ended COMPLETED\n");
}

TEST_F(OpsTest, JobActionUsageErrorsSendNothing) {
  EXPECT_EQ(Run({"hold"}), kExitUsage);
  EXPECT_EQ(Run({"release", "x"}), kExitUsage);
  EXPECT_EQ(Run({"requeue", "5", "0"}), kExitUsage);
  EXPECT_EQ(Run({"priority", "5"}), kExitUsage);
  EXPECT_EQ(Run({"priority", "5", "high"}), kExitUsage);
  EXPECT_NE(err_.str().find("muster: bad priority 'high'"), std::string::npos);
  EXPECT_EQ(Run({"hold", "42_x"}), kExitUsage);
  EXPECT_EQ(Run({"priority", "_7", "1"}), kExitUsage);
  EXPECT_TRUE(requests_.empty());
}

// ---- submit's policy flags ---------------------------------------------------------

TEST_F(OpsTest, SubmitPolicyFlagsReachTheSpec) {
  replies_.push_back(wire::Body{wire::SubmitReply{11}});
  EXPECT_EQ(Run({"submit", "--topology", "same-rack", "--window", "offpeak-preferred", "--deadline", "12h",
                 "--window-may-overrun", "--hold", "--array", "0-99%8", "--preemptible", "--max-restarts",
                 "5", "--", "x"}),
            kExitOk);
  EXPECT_EQ(out_.str(), "Submitted job 11\n");
  const JobSpec& s = Request<wire::SubmitJob>(0).spec;
  EXPECT_EQ(s.topology, TopologyConstraint::kSameRack);
  EXPECT_EQ(s.window, Window::kOffpeakPreferred);
  EXPECT_EQ(s.deadline, clock_.Now() + 12 * kHour);
  EXPECT_TRUE(s.window_may_overrun);
  EXPECT_TRUE(s.hold);
  EXPECT_EQ(s.array, "0-99%8");
  EXPECT_TRUE(s.preemptible);
  EXPECT_EQ(s.max_restarts, 5);
}

TEST_F(OpsTest, SubmitBadPolicyValuesAreUsageErrors) {
  for (std::vector<std::string> args : {std::vector<std::string>{"--window", "never"},
                                        {"--topology", "same-room"},
                                        {"--array", "5-2"},
                                        {"--array", "0-99%0"},
                                        {"--array", "abc"},
                                        {"--deadline", "someday"}}) {
    std::vector<std::string> cmd{"submit"};
    cmd.insert(cmd.end(), args.begin(), args.end());
    cmd.insert(cmd.end(), {"--", "x"});
    err_.str("");
    EXPECT_EQ(Run(cmd), kExitUsage) << args[0] << " " << args[1];
    EXPECT_NE(err_.str().find("muster: bad " + args[0] + " '" + args[1] + "'"), std::string::npos)
        << err_.str();
  }
  EXPECT_TRUE(requests_.empty());
}

// ---- help -------------------------------------------------------------------------

TEST_F(OpsTest, TopLevelHelpListsTheOperatorCommands) {
  EXPECT_EQ(Run({"--help"}), kExitOk);
  for (const char* line : {"  queue     manage queues", "  node      drain a node", "  hold      ",
                           "  release   ", "  requeue   ", "  priority  ", "  usage     fair-share"})
    EXPECT_NE(out_.str().find(line), std::string::npos) << line << "\nin:\n" << out_.str();
}

TEST_F(OpsTest, HelpForEveryOperatorCommand) {
  const std::vector<std::vector<std::string>> commands = {{"queue", "create"},
                                                          {"queue", "update"},
                                                          {"queue", "delete"},
                                                          {"queue", "pause"},
                                                          {"queue", "resume"},
                                                          {"queue", "list"},
                                                          {"node", "drain"},
                                                          {"node", "resume"},
                                                          {"hold"},
                                                          {"release"},
                                                          {"requeue"},
                                                          {"priority"},
                                                          {"usage"}};
  for (const auto& words : commands) {
    std::string name = words[0] + (words.size() > 1 ? " " + words[1] : "");
    std::vector<std::vector<std::string>> forms = {words, {"help"}, {"--help"}};
    forms[0].push_back("--help");
    forms[1].insert(forms[1].end(), words.begin(), words.end());
    forms[2].insert(forms[2].end(), words.begin(), words.end());
    for (const auto& form : forms) {
      out_.str("");
      EXPECT_EQ(Run(form), kExitOk) << name;
      EXPECT_NE(out_.str().find("usage: muster " + name), std::string::npos) << name << "\n" << out_.str();
    }
  }
  for (const char* group : {"queue", "node"}) {
    out_.str("");
    EXPECT_EQ(Run({group, "--help"}), kExitOk);
    EXPECT_NE(out_.str().find(std::string("usage: muster ") + group + " <subcommand>"), std::string::npos);
    EXPECT_NE(out_.str().find("Subcommands:"), std::string::npos);
    out_.str("");
    EXPECT_EQ(Run({"help", group}), kExitOk);
    EXPECT_NE(out_.str().find("Subcommands:"), std::string::npos);
  }
  EXPECT_TRUE(requests_.empty());
}

}  // namespace
}  // namespace muster::cli
