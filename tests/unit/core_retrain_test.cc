// The retraining decisions (scheduler/core/retrain.h): coalescing, cooldown,
// the retrain job's spec and warm start.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "scheduler/core/retrain.h"

namespace muster::core {
namespace {

constexpr Time kNow = 1'760'000'000'000'000;

Model MakeModel() {
  Model m;
  m.spec.name = "fraud";
  m.spec.job.argv = {"python", "retrain.py"};
  m.spec.job.team = "vision";
  m.spec.job.queue = "default";
  m.spec.job.total_gpus = 2;
  m.spec.job.window = Window::kOffpeakPreferred;
  m.spec.job.env = {{"LR", "3e-4"}};
  m.spec.deadline = 12 * kHour;
  m.spec.cooldown = 6 * kHour;
  return m;
}

std::optional<std::string> EnvOf(const JobSpec& spec, const std::string& name) {
  auto it = std::find_if(spec.env.begin(), spec.env.end(), [&](const EnvVar& v) { return v.name == name; });
  if (it == spec.env.end()) return std::nullopt;
  return it->value;
}

Job EndedJob(JobId id, JobState state, std::vector<EnvVar> env = {}) {
  Job j;
  j.id = id;
  j.state = state;
  j.spec.env = std::move(env);
  return j;
}

TEST(CoreRetrain, AFirstTriggerSubmits) {
  EXPECT_EQ(DecideTrigger(MakeModel(), kNow), TriggerOutcome::kSubmitted);
}

TEST(CoreRetrain, ATriggerWhileARetrainIsActiveCoalesces) {
  Model m = MakeModel();
  m.active_job = 7;
  EXPECT_EQ(DecideTrigger(m, kNow), TriggerOutcome::kCoalesced);
  m.last_end = kNow - kMinute;  // active wins over cooldown
  EXPECT_EQ(DecideTrigger(m, kNow), TriggerOutcome::kCoalesced);
}

TEST(CoreRetrain, TheCooldownCountsFromTheLastRetrainsEnd) {
  Model m = MakeModel();
  m.last_end = kNow - 6 * kHour + kSecond;
  EXPECT_EQ(DecideTrigger(m, kNow), TriggerOutcome::kDeferred);
  EXPECT_EQ(CooldownEnd(m), kNow + kSecond);
  m.last_end = kNow - 6 * kHour;  // exactly over: submit
  EXPECT_EQ(DecideTrigger(m, kNow), TriggerOutcome::kSubmitted);
  m.spec.cooldown = 0;
  m.last_end = kNow;
  EXPECT_EQ(CooldownEnd(m), kNoTime);
  EXPECT_EQ(DecideTrigger(m, kNow), TriggerOutcome::kSubmitted);
}

TEST(CoreRetrain, TheRetrainJobIsTheTemplateWithTheRetrainVariables) {
  Model m = MakeModel();
  JobSpec s = RetrainJobSpec(m, 42, "psi above 0.2", {{"psi.age", "0.31"}, {"ks-p", "0.001"}}, kNow);
  EXPECT_EQ(s.kind, JobKind::kRetrain);
  EXPECT_EQ(s.model, "fraud");
  EXPECT_EQ(s.name, "retrain-fraud");
  EXPECT_EQ(s.total_gpus, 2);
  EXPECT_EQ(s.window, Window::kOffpeakPreferred);
  EXPECT_EQ(s.deadline, kNow + 12 * kHour);
  EXPECT_EQ(EnvOf(s, "LR"), "3e-4");
  EXPECT_EQ(EnvOf(s, "MUSTER_MODEL"), "fraud");
  EXPECT_EQ(EnvOf(s, "MUSTER_TRIGGER_REASON"), "psi above 0.2");
  EXPECT_EQ(EnvOf(s, "MUSTER_METRIC_PSI_AGE"), "0.31");
  EXPECT_EQ(EnvOf(s, "MUSTER_METRIC_KS_P"), "0.001");
  EXPECT_EQ(EnvOf(s, "MUSTER_WARM_START"), std::nullopt) << "no successful run yet";
  EXPECT_EQ(EnvOf(s, "MUSTER_CHECKPOINT_DIR"), std::nullopt) << "musterd's default applies";

  m.warm_start = "/ckpt/fraud/40";
  m.spec.checkpoint_dir = "/ckpt/fraud";
  m.spec.deadline = 0;
  m.spec.job.env.push_back({"MUSTER_TRIGGER_REASON", "from the template"});
  s = RetrainJobSpec(m, 42, "accuracy", {}, kNow);
  EXPECT_EQ(EnvOf(s, "MUSTER_WARM_START"), "/ckpt/fraud/40");
  EXPECT_EQ(EnvOf(s, "MUSTER_CHECKPOINT_DIR"), "/ckpt/fraud/42");
  EXPECT_EQ(EnvOf(s, "MUSTER_TRIGGER_REASON"), "accuracy") << "the trigger's reason wins, once";
  EXPECT_EQ(std::count_if(s.env.begin(), s.env.end(),
                          [](const EnvVar& v) { return v.name == "MUSTER_TRIGGER_REASON"; }),
            1);
  EXPECT_EQ(s.deadline, kNoTime) << "no template deadline: none";
}

TEST(CoreRetrain, OnlyACompletedRetrainBecomesTheWarmStart) {
  Model m = MakeModel();
  m.active_job = 40;
  RecordRetrainEnd(m, EndedJob(40, JobState::kCompleted), "/state/checkpoints", kNow);
  EXPECT_EQ(m.active_job, kNoJob);
  EXPECT_EQ(m.last_job, 40u);
  EXPECT_EQ(m.last_state, JobState::kCompleted);
  EXPECT_EQ(m.last_end, kNow);
  EXPECT_EQ(m.last_success_job, 40u);
  EXPECT_EQ(m.warm_start, "/state/checkpoints/40");

  m.active_job = 41;
  RecordRetrainEnd(m, EndedJob(41, JobState::kFailed, {{"MUSTER_CHECKPOINT_DIR", "/x/41"}}),
                   "/state/checkpoints", kNow + kHour);
  EXPECT_EQ(m.last_job, 41u);
  EXPECT_EQ(m.last_state, JobState::kFailed);
  EXPECT_EQ(m.warm_start, "/state/checkpoints/40") << "a failed run does not replace the warm start";

  m.active_job = 42;
  RecordRetrainEnd(m, EndedJob(42, JobState::kCompleted, {{"MUSTER_CHECKPOINT_DIR", "/x/42"}}),
                   "/state/checkpoints", kNow + 2 * kHour);
  EXPECT_EQ(m.warm_start, "/x/42") << "the run's own checkpoint dir";
}

}  // namespace
}  // namespace muster::core
