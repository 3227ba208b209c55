// Parsing of the retraining commands (model register|update|..., trigger)
// and how models and trigger answers are printed.
#include "scheduler/cli/model_args.h"

#include <gtest/gtest.h>

#include "scheduler/cli/format.h"
#include "tests/cli/parsed_util.h"

namespace muster::cli {
namespace {

using Args = std::vector<std::string>;

GlobalOptions g = DefaultGlobalOptions(nullptr);
const SubmitDefaults kAlice{"alice", "/home/alice/churn"};

wire::PutModel Register(const Args& args) {
  auto a = ValueOf(ParseModelPutArgs(true, args, kAlice, &g));
  auto put = BuildModelPut(a, nullptr);
  EXPECT_TRUE(put.ok()) << put.status().ToString();
  return put.ok() ? *put : wire::PutModel{};
}

TEST(ParseModelPutArgs, RegisterBuildsATemplateThatDefaultsToOffpeakPreferred) {
  wire::PutModel put =
      Register({"churn", "--gpus", "2", "--deadline", "12h", "--cooldown", "6h", "--checkpoint-dir", "ckpt/",
                "--", "python3", "train.py", "--data", "x.csv"});
  EXPECT_TRUE(put.create);
  const ModelSpec& s = put.spec;
  EXPECT_EQ(s.name, "churn");
  EXPECT_EQ(s.deadline, 12 * kHour);
  EXPECT_EQ(s.cooldown, 6 * kHour);
  EXPECT_EQ(s.checkpoint_dir, "/home/alice/churn/ckpt") << "relative to the current directory, no trailing /";
  EXPECT_EQ(s.job.argv, (std::vector<std::string>{"python3", "train.py", "--data", "x.csv"}));
  EXPECT_EQ(s.job.name, "churn") << "its jobs list under the model's name";
  EXPECT_EQ(s.job.team, "") << "musterd's default: the caller's first team";
  EXPECT_EQ(s.job.user, "alice");
  EXPECT_EQ(s.job.queue, "default");
  EXPECT_EQ(s.job.total_gpus, 2);
  EXPECT_EQ(s.job.window, Window::kOffpeakPreferred);
  EXPECT_TRUE(s.job.window_set);
  EXPECT_EQ(s.job.workdir, "/home/alice/churn");

  EXPECT_EQ(Register({"m", "--window", "anytime", "--", "true"}).spec.job.window, Window::kAnytime);
  EXPECT_EQ(Register({"m", "--", "true"}).spec.cooldown, 0) << "no cooldown unless asked";
}

TEST(ParseModelPutArgs, RegisterRefusesWhatMusterdWouldRefuse) {
  EXPECT_NE(ErrorOf(ParseModelPutArgs(true, {"churn", "--gpus", "1"}, kAlice, &g)).find("needs a command"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseModelPutArgs(true, {"a/b", "--", "true"}, kAlice, &g)).find("bad model name"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseModelPutArgs(true, {"m", "--cooldown", "soon", "--", "true"}, kAlice, &g))
                .find("--cooldown"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(ParseModelPutArgs(true, {"m", "--window", "never", "--", "true"}, kAlice, &g)).find("--window"),
      std::string::npos);
  EXPECT_FALSE(IsValue(ParseModelPutArgs(true, {"m", "--hold", "--", "true"}, kAlice, &g)))
      << "submit-only flags are not template flags";
  EXPECT_FALSE(IsValue(ParseModelPutArgs(true, {"m", "--array", "0-3", "--", "true"}, kAlice, &g)));
  EXPECT_FALSE(IsValue(ParseModelPutArgs(true, {"--", "true"}, kAlice, &g)));
}

TEST(ParseModelPutArgs, UpdateChangesOnlyTheFlagsGiven) {
  ModelSpec current =
      Register({"churn", "--team", "vision", "--queue", "research", "--nodes", "2", "--gpus-per-node", "4",
                "--env", "A=1", "--env", "B=2", "--cooldown", "6h", "--", "python3", "t.py"})
          .spec;
  auto a = ValueOf(
      ParseModelPutArgs(false, {"churn", "--gpus", "8", "--env", "B=3", "--cooldown", "1h"}, kAlice, &g));
  auto put = BuildModelPut(a, &current);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_FALSE(put->create);
  const ModelSpec& s = put->spec;
  EXPECT_EQ(s.cooldown, kHour);
  EXPECT_EQ(s.job.total_gpus, 8);
  EXPECT_EQ(s.job.nodes, 0) << "a shape flag replaces the whole shape";
  EXPECT_EQ(s.job.gpus_per_node, 0);
  EXPECT_EQ(s.job.env, (std::vector<EnvVar>{{"A", "1"}, {"B", "3"}}));
  EXPECT_EQ(s.job.team, "vision") << "not given: kept";
  EXPECT_EQ(s.job.queue, "research");
  EXPECT_EQ(s.job.argv, (std::vector<std::string>{"python3", "t.py"}));
  EXPECT_EQ(s.job.window, Window::kOffpeakPreferred);

  a = ValueOf(ParseModelPutArgs(false, {"churn", "--", "python3", "t2.py"}, kAlice, &g));
  EXPECT_EQ(BuildModelPut(a, &current)->spec.job.argv, (std::vector<std::string>{"python3", "t2.py"}));
  EXPECT_NE(ErrorOf(ParseModelPutArgs(false, {"churn"}, kAlice, &g)).find("nothing to update"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseModelPutArgs(false, {"churn", "--deadline", "x"}, kAlice, &g)).find("--deadline"),
            std::string::npos);
}

TEST(ParseModelPutArgs, UpdateTurnsPreemptionOffAndUnsetsVariables) {
  ModelSpec current =
      Register({"churn", "--preemptible", "--env", "A=1", "--env", "B=2", "--env", "C=3", "--", "t"}).spec;
  ASSERT_TRUE(current.job.preemptible);
  auto a = ValueOf(ParseModelPutArgs(
      false, {"churn", "--no-preemptible", "--unset-env", "A", "--unset-env", "C", "--env", "D=4"}, kAlice,
      &g));
  auto put = BuildModelPut(a, &current);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_FALSE(put->spec.job.preemptible);
  EXPECT_EQ(put->spec.job.env, (std::vector<EnvVar>{{"B", "2"}, {"D", "4"}}));

  a = ValueOf(ParseModelPutArgs(false, {"churn", "--unset-env", "B", "--unset-env", "B"}, kAlice, &g));
  EXPECT_EQ(BuildModelPut(a, &current)->spec.job.env, (std::vector<EnvVar>{{"A", "1"}, {"C", "3"}}))
      << "naming a variable twice unsets it once";
  a = ValueOf(ParseModelPutArgs(false, {"churn", "--preemptible"}, kAlice, &g));
  current.job.preemptible = false;
  EXPECT_TRUE(BuildModelPut(a, &current)->spec.job.preemptible) << "and back on";
}

TEST(ParseModelPutArgs, UnsettingAVariableTheModelLacksSaysWhichAndWhatItHas) {
  ModelSpec current = Register({"churn", "--env", "A=1", "--env", "B=2", "--", "t"}).spec;
  auto a =
      ValueOf(ParseModelPutArgs(false, {"churn", "--unset-env", "A", "--unset-env", "NOPE"}, kAlice, &g));
  auto put = BuildModelPut(a, &current);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().message(), "--unset-env NOPE: the template sets no variable NOPE (it sets: A, B)");
  current.job.env.clear();
  EXPECT_NE(BuildModelPut(a, &current).status().message().find("(it sets: none)"), std::string::npos);
}

TEST(ParseModelPutArgs, UpdateOnlyFlagsAreUsageErrorsWhenMisusedOrOutOfPlace) {
  EXPECT_EQ(ErrorOf(ParseModelPutArgs(false, {"churn", "--preemptible", "--no-preemptible"}, kAlice, &g)),
            "give --preemptible or --no-preemptible, not both");
  EXPECT_EQ(ErrorOf(ParseModelPutArgs(false, {"churn", "--env", "A=1", "--unset-env", "A"}, kAlice, &g)),
            "--env and --unset-env both name A: give one");
  EXPECT_NE(ErrorOf(ParseModelPutArgs(false, {"churn", "--unset-env", "A=1"}, kAlice, &g)).find("NAME only"),
            std::string::npos);
  EXPECT_NE(ErrorOf(ParseModelPutArgs(false, {"churn", "--unset-env", "A", "--window", "never"}, kAlice, &g))
                .find("--window"),
            std::string::npos)
      << "the other flags are still checked before musterd is asked";
  // A new template has nothing to undo; a job neither.
  EXPECT_NE(ErrorOf(ParseModelPutArgs(true, {"m", "--no-preemptible", "--", "t"}, kAlice, &g))
                .find("no-preemptible"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(ParseModelPutArgs(true, {"m", "--unset-env", "A", "--", "t"}, kAlice, &g)).find("unset-env"),
      std::string::npos);
  auto update_help = ParseModelPutArgs(false, {"--help"}, kAlice, &g);
  ASSERT_TRUE(std::holds_alternative<Help>(update_help));
  EXPECT_NE(std::get<Help>(update_help).text.find("--unset-env NAME"), std::string::npos);
  auto register_help = ParseModelPutArgs(true, {"--help"}, kAlice, &g);
  ASSERT_TRUE(std::holds_alternative<Help>(register_help));
  EXPECT_EQ(std::get<Help>(register_help).text.find("--unset-env"), std::string::npos);
}

TEST(ParseTriggerArgs, ReasonIsRequiredAndMetricsAreNameValuePairs) {
  auto t = ValueOf(ParseTriggerArgs(
      {"churn", "--reason", "psi high", "--metric", "psi.age=0.31", "--metric", "note=a=b", "--json"}, kAlice,
      &g));
  EXPECT_EQ(t.trigger.model, "churn");
  EXPECT_EQ(t.trigger.reason, "psi high");
  EXPECT_EQ(t.trigger.source, "cli:alice");
  EXPECT_EQ(t.trigger.metrics, (std::vector<EnvVar>{{"psi.age", "0.31"}, {"note", "a=b"}}));
  EXPECT_TRUE(t.json);
  EXPECT_NE(ErrorOf(ParseTriggerArgs({"churn"}, kAlice, &g)).find("--reason"), std::string::npos);
  EXPECT_NE(ErrorOf(ParseTriggerArgs({"churn", "--reason", ""}, kAlice, &g)).find("--reason"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(ParseTriggerArgs({"churn", "--reason", "x", "--metric", "nope"}, kAlice, &g)).find("--metric"),
      std::string::npos);
  EXPECT_NE(ErrorOf(ParseTriggerArgs({"--reason", "x"}, kAlice, &g)).find("missing model NAME"),
            std::string::npos);
}

TEST(FormatModels, TableShowsWhatEachModelIsDoing) {
  wire::ModelInfo running, due, idle;
  running.model.spec.name = "b-running";
  running.model.spec.job.queue = "q";
  running.model.spec.job.total_gpus = 2;
  running.model.active_job = 42;
  running.model.triggers = 1000;
  due.model.spec.name = "a-due";
  due.model.spec.job.nodes = 2;
  due.model.spec.job.gpus_per_node = 8;
  due.model.spec.cooldown = 6 * kHour;
  due.model.due = true;
  due.model.last_job = 40;
  due.model.last_state = JobState::kCompleted;
  due.model.warm_start = "/ckpt/40";
  due.cooldown_end = 1'764'000'000'000'000;
  idle.model.spec.name = "c-idle";
  std::string table = FormatModelsTable({running, due, idle});
  EXPECT_EQ(
      table,
      "NAME       QUEUE  GPUS  WINDOW   COOLDOWN  RETRAIN                   LAST          WARM_START  "
      "TRIGGERS\n"
      "a-due             2x8   anytime  6h        due 2025-11-24T16:00:00Z  40 COMPLETED  /ckpt/40    0\n"
      "b-running  q      2     anytime  -         42                        -             -           1000\n"
      "c-idle            0     anytime  -         -                         -             -           0\n");
}

TEST(FormatModels, TriggerRepliesSayWhatHappened) {
  EXPECT_EQ(FormatTriggerReply("churn", {TriggerOutcome::kSubmitted, 42, 0, kNoTime}),
            "Submitted retrain job 42 for model churn (trigger #0)\n");
  EXPECT_EQ(FormatTriggerReply("churn", {TriggerOutcome::kCoalesced, 42, 7, kNoTime}),
            "Recorded on retrain job 42 of model churn, already pending or running (trigger #7)\n");
  EXPECT_EQ(FormatTriggerReply("churn", {TriggerOutcome::kDeferred, kNoJob, 8, 1'764'000'000'000'000}),
            "Deferred: model churn cools down until 2025-11-24T16:00:00Z; one retrain will be submitted then "
            "(trigger #8)\n");
  auto j = TriggerReplyToJson({TriggerOutcome::kDeferred, kNoJob, 8, 1'764'000'000'000'000});
  EXPECT_EQ(j["outcome"], "deferred");
  EXPECT_TRUE(j["job"].is_null());
  EXPECT_EQ(j["cooldown_end"], "2025-11-24T16:00:00Z");
}

}  // namespace
}  // namespace muster::cli
