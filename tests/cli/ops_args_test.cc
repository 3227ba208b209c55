// Parsing of the operator commands and of the --deadline value.
#include "scheduler/cli/ops_args.h"

#include <gtest/gtest.h>

#include "common/base/strings.h"
#include "tests/cli/parsed_util.h"

namespace muster::cli {
namespace {

using Args = std::vector<std::string>;

GlobalOptions g = DefaultGlobalOptions(nullptr);

// ---- --deadline ---------------------------------------------------------------

TEST(ParseDeadline, TimeOrDurationFromNow) {
  const Time now = *ParseRfc3339("2026-11-26T16:20:00Z");
  EXPECT_EQ(*ParseDeadline("12h", now), now + 12 * kHour);
  EXPECT_EQ(*ParseDeadline("90m", now), now + 90 * kMinute);
  EXPECT_EQ(*ParseDeadline("2026-11-27T20:00:00Z", now), *ParseRfc3339("2026-11-27T20:00:00Z"));
  EXPECT_FALSE(ParseDeadline("0s", now).ok());
  EXPECT_FALSE(ParseDeadline("tomorrow", now).ok());
  EXPECT_FALSE(ParseDeadline("", now).ok());
}

// ---- queue ------------------------------------------------------------------

TEST(ParseQueuePutArgs, CreateSendsTheWholeSpecWithDefaults) {
  auto put = ValueOf(ParseQueuePutArgs(true, {"gpu-a"}, &g));
  EXPECT_TRUE(put.create);
  EXPECT_EQ(put.spec, QueueSpec{"gpu-a"});
  EXPECT_EQ(put.fields, 0x7Fu);  // every field
}

TEST(ParseQueuePutArgs, CreateWithEveryFlag) {
  auto put = ValueOf(
      ParseQueuePutArgs(true,
                        {"batch", "--weight", "2.5", "--guaranteed", "16", "--max", "64", "--tier", "-1",
                         "--default-time-limit", "4h", "--default-window", "offpeak-preferred", "--paused"},
                        &g));
  EXPECT_TRUE(put.create);
  EXPECT_EQ(put.spec.name, "batch");
  EXPECT_EQ(put.spec.weight, 2.5);
  EXPECT_EQ(put.spec.guaranteed_gpus, 16);
  EXPECT_EQ(put.spec.max_gpus, 64);
  EXPECT_EQ(put.spec.tier, -1);
  EXPECT_EQ(put.spec.default_time_limit, 4 * kHour);
  EXPECT_EQ(put.spec.default_window, Window::kOffpeakPreferred);
  EXPECT_TRUE(put.spec.paused);
}

TEST(ParseQueuePutArgs, UpdateSetsOnlyTheGivenFields) {
  auto fields = [](const Args& args) { return ValueOf(ParseQueuePutArgs(false, args, &g)).fields; };
  EXPECT_EQ(fields({"q", "--weight", "3"}), uint32_t{wire::kQueueWeight});
  EXPECT_EQ(fields({"q", "--guaranteed", "8"}), uint32_t{wire::kQueueGuaranteed});
  EXPECT_EQ(fields({"q", "--max", "none"}), uint32_t{wire::kQueueMax});
  EXPECT_EQ(fields({"q", "--tier", "2"}), uint32_t{wire::kQueueTier});
  EXPECT_EQ(fields({"q", "--default-time-limit", "none"}), uint32_t{wire::kQueueDefaultTimeLimit});
  EXPECT_EQ(fields({"q", "--default-window", "offpeak"}), uint32_t{wire::kQueueDefaultWindow});
  EXPECT_EQ(fields({"q", "--paused"}), uint32_t{wire::kQueuePaused});
  EXPECT_EQ(fields({"q", "--max", "32", "--guaranteed", "8"}),
            uint32_t{wire::kQueueMax | wire::kQueueGuaranteed});

  auto put = ValueOf(ParseQueuePutArgs(false, {"q", "--max", "-1", "--default-time-limit", "30m"}, &g));
  EXPECT_FALSE(put.create);
  EXPECT_EQ(put.spec.name, "q");
  EXPECT_EQ(put.spec.max_gpus, -1);
  EXPECT_EQ(put.spec.default_time_limit, 30 * kMinute);
}

TEST(ParseQueuePutArgs, UsageErrors) {
  EXPECT_NE(ErrorOf(ParseQueuePutArgs(false, {"q"}, &g)).find("nothing to update"), std::string::npos);
  EXPECT_EQ(ErrorOf(ParseQueuePutArgs(true, {}, &g)), "missing queue NAME");
  EXPECT_EQ(ErrorOf(ParseQueuePutArgs(true, {"a", "b"}, &g)), "unexpected argument 'b'");
  EXPECT_NE(ErrorOf(ParseQueuePutArgs(true, {"a b"}, &g)).find("bad queue name 'a b'"), std::string::npos);
  EXPECT_NE(ErrorOf(ParseQueuePutArgs(true, {"q", "--weight", "0"}, &g)).find("bad --weight '0'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseQueuePutArgs(true, {"q", "--weight", "x"}, &g)).find("bad --weight"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseQueuePutArgs(true, {"q", "--weight", "inf"}, &g)).find("bad --weight"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseQueuePutArgs(true, {"q", "--guaranteed", "-2"}, &g)).find("bad --guaranteed '-2'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseQueuePutArgs(true, {"q", "--max", "-2"}, &g)).find("bad --max '-2'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseQueuePutArgs(true, {"q", "--tier", "high"}, &g)).find("bad --tier 'high'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseQueuePutArgs(true, {"q", "--default-time-limit", "4x"}, &g)).find("bad duration"),
            std::string::npos);
  EXPECT_EQ(ErrorOf(ParseQueuePutArgs(false, {"q", "--default-window", "nights"}, &g)),
            "bad --default-window 'nights': anytime, offpeak or offpeak-preferred");
  EXPECT_NE(ErrorOf(ParseQueuePutArgs(true, {"q", "--bogus"}, &g)), "<no usage error>");
}

TEST(ParseQueuePutArgs, MaxBelowGuaranteedIsMusterdsToRefuse) {
  auto put = ValueOf(ParseQueuePutArgs(true, {"q", "--guaranteed", "16", "--max", "8"}, &g));
  EXPECT_EQ(put.spec.guaranteed_gpus, 16);
  EXPECT_EQ(put.spec.max_gpus, 8);
}

TEST(ParseQueuePutArgs, Help) {
  auto help = ParseQueuePutArgs(false, {"--help"}, &g);
  ASSERT_TRUE(std::holds_alternative<Help>(help));
  EXPECT_NE(std::get<Help>(help).text.find("usage: muster queue update NAME"), std::string::npos);
  EXPECT_NE(std::get<Help>(help).text.find("--default-window"), std::string::npos);
}

TEST(ParseQueuePauseArgs, PauseAndResumeUpdateOnlyPaused) {
  auto pause = ValueOf(ParseQueuePauseArgs(true, {"q"}, &g));
  EXPECT_FALSE(pause.create);
  EXPECT_EQ(pause.spec.name, "q");
  EXPECT_TRUE(pause.spec.paused);
  EXPECT_EQ(pause.fields, uint32_t{wire::kQueuePaused});
  auto resume = ValueOf(ParseQueuePauseArgs(false, {"q"}, &g));
  EXPECT_FALSE(resume.spec.paused);
  EXPECT_EQ(resume.fields, uint32_t{wire::kQueuePaused});
  EXPECT_EQ(ErrorOf(ParseQueuePauseArgs(true, {}, &g)), "missing queue NAME");
  EXPECT_NE(ErrorOf(ParseQueuePauseArgs(true, {"q", "--weight", "2"}, &g)), "<no usage error>");
}

TEST(ParseQueueDeleteArgs, OneName) {
  EXPECT_EQ(ValueOf(ParseQueueDeleteArgs({"old"}, &g)).name, "old");
  EXPECT_EQ(ErrorOf(ParseQueueDeleteArgs({}, &g)), "missing queue NAME");
  EXPECT_EQ(ErrorOf(ParseQueueDeleteArgs({"a", "b"}, &g)), "unexpected argument 'b'");
}

TEST(ParseQueueListArgs, JsonAndGlobalFlags) {
  GlobalOptions mine = DefaultGlobalOptions(nullptr);
  EXPECT_TRUE(ValueOf(ParseQueueListArgs({"--json", "--scheduler", "tcp://h:2"}, &mine)).json);
  EXPECT_EQ(mine.scheduler, "tcp://h:2");
  EXPECT_FALSE(ValueOf(ParseQueueListArgs({}, &g)).json);
  EXPECT_EQ(ErrorOf(ParseQueueListArgs({"x"}, &g)), "unexpected argument 'x'");
  EXPECT_TRUE(ValueOf(ParseUsageArgs({"--json"}, &g)).json);
  EXPECT_EQ(ErrorOf(ParseUsageArgs({"q"}, &g)), "unexpected argument 'q'");
}

// ---- node, jobs ---------------------------------------------------------------

TEST(ParseNodeActionArgs, OneNode) {
  EXPECT_EQ(ValueOf(ParseNodeActionArgs(wire::NodeOp::kDrain, {"node-a"}, &g)),
            (wire::NodeAction{"node-a", wire::NodeOp::kDrain}));
  EXPECT_EQ(ValueOf(ParseNodeActionArgs(wire::NodeOp::kResume, {"node-a"}, &g)),
            (wire::NodeAction{"node-a", wire::NodeOp::kResume}));
  EXPECT_EQ(ErrorOf(ParseNodeActionArgs(wire::NodeOp::kDrain, {}, &g)), "missing node NAME");
  EXPECT_EQ(ErrorOf(ParseNodeActionArgs(wire::NodeOp::kDrain, {"a", "b"}, &g)), "unexpected argument 'b'");
}

TEST(ParseJobActionArgs, JobsAndArrayTasksInOrder) {
  EXPECT_EQ(ValueOf(ParseJobActionArgs(wire::JobOp::kHold, {"5", "7"}, &g)),
            (std::vector<JobRef>{{5, -1}, {7, -1}}));
  EXPECT_EQ(ValueOf(ParseJobActionArgs(wire::JobOp::kRequeue, {"9_3", "9"}, &g)),
            (std::vector<JobRef>{{9, 3}, {9, -1}}));
  EXPECT_NE(ErrorOf(ParseJobActionArgs(wire::JobOp::kHold, {"9_x"}, &g)).find("bad job id '9_x'"),
            std::string::npos);
  EXPECT_EQ(ErrorOf(ParseJobActionArgs(wire::JobOp::kRelease, {}, &g)), "missing job ID");
  EXPECT_NE(ErrorOf(ParseJobActionArgs(wire::JobOp::kRelease, {"5", "x"}, &g)).find("bad job id 'x'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseJobActionArgs(wire::JobOp::kHold, {"0"}, &g)).find("bad job id '0'"),
            std::string::npos);
}

TEST(ParsePriorityArgs, IdAndPriorityNegativeToo) {
  EXPECT_EQ(ValueOf(ParsePriorityArgs({"5", "10"}, &g)), (PriorityArgs{{5, -1}, 10}));
  EXPECT_EQ(ValueOf(ParsePriorityArgs({"5", "-3"}, &g)), (PriorityArgs{{5, -1}, -3}));
  EXPECT_EQ(ValueOf(ParsePriorityArgs({"5_2", "-3"}, &g)), (PriorityArgs{{5, 2}, -3}));
  EXPECT_EQ(ValueOf(ParsePriorityArgs({"5", "--", "-3"}, &g)).priority, -3);
  EXPECT_EQ(ValueOf(ParsePriorityArgs({"5", "+4"}, &g)).priority, 4);
  GlobalOptions mine = DefaultGlobalOptions(nullptr);
  EXPECT_EQ(ValueOf(ParsePriorityArgs({"--timeout-ms", "100", "5", "-3", "--scheduler", "tcp://h:3"}, &mine)),
            (PriorityArgs{{5, -1}, -3}));
  EXPECT_EQ(mine.timeout_ms, 100);
  EXPECT_EQ(mine.scheduler, "tcp://h:3");

  EXPECT_EQ(ErrorOf(ParsePriorityArgs({}, &g)), "missing job ID");
  EXPECT_EQ(ErrorOf(ParsePriorityArgs({"5"}, &g)), "missing priority P");
  EXPECT_EQ(ErrorOf(ParsePriorityArgs({"5", "1", "2"}, &g)), "unexpected argument '2'");
  EXPECT_EQ(ErrorOf(ParsePriorityArgs({"5", "high"}, &g)),
            "bad priority 'high': a whole number, e.g. 10 or -5");
  EXPECT_EQ(ErrorOf(ParsePriorityArgs({"5", "99999999999"}, &g)),
            "bad priority '99999999999': a whole number, e.g. 10 or -5");
  EXPECT_NE(ErrorOf(ParsePriorityArgs({"-3", "5"}, &g)).find("bad job id '-3'"), std::string::npos);
  EXPECT_NE(ErrorOf(ParsePriorityArgs({"5", "1", "--bogus"}, &g)), "<no usage error>");
  EXPECT_TRUE(std::holds_alternative<Help>(ParsePriorityArgs({"--help"}, &g)));
}

}  // namespace
}  // namespace muster::cli
