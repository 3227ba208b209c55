#include "scheduler/cli/args.h"

#include <gtest/gtest.h>

#include "scheduler/cli/command_args.h"

namespace muster::cli {
namespace {

using Args = std::vector<std::string>;

GlobalOptions Defaults() { return DefaultGlobalOptions(nullptr); }

TEST(DefaultGlobalOptions, EnvironmentOrLoopback) {
  EXPECT_EQ(DefaultGlobalOptions(nullptr).scheduler, "tcp://127.0.0.1:7600");
  EXPECT_EQ(DefaultGlobalOptions("").scheduler, "tcp://127.0.0.1:7600");
  EXPECT_EQ(DefaultGlobalOptions("tcp://10.0.0.1:9").scheduler, "tcp://10.0.0.1:9");
  EXPECT_EQ(DefaultGlobalOptions(nullptr).timeout_ms, 5000);
}

TEST(ParseInvocation, GlobalFlagsBeforeTheCommand) {
  auto p = ParseInvocation({"--scheduler", "tcp://h:1", "--timeout-ms=300", "jobs", "--json"}, Defaults());
  ASSERT_TRUE(IsValue(p));
  const auto& inv = std::get<Invocation>(p);
  EXPECT_EQ(inv.global.scheduler, "tcp://h:1");
  EXPECT_EQ(inv.global.timeout_ms, 300);
  EXPECT_EQ(inv.command, "jobs");
  EXPECT_EQ(inv.args, Args{"--json"});
}

TEST(ParseInvocation, HelpAndVersionNeedNoCommand) {
  auto help = ParseInvocation({"--help"}, Defaults());
  ASSERT_TRUE(IsValue(help));
  EXPECT_TRUE(std::get<Invocation>(help).help);
  EXPECT_TRUE(std::get<Invocation>(help).command.empty());
  auto version = ParseInvocation({"--version"}, Defaults());
  ASSERT_TRUE(IsValue(version));
  EXPECT_TRUE(std::get<Invocation>(version).version);
}

TEST(ParseInvocation, UsageErrors) {
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseInvocation({}, Defaults())));
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseInvocation({"--bogus", "jobs"}, Defaults())));
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseInvocation({"-x", "jobs"}, Defaults())));
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseInvocation({"--scheduler"}, Defaults())));
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseInvocation({"--timeout-ms", "0", "jobs"}, Defaults())));
  EXPECT_TRUE(
      std::holds_alternative<UsageError>(ParseInvocation({"--timeout-ms", "5s", "jobs"}, Defaults())));
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseInvocation({"--scheduler=", "jobs"}, Defaults())));
}

TEST(ParseJobId, OnlyPositiveNumbers) {
  EXPECT_EQ(*ParseJobId("42"), 42u);
  for (const char* bad : {"", "0", "-1", "x", "42x", "4 2", "99999999999999999999999"})
    EXPECT_FALSE(ParseJobId(bad).ok()) << bad;
}

TEST(ParseJobRef, AJobOrAnArrayTaskTheSlurmWay) {
  EXPECT_EQ(*ParseJobRef("42"), (JobRef{42, -1}));
  EXPECT_EQ(*ParseJobRef("42_7"), (JobRef{42, 7}));
  EXPECT_EQ(*ParseJobRef("42_0"), (JobRef{42, 0}));
  EXPECT_EQ(*ParseJobRef("42_007"), (JobRef{42, 7}));
  for (const char* bad : {"", "0", "x", "42_", "_7", "42_x", "42_-1", "42_+1", "42_7_1", "42__7", "0_7",
                          "-1_7", "42_7x", "42_99999999999", "42 _7"}) {
    auto r = ParseJobRef(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message(),
              "bad job id '" + std::string(bad) + "': a positive number (42) or an array task (42_7)");
  }
  EXPECT_EQ(JobRefText({42, 7}), "42_7");
  EXPECT_EQ(JobRefText({42, 0}), "42_0");
  EXPECT_EQ(JobRefText({42, -1}), "42");
}

TEST(ParseStates, NamesListsAndAll) {
  auto s = ParseStates("running,PENDING,running");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (std::vector<JobState>{JobState::kPending, JobState::kRunning}));
  auto all = ParseStates("all");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 9u);
  EXPECT_FALSE(ParseStates("bogus").ok());
  EXPECT_FALSE(ParseStates("").ok());
}

TEST(ParseJobsArgs, FiltersAndGlobalFlagsAfterTheCommand) {
  GlobalOptions g = Defaults();
  auto p = ParseJobsArgs({"--state", "pending,running", "--team", "vision", "--queue", "q1", "--json",
                          "--scheduler", "tcp://x:1", "--timeout-ms", "250"},
                         &g);
  ASSERT_TRUE(IsValue(p));
  const auto& a = std::get<JobsArgs>(p);
  EXPECT_TRUE(a.json);
  EXPECT_EQ(a.request.states, (std::vector<JobState>{JobState::kPending, JobState::kRunning}));
  EXPECT_EQ(a.request.team, "vision");
  EXPECT_EQ(a.request.queue, "q1");
  EXPECT_EQ(g.scheduler, "tcp://x:1");
  EXPECT_EQ(g.timeout_ms, 250);
}

