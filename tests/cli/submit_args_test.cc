#include "scheduler/cli/submit_args.h"

#include <gtest/gtest.h>

#include "common/base/strings.h"

namespace muster::cli {
namespace {

using Args = std::vector<std::string>;

const SubmitDefaults kDefaults{"alice", "/home/alice/proj"};

Parsed<SubmitArgs> Parse(const Args& args, GlobalOptions* global = nullptr) {
  GlobalOptions g = DefaultGlobalOptions(nullptr);
  return ParseSubmitArgs(args, kDefaults, global ? global : &g);
}

JobSpec Spec(const Args& args) {
  auto p = Parse(args);
  if (auto* e = std::get_if<UsageError>(&p)) ADD_FAILURE() << e->message;
  return IsValue(p) ? std::get<SubmitArgs>(p).spec : JobSpec{};
}

std::string Error(const Args& args) {
  auto p = Parse(args);
  auto* e = std::get_if<UsageError>(&p);
  return e ? e->message : "<no usage error>";
}

TEST(ParseSubmitArgs, Defaults) {
  JobSpec s = Spec({"--", "./train.sh"});
  EXPECT_EQ(s.user, "alice");
  EXPECT_EQ(s.team, "alice");
  EXPECT_EQ(s.queue, "default");
  EXPECT_EQ(s.workdir, "/home/alice/proj");
  EXPECT_EQ(s.name, "train.sh");
  EXPECT_EQ(s.total_gpus, 1);
  EXPECT_EQ(s.nodes, 0);
  EXPECT_EQ(s.gpus_per_node, 0);
  EXPECT_EQ(s.priority, 0);
  EXPECT_EQ(s.time_limit, 0);
  EXPECT_EQ(s.max_restarts, 3);
  EXPECT_EQ(s.grace_seconds, 30);
  EXPECT_EQ(s.window, Window::kAnytime);
  EXPECT_FALSE(s.preemptible);
  EXPECT_TRUE(s.after.empty());
  EXPECT_TRUE(s.env.empty());
}

TEST(ParseSubmitArgs, EverythingAfterDashDashIsTheCommandVerbatim) {
  JobSpec s = Spec({"--gpus", "2", "--", "python", "-u", "train.py", "--gpus", "8", "--", "--json", ""});
  EXPECT_EQ(s.argv, (Args{"python", "-u", "train.py", "--gpus", "8", "--", "--json", ""}));
  EXPECT_EQ(s.total_gpus, 2);
  auto p = Parse({"--", "echo", "--json"});
  ASSERT_TRUE(IsValue(p));
  EXPECT_FALSE(std::get<SubmitArgs>(p).json);
}

TEST(ParseSubmitArgs, AllFlags) {
  auto p = Parse({"--name",
                  "resnet",
                  "--team",
                  "vision",
                  "--queue",
                  "batch",
                  "--priority",
                  "-5",
                  "--time-limit",
                  "2h",
                  "--max-restarts",
                  "0",
                  "--grace",
                  "1m",
                  "--workdir",
                  "/data/run",
                  "--preemptible",
                  "--window",
                  "offpeak-preferred",
                  "--deadline",
                  "2026-11-27T20:00:00Z",
                  "--ranks-per-node",
                  "1",
                  "--json",
                  "--",
                  "torchrun",
                  "x.py"});
  ASSERT_TRUE(IsValue(p)) << std::get<UsageError>(p).message;
  const auto& a = std::get<SubmitArgs>(p);
  EXPECT_TRUE(a.json);
  EXPECT_EQ(a.spec.name, "resnet");
  EXPECT_EQ(a.spec.team, "vision");
  EXPECT_EQ(a.spec.user, "alice");
  EXPECT_EQ(a.spec.queue, "batch");
  EXPECT_EQ(a.spec.priority, -5);
  EXPECT_EQ(a.spec.time_limit, 2 * kHour);
  EXPECT_EQ(a.spec.max_restarts, 0);
  EXPECT_EQ(a.spec.grace_seconds, 60);
  EXPECT_EQ(a.spec.workdir, "/data/run");
  EXPECT_TRUE(a.spec.preemptible);
  EXPECT_EQ(a.spec.window, Window::kOffpeakPreferred);
  EXPECT_EQ(a.spec.deadline, *ParseRfc3339("2026-11-27T20:00:00Z"));
  EXPECT_EQ(a.spec.ranks_per_node, RanksPerNode::kOne);
}

TEST(ParseSubmitArgs, Shapes) {
  JobSpec total = Spec({"--gpus", "8", "--", "x"});
  EXPECT_EQ(total.total_gpus, 8);
  EXPECT_EQ(total.nodes, 0);
  JobSpec gang = Spec({"--nodes", "2", "--gpus-per-node", "4", "--", "x"});
  EXPECT_EQ(gang.nodes, 2);
  EXPECT_EQ(gang.gpus_per_node, 4);
  EXPECT_EQ(gang.total_gpus, 0);
  EXPECT_NE(Error({"--gpus", "8", "--nodes", "2", "--gpus-per-node", "4", "--", "x"}), "<no usage error>");
  EXPECT_NE(Error({"--nodes", "2", "--", "x"}).find("--gpus-per-node"), std::string::npos);
  EXPECT_NE(Error({"--gpus-per-node", "2", "--", "x"}).find("--nodes"), std::string::npos);
  EXPECT_NE(Error({"--gpus", "0", "--", "x"}), "<no usage error>");
  EXPECT_NE(Error({"--gpus", "many", "--", "x"}), "<no usage error>");
}

TEST(ParseSubmitArgs, AfterForms) {
  JobSpec s =
      Spec({"--after", "3", "--after", "afterok:4", "--after", "5,6", "--after", "afterok:7:8,3", "--", "x"});
  EXPECT_EQ(s.after, (std::vector<JobId>{3, 4, 5, 6, 7, 8}));
  EXPECT_NE(Error({"--after", "afterany:3", "--", "x"}).find("only afterok"), std::string::npos);
  EXPECT_NE(Error({"--after", "x", "--", "x"}).find("bad dependency"), std::string::npos);
  EXPECT_NE(Error({"--after", "0", "--", "x"}), "<no usage error>");
  EXPECT_NE(Error({"--after", "3,", "--", "x"}), "<no usage error>");
}

TEST(ParseSubmitArgs, Env) {
  JobSpec s = Spec({"--env", "A=1", "--env", "B=x=y", "--env", "EMPTY=", "--", "x"});
  EXPECT_EQ(s.env, (std::vector<EnvVar>{{"A", "1"}, {"B", "x=y"}, {"EMPTY", ""}}));
  EXPECT_NE(Error({"--env", "NOVALUE", "--", "x"}).find("NAME=VALUE"), std::string::npos);
  EXPECT_NE(Error({"--env", "=x", "--", "x"}), "<no usage error>");
}

TEST(ParseSubmitArgs, Durations) {
  EXPECT_EQ(Spec({"--time-limit", "90s", "--", "x"}).time_limit, 90 * kSecond);
  EXPECT_EQ(Spec({"--time-limit", "1d", "--", "x"}).time_limit, kDay);
  EXPECT_EQ(Spec({"--time-limit", "01:30:00", "--", "x"}).time_limit, 90 * kMinute);
  EXPECT_NE(Error({"--time-limit", "2x", "--", "x"}).find("bad duration"), std::string::npos);
  EXPECT_NE(Error({"--time-limit", "", "--", "x"}).find("bad duration"), std::string::npos);
  EXPECT_NE(Error({"--grace", "soon", "--", "x"}).find("bad duration"), std::string::npos);
  EXPECT_NE(Error({"--grace", "2h", "--", "x"}).find("grace"), std::string::npos);  // over 3600 s
}

TEST(ParseSubmitArgs, Workdir) {
  EXPECT_EQ(Spec({"--workdir", "runs/a/", "--", "x"}).workdir, "/home/alice/proj/runs/a");
  EXPECT_EQ(Spec({"--workdir", "../other", "--", "x"}).workdir, "/home/alice/other");
  EXPECT_EQ(Spec({"--workdir", "/abs", "--", "x"}).workdir, "/abs");
}

TEST(ParseSubmitArgs, UsageErrors) {
  EXPECT_NE(Error({"--gpus", "2"}).find("no command"), std::string::npos);
  EXPECT_NE(Error({"--"}).find("no command"), std::string::npos);
  EXPECT_NE(Error({"python", "train.py"}).find("after --"), std::string::npos);
  EXPECT_NE(Error({"--bogus", "--", "x"}), "<no usage error>");
  EXPECT_NE(Error({"--team", "a b", "--", "x"}).find("bad team"), std::string::npos);
  EXPECT_NE(Error({"--window", "never", "--", "x"}).find("--window"), std::string::npos);
  EXPECT_NE(Error({"--deadline", "tomorrow", "--", "x"}).find("--deadline"), std::string::npos);
  EXPECT_NE(Error({"--ranks-per-node", "2", "--", "x"}).find("--ranks-per-node"), std::string::npos);
  EXPECT_NE(Error({"--name", std::string(300, 'n'), "--", "x"}), "<no usage error>");
}

TEST(ParseSubmitArgs, HelpAndGlobalFlags) {
  auto help = Parse({"--help"});
  ASSERT_TRUE(std::holds_alternative<Help>(help));
  EXPECT_NE(std::get<Help>(help).text.find("usage: muster submit"), std::string::npos);
  EXPECT_NE(std::get<Help>(help).text.find("--gpus-per-node"), std::string::npos);
  EXPECT_NE(std::get<Help>(help).text.find("--scheduler"), std::string::npos);

  GlobalOptions g = DefaultGlobalOptions(nullptr);
  auto p = Parse({"--scheduler", "tcp://h:9", "--timeout-ms", "100", "--", "--scheduler", "mine"}, &g);
  ASSERT_TRUE(IsValue(p));
  EXPECT_EQ(g.scheduler, "tcp://h:9");
  EXPECT_EQ(g.timeout_ms, 100);
  EXPECT_EQ(std::get<SubmitArgs>(p).spec.argv, (Args{"--scheduler", "mine"}));
}

}  // namespace
}  // namespace muster::cli
