#include "scheduler/cli/submit_args.h"

#include <gtest/gtest.h>

#include "common/base/strings.h"

namespace muster::cli {
namespace {

using Args = std::vector<std::string>;

const SubmitDefaults kDefaults{"alice", "/home/alice/proj"};
const Time kNow = *ParseRfc3339("2026-11-26T16:20:00Z");

Parsed<SubmitArgs> Parse(const Args& args, GlobalOptions* global = nullptr) {
  GlobalOptions g = DefaultGlobalOptions(nullptr);
  return ParseSubmitArgs(args, kDefaults, kNow, global ? global : &g);
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
  EXPECT_EQ(s.team, "") << "musterd's to decide";
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
  EXPECT_EQ(s.topology, TopologyConstraint::kAny);
  EXPECT_EQ(s.deadline, kNoTime);
  EXPECT_FALSE(s.window_may_overrun);
  EXPECT_FALSE(s.hold);
  EXPECT_EQ(s.array, "");
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
  // Array tasks wait for musterd to name them; plain ids go straight in.
  auto a = std::get<SubmitArgs>(Parse({"--after", "42_7,3", "--after", "afterok:42_7:42_0:42", "--", "x"}));
  EXPECT_EQ(a.spec.after, (std::vector<JobId>{3, 42}));
  EXPECT_EQ(a.after_tasks, (std::vector<JobRef>{{42, 7}, {42, 0}}));
  EXPECT_NE(Error({"--after", "42_x", "--", "x"}).find("bad dependency '42_x'"), std::string::npos);
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

TEST(ParseSubmitArgs, PolicyFlags) {
  auto p = Parse({"--topology", "same-switch", "--window", "offpeak", "--window-may-overrun", "--hold",
                  "--array", "0-99%8", "--preemptible", "--max-restarts", "7", "--", "x"});
  ASSERT_TRUE(IsValue(p)) << std::get<UsageError>(p).message;
  const JobSpec& s = std::get<SubmitArgs>(p).spec;
  EXPECT_EQ(s.topology, TopologyConstraint::kSameSwitch);
  EXPECT_EQ(s.window, Window::kOffpeak);
  EXPECT_TRUE(s.window_may_overrun);
  EXPECT_TRUE(s.hold);
  EXPECT_EQ(s.array, "0-99%8");
  EXPECT_TRUE(s.preemptible);
  EXPECT_EQ(s.max_restarts, 7);
  EXPECT_EQ(Spec({"--topology", "same-node", "--", "x"}).topology, TopologyConstraint::kSameNode);
  EXPECT_EQ(Spec({"--topology", "same-rack", "--", "x"}).topology, TopologyConstraint::kSameRack);
  EXPECT_EQ(Spec({"--topology", "any", "--", "x"}).topology, TopologyConstraint::kAny);
  EXPECT_EQ(Spec({"--window", "anytime", "--", "x"}).window, Window::kAnytime);
  EXPECT_EQ(Spec({"--array", "1,3,5-7", "--", "x"}).array, "1,3,5-7");
}

TEST(ParseSubmitArgs, ArraySyntax) {
  for (const char* good : {"0-99%8", "7", "1,3,5-7", "0-999999", "4-4%1", "0-5,3-8"})
    EXPECT_EQ(Spec({"--array", good, "--", "x"}).array, good);
  for (const char* bad : {"", "%4", "-5", "1-", "1,,2", "0-9%", "0-9%-1", "0-9%x", "0-9%2%3", "1-2-3", " 1",
                          "+1", "0x10", "0-15:4", "99999999999", "0-599999,600000-1000000"})
    EXPECT_NE(Error({"--array", bad, "--", "x"}).find("--array '" + std::string(bad) + "'"),
              std::string::npos)
        << "'" << bad << "'";
}

TEST(ParseSubmitArgs, DeadlineIsATimeOrADurationFromNow) {
  EXPECT_EQ(Spec({"--deadline", "12h", "--", "x"}).deadline, kNow + 12 * kHour);
  EXPECT_EQ(Spec({"--deadline", "1d2h", "--", "x"}).deadline, kNow + 26 * kHour);
  EXPECT_EQ(Spec({"--deadline", "2026-11-27T20:00:00Z", "--", "x"}).deadline,
            *ParseRfc3339("2026-11-27T20:00:00Z"));
  EXPECT_EQ(Spec({"--deadline", "2026-11-27T21:00:00+01:00", "--", "x"}).deadline,
            *ParseRfc3339("2026-11-27T20:00:00Z"));
  EXPECT_NE(Error({"--deadline", "0s", "--", "x"}).find("future"), std::string::npos);
  std::string e = Error({"--deadline", "next week", "--", "x"});
  EXPECT_NE(e.find("bad --deadline 'next week'"), std::string::npos) << e;
  EXPECT_NE(e.find("RFC 3339"), std::string::npos) << e;
  EXPECT_NE(e.find("12h"), std::string::npos) << e;
}

TEST(ParseSubmitArgs, BadPolicyValuesAreUsageErrors) {
  EXPECT_EQ(Error({"--window", "weekends", "--", "x"}),
            "bad --window 'weekends': anytime, offpeak or offpeak-preferred");
  EXPECT_EQ(Error({"--topology", "same-room", "--", "x"}),
            "bad --topology 'same-room': same-node, same-switch, same-rack or any");
  EXPECT_EQ(Error({"--array", "5-2", "--", "x"}),
            "bad --array '5-2': task range '5-2' ends before it starts");
  EXPECT_EQ(Error({"--array", "0-99%0", "--", "x"}),
            "bad --array '0-99%0': the limit after % must be 1 or more");
  EXPECT_EQ(Error({"--array", "abc", "--", "x"}), "bad --array 'abc': bad task index 'abc'");
  EXPECT_NE(Error({"--array", "0-1000000", "--", "x"}).find("(at most 1000000)"), std::string::npos);
  EXPECT_NE(Error({"--max-restarts", "-1", "--", "x"}).find("max restarts"), std::string::npos);
  EXPECT_NE(Error({"--max-restarts", "many", "--", "x"}), "<no usage error>");
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
  // What only undoes a model template's settings has nothing to undo here.
  EXPECT_NE(Error({"--no-preemptible", "--", "x"}).find("--no-preemptible"), std::string::npos);
  EXPECT_NE(Error({"--unset-env", "A", "--", "x"}).find("--unset-env"), std::string::npos);
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

TEST(ApplyExport, AllNoneOrAListAndEnvWins) {
  const std::vector<std::string> env = {
      "HOME=/home/alice", "HF_HOME=/data/hf",         "X=1=2", "MUSTER_KEY=/k",
      "RANK=3",           "MUSTER_RDZV_SECRET_KEY=s", "=odd"};
  auto names = [](const JobSpec& s) {
    std::vector<std::string> out;
    for (const EnvVar& v : s.env) out.push_back(v.name + "=" + v.value);
    return out;
  };
  JobSpec all;
  all.env = {{"X", "mine"}};
  ASSERT_TRUE(ApplyExport("ALL", env, &all).ok());
  EXPECT_EQ(names(all), (std::vector<std::string>{"HOME=/home/alice", "HF_HOME=/data/hf", "X=mine"}))
      << "muster's own and the gang's variables never go; --env wins";
  JobSpec none;
  ASSERT_TRUE(ApplyExport("NONE", env, &none).ok());
  EXPECT_TRUE(none.env.empty());
  JobSpec some;
  ASSERT_TRUE(ApplyExport("HF_HOME,EXTRA=yes,NOT_SET", env, &some).ok());
  EXPECT_EQ(names(some), (std::vector<std::string>{"HF_HOME=/data/hf", "EXTRA=yes"}));
  JobSpec bad;
  EXPECT_FALSE(ApplyExport("HF_HOME,,X", env, &bad).ok());
}

TEST(ParseSubmitArgs, ExportsTheSubmittersEnvironmentByDefault) {
  SubmitDefaults d = kDefaults;
  d.environment = {"DATA=/d", "MUSTER_SCHEDULER=tcp://x:1"};
  GlobalOptions g = DefaultGlobalOptions(nullptr);
  auto p = ParseSubmitArgs({"--env", "K=V", "--", "true"}, d, kNow, &g);
  ASSERT_TRUE(IsValue(p));
  const auto& env = std::get<SubmitArgs>(p).spec.env;
  ASSERT_EQ(env.size(), 2u);
  EXPECT_EQ(env[0].name, "DATA");
  EXPECT_EQ(env[1].name, "K");
  auto none = ParseSubmitArgs({"--export", "NONE", "--", "true"}, d, kNow, &g);
  ASSERT_TRUE(IsValue(none));
  EXPECT_TRUE(std::get<SubmitArgs>(none).spec.env.empty());
}

}  // namespace
}  // namespace muster::cli