TEST(ParseJobsArgs, RejectsStrayArgumentsAndBadStates) {
  GlobalOptions g = Defaults();
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseJobsArgs({"42"}, &g)));
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseJobsArgs({"--state", "sleeping"}, &g)));
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseJobsArgs({"--nope"}, &g)));
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseJobsArgs({"--timeout-ms", "-3"}, &g)));
  EXPECT_TRUE(std::holds_alternative<Help>(ParseJobsArgs({"--help"}, &g)));
}

TEST(ParseShowArgs, OneJobId) {
  GlobalOptions g = Defaults();
  auto p = ParseShowArgs({"42", "--json"}, &g);
  ASSERT_TRUE(IsValue(p));
  EXPECT_EQ(std::get<ShowArgs>(p).job, (JobRef{42, -1}));
  EXPECT_TRUE(std::get<ShowArgs>(p).json);
  EXPECT_EQ(std::get<ShowArgs>(ParseShowArgs({"42_7"}, &g)).job, (JobRef{42, 7}));
  EXPECT_EQ(std::get<ShowArgs>(ParseHistoryArgs({"42_7"}, &g)).job, (JobRef{42, 7}));
  for (const char* bad : {"42_x", "_7", "42_-1"})
    EXPECT_NE(std::get<UsageError>(ParseShowArgs({bad}, &g)).message.find("an array task (42_7)"),
              std::string::npos);
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseShowArgs({}, &g)));
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseShowArgs({"42", "43"}, &g)));
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseShowArgs({"abc"}, &g)));
  auto help = ParseShowArgs({"--help"}, &g);
  ASSERT_TRUE(std::holds_alternative<Help>(help));
  EXPECT_NE(std::get<Help>(help).text.find("usage: muster show ID"), std::string::npos);
}

TEST(ParseCancelArgs, OneOrMoreIds) {
  GlobalOptions g = Defaults();
  auto p = ParseCancelArgs({"4", "5"}, &g);
  ASSERT_TRUE(IsValue(p));
  EXPECT_EQ(std::get<CancelArgs>(p).jobs, (std::vector<JobRef>{{4, -1}, {5, -1}}));
  p = ParseCancelArgs({"4_0", "4", "9_12"}, &g);
  ASSERT_TRUE(IsValue(p));
  EXPECT_EQ(std::get<CancelArgs>(p).jobs, (std::vector<JobRef>{{4, 0}, {4, -1}, {9, 12}}));
  EXPECT_EQ(std::get<UsageError>(ParseCancelArgs({}, &g)).message, "missing job ID");
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseCancelArgs({"4", "x"}, &g)));
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseCancelArgs({"4_1", "4_"}, &g)));
}

TEST(ParseLogsArgs, RankAndFollow) {
  GlobalOptions g = Defaults();
  auto p = ParseLogsArgs({"7"}, &g);
  ASSERT_TRUE(IsValue(p));
  EXPECT_EQ(std::get<LogsArgs>(p).job, (JobRef{7, -1}));
  EXPECT_EQ(std::get<LogsArgs>(p).rank, 0);
  EXPECT_FALSE(std::get<LogsArgs>(p).follow);
  p = ParseLogsArgs({"7", "--rank", "3", "-f"}, &g);
  ASSERT_TRUE(IsValue(p));
  EXPECT_EQ(std::get<LogsArgs>(p).rank, 3);
  EXPECT_TRUE(std::get<LogsArgs>(p).follow);
  p = ParseLogsArgs({"--follow", "7"}, &g);
  ASSERT_TRUE(IsValue(p));
  EXPECT_TRUE(std::get<LogsArgs>(p).follow);
  p = ParseLogsArgs({"7_2", "--rank", "1"}, &g);
  ASSERT_TRUE(IsValue(p));
  EXPECT_EQ(std::get<LogsArgs>(p).job, (JobRef{7, 2}));
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseLogsArgs({"7_"}, &g)));
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseLogsArgs({"7", "--rank", "-1"}, &g)));
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseLogsArgs({"7", "--rank", "x"}, &g)));
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseLogsArgs({}, &g)));
}

TEST(ParseNodesArgs, JsonOnly) {
  GlobalOptions g = Defaults();
  auto p = ParseNodesArgs({"--json"}, &g);
  ASSERT_TRUE(IsValue(p));
  EXPECT_TRUE(std::get<NodesArgs>(p).json);
  EXPECT_FALSE(std::get<NodesArgs>(p).gpus);
  auto gpus = ParseNodesArgs({"--gpus"}, &g);
  ASSERT_TRUE(IsValue(gpus));
  EXPECT_TRUE(std::get<NodesArgs>(gpus).gpus);
  EXPECT_FALSE(std::get<NodesArgs>(gpus).json);
  EXPECT_TRUE(std::holds_alternative<UsageError>(ParseNodesArgs({"node-a"}, &g)));
}

}  // namespace
}  // namespace muster::cli
