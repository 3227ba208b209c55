#include "common/base/job_spec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/builders.h"

namespace muster {
namespace {

using testing::JobSpecBuilder;

// Expects ValidateJobSpec to reject `spec` with InvalidArgument and a message
// containing `needle` (the thing the user must change).
void ExpectRejected(const JobSpec& spec, const std::string& needle) {
  Status st = ValidateJobSpec(spec);
  ASSERT_FALSE(st.ok()) << "accepted; expected a complaint about '" << needle << "'";
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find(needle), std::string::npos)
      << "message '" << st.message() << "' does not name '" << needle << "'";
}

TEST(ValidateJobSpec, AcceptsGoodSpecs) {
  const std::vector<JobSpec> good = {
      JobSpecBuilder().Build(),
      JobSpecBuilder().Gpus(8).Build(),
      JobSpecBuilder().Gang(2, 4).Build(),
      JobSpecBuilder().Gang(kMaxNodesPerJob, kMaxGpusPerNode).Build(),
      JobSpecBuilder().Gpus(kMaxNodesPerJob * kMaxGpusPerNode).Build(),
      JobSpecBuilder().Name("").Build(),  // name is optional
      JobSpecBuilder().Name(std::string(256, 'n')).Build(),
      JobSpecBuilder().Team(std::string(64, 't')).Queue("q.A_b-9").Build(),
      JobSpecBuilder().TimeLimit(0).Build(),
      JobSpecBuilder().TimeLimit(7 * kDay).Build(),
      JobSpecBuilder().After({1, 2, 3}).Build(),
      JobSpecBuilder().MaxRestarts(0).Build(),
      JobSpecBuilder().MaxRestarts(1000).Build(),
      JobSpecBuilder().GraceSeconds(0).Build(),
      JobSpecBuilder().GraceSeconds(3600).Build(),
      JobSpecBuilder().Retrain("llama-7b").Build(),
      JobSpecBuilder().Env("A", "").Env("B", "x=y").Build(),
      JobSpecBuilder().Argv(std::vector<std::string>(kMaxArgv, "a")).Build(),
      JobSpecBuilder().Argv({"run", std::string(kMaxStringBytes, 'x')}).Build(),
      JobSpecBuilder().Priority(-100).Preemptible().InWindow(Window::kOffpeak).Build(),
  };
  for (size_t i = 0; i < good.size(); ++i) {
    Status st = ValidateJobSpec(good[i]);
    EXPECT_TRUE(st.ok()) << "case " << i << ": " << st.ToString();
  }
}

TEST(ValidateJobSpec, NoCommand) {
  ExpectRejected(JobSpecBuilder().Argv({}), "no command");
  ExpectRejected(JobSpecBuilder().Argv({"", "x"}), "no command");
}

TEST(ValidateJobSpec, BothGpusAndNodes) { ExpectRejected(JobSpecBuilder().Shape(2, 4, 8), "not both"); }

TEST(ValidateJobSpec, NodesWithoutGpusPerNode) {
  ExpectRejected(JobSpecBuilder().Shape(2, 0, 0), "--gpus-per-node");
}

TEST(ValidateJobSpec, GpusPerNodeWithoutNodes) {
  ExpectRejected(JobSpecBuilder().Shape(0, 4, 0), "--gpus-per-node needs --nodes");
  ExpectRejected(JobSpecBuilder().Shape(0, 4, 8), "--gpus-per-node needs --nodes");
}

TEST(ValidateJobSpec, ZeroGpus) {
  ExpectRejected(JobSpecBuilder().Gpus(0), "at least 1 GPU");
  ExpectRejected(JobSpecBuilder().Shape(0, 0, 0), "at least 1 GPU");
}

TEST(ValidateJobSpec, NegativeCounts) {
  ExpectRejected(JobSpecBuilder().Gpus(-1), "negative");
  ExpectRejected(JobSpecBuilder().Shape(-1, 4, 0), "negative");
  ExpectRejected(JobSpecBuilder().Shape(2, -4, 0), "negative");
}

TEST(ValidateJobSpec, TooLargeShapes) {
  ExpectRejected(JobSpecBuilder().Gang(kMaxNodesPerJob + 1, 1), "too many nodes");
  ExpectRejected(JobSpecBuilder().Gang(1, kMaxGpusPerNode + 1), "too many GPUs per node");
  ExpectRejected(JobSpecBuilder().Gpus(kMaxNodesPerJob * kMaxGpusPerNode + 1), "too many GPUs");
}

TEST(ValidateJobSpec, BadTeamNames) {
  for (const std::string& team : {std::string("a b"), std::string("ml/vision"), std::string(65, 't'),
                                  std::string("caf\xC3\xA9"), std::string("a\nb"), std::string("x;rm")}) {
    SCOPED_TRACE(team);
    ExpectRejected(JobSpecBuilder().Team(team), "bad team");
  }
  EXPECT_TRUE(ValidateJobSpec(JobSpecBuilder().Team("").Build()).ok()) << "empty: musterd's default team";
}

TEST(ValidateJobSpec, BadQueueNames) {
  for (const std::string& queue :
       {std::string(""), std::string("q q"), std::string(65, 'q'), std::string("q*")}) {
    SCOPED_TRACE(queue);
    ExpectRejected(JobSpecBuilder().Queue(queue), "bad queue");
  }
}

TEST(ValidateJobSpec, NegativeTimeLimit) { ExpectRejected(JobSpecBuilder().TimeLimit(-1), "time limit"); }

TEST(ValidateJobSpec, DependencyOnJobZero) { ExpectRejected(JobSpecBuilder().After({3, kNoJob}), "job 0"); }

TEST(ValidateJobSpec, TooManyDependencies) {
  ExpectRejected(JobSpecBuilder().After(std::vector<JobId>(1025, 1)), "too many dependencies");
  EXPECT_TRUE(ValidateJobSpec(JobSpecBuilder().After(std::vector<JobId>(1024, 1))).ok());
}

TEST(ValidateJobSpec, TooManyArgs) {
  ExpectRejected(JobSpecBuilder().Argv(std::vector<std::string>(kMaxArgv + 1, "a")), "too many arguments");
}

TEST(ValidateJobSpec, ArgumentTooLong) {
  ExpectRejected(JobSpecBuilder().Argv({"run", std::string(kMaxStringBytes + 1, 'x')}), "argument");
}

TEST(ValidateJobSpec, Environment) {
  JobSpecBuilder many;
  for (size_t i = 0; i <= kMaxEnv; ++i) many.Env("V" + std::to_string(i), "1");
  ExpectRejected(many, "environment");
  ExpectRejected(JobSpecBuilder().Env("", "x"), "environment variable name");
  ExpectRejected(JobSpecBuilder().Env("A=B", "x"), "A=B");
  ExpectRejected(JobSpecBuilder().Env("BIG", std::string(kMaxStringBytes, 'x')), "longer than 64 KiB");
}

TEST(ValidateJobSpec, NameTooLong) {
  ExpectRejected(JobSpecBuilder().Name(std::string(257, 'n')), "job name");
}

TEST(ValidateJobSpec, RestartsAndGrace) {
  ExpectRejected(JobSpecBuilder().MaxRestarts(-1), "max restarts");
  ExpectRejected(JobSpecBuilder().MaxRestarts(1001), "max restarts");
  ExpectRejected(JobSpecBuilder().GraceSeconds(-1), "grace");
  ExpectRejected(JobSpecBuilder().GraceSeconds(3601), "grace");
}

TEST(ValidateJobSpec, RetrainNeedsModel) {
  ExpectRejected(JobSpecBuilder().Kind(JobKind::kRetrain).Model(""), "model");
}

TEST(ValidateJobSpec, FirstProblemIsReportedDeterministically) {
  // Several problems at once: the command comes first.
  JobSpec spec = JobSpecBuilder().Argv({}).Team("").Gpus(0).TimeLimit(-1);
  ExpectRejected(spec, "no command");
}

TEST(IsValidName, Rules) {
  EXPECT_TRUE(IsValidName("a"));
  EXPECT_TRUE(IsValidName("Team-1.x_y"));
  EXPECT_TRUE(IsValidName(std::string(64, 'z')));
  EXPECT_FALSE(IsValidName(""));
  EXPECT_FALSE(IsValidName(std::string(65, 'z')));
  for (char c : std::string(" /\\:;,=*?\t\n\"'@#$%^&()[]{}<>|~`!+"))
    EXPECT_FALSE(IsValidName(std::string("a") + c + "b")) << "char " << static_cast<int>(c);
  EXPECT_FALSE(IsValidName("\xC3\xA9"));
}

TEST(TotalGpus, BothForms) {
  EXPECT_EQ(TotalGpus(JobSpecBuilder().Gang(3, 4)), 12);
  EXPECT_EQ(TotalGpus(JobSpecBuilder().Gpus(7)), 7);
}

}  // namespace
}  // namespace muster

namespace muster {
namespace {

// A whole spec is capped (issue: 40 held jobs of megabytes each made
// `muster jobs` fail for everyone): each argument under its own limit, but
// together over 256 KiB.
TEST(ValidateJobSpec, AWholeSpecOver256KiBIsRefusedWithItsSize) {
  std::vector<std::string> argv(5, std::string(60 * 1024, 'a'));
  ExpectRejected(JobSpecBuilder().Argv(argv), "come to 300 KiB (at most 256 KiB; put large inputs in files)");
  JobSpecBuilder env_heavy;
  for (int i = 0; i < 5; ++i) env_heavy.Env("V" + std::to_string(i), std::string(60 * 1024, 'v'));
  ExpectRejected(env_heavy, "(at most 256 KiB");
  argv.resize(4);  // 240 KiB: fine
  EXPECT_TRUE(ValidateJobSpec(JobSpecBuilder().Argv(argv).Build()).ok());
}

}  // namespace
}  // namespace muster
