// Golden runs: the JSON of fixed simulations, compared byte for byte with
// files checked in under tests/sim/golden/. A change in the policy core, the
// engine or a baseline shows up here as a diff to review; regenerate with
//   MUSTER_UPDATE_GOLDEN=1 ctest -R sim_golden
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "scheduler/sim/report.h"
#include "scheduler/sim/runner.h"
#include "tests/sim/sim_test_util.h"

namespace muster::sim {
namespace {

std::string ReadOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Compares `actual` with the golden file, or rewrites it when asked.
void ExpectGolden(const std::string& name, const std::string& actual) {
  std::string path = std::string(MUSTER_SIM_GOLDEN_DIR) + "/" + name;
  const char* update = std::getenv("MUSTER_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << actual;
    GTEST_SKIP() << "rewrote " << path;
  }
  std::string expected = ReadOrEmpty(path);
  ASSERT_FALSE(expected.empty()) << path << " is missing; run with MUSTER_UPDATE_GOLDEN=1 to create it";
  EXPECT_EQ(expected, actual) << "simulation output differs from " << path
                              << " (review the change; MUSTER_UPDATE_GOLDEN=1 rewrites it)";
}

// Checked in (tests/sim/data/README.md), so the sample goldens always run.
std::string SampleTrace() { return std::string(MUSTER_SIM_TRACES_DIR) + "/sample-200.csv"; }

// The options of the sample golden: 8 nodes x 8 GPUs on two switches,
// weeknight and weekend off-peak windows, a fifth of the jobs deferrable.
SimOptions SampleOptions() {
  SimOptions o;
  o.trace_path = SampleTrace();
  o.cluster.nodes = 8;
  o.cluster.gpus_per_node = 8;
  o.cluster.nodes_per_switch = 4;
  o.workload.offpeak = {"Mon-Fri 20:00-07:00", "Sat-Sun 00:00-24:00"};
  o.workload.deferrable_fraction = 0.2;
  o.workload.seed = 42;
  return o;
}

std::string RunJson(const SimOptions& o) {
  auto in = LoadInputs(o);
  EXPECT_TRUE(in.ok()) << in.status().message();
  if (!in.ok()) return "";
  auto results = RunPolicies(*in, nullptr, nullptr);
  EXPECT_TRUE(results.ok());
  return RenderJson(*in, *results);
}

TEST(Golden, Sample200AllPolicies) { ExpectGolden("sample200.json", RunJson(SampleOptions())); }

TEST(Golden, Sample200StudyKnobs) {
  SimOptions o = SampleOptions();
  o.workload.limit_factor = 1.5;
  o.workload.limit_noise = 0.3;
  o.engine.kill_at_time_limit = true;
  o.workload.columns.team_auto = false;  // one team
  ExpectGolden("sample200_study.json", RunJson(o));
}

TEST(Golden, Sample200IsDeterministicAndPruningChangesNothing) {
  SimOptions o = SampleOptions();
  std::string a = RunJson(o), b = RunJson(o);
  EXPECT_EQ(a, b);
  o.muster.prune = false;
  std::string c = RunJson(o);
  auto policies = [](const std::string& s) { return nlohmann::json::parse(s)["policies"].dump(); };
  EXPECT_EQ(policies(a), policies(c));
  EXPECT_NE(a, c);  // only the echoed option differs
}

// A golden that needs no trace file: a hand-made mix on a small cluster.
TEST(Golden, HandMadeScenario) {
  std::string csv = "job_id,submit_time_s,num_gpus,duration_s,vc\n";
  const int gpus[] = {1, 2, 4, 8, 1, 1, 16, 4, 2, 1};
  for (int i = 0; i < 60; ++i)
    csv += "h" + std::to_string(i) + "," + std::to_string(i * 97 % 3000 + i * 40) + "," +
           std::to_string(gpus[i % 10]) + "," + std::to_string(30 + (i * 7919) % 9000) + ",team" +
           std::to_string(i % 3) + "\n";
  SimOptions o = testing::TinyOptions(4, 8);
  o.cluster.nodes_per_switch = 2;
  o.cluster.switches_per_rack = 1;
  auto in = PrepareInputs(o, csv, "hand.csv");
  ASSERT_TRUE(in.ok()) << in.status().message();
  auto results = RunPolicies(*in, nullptr, nullptr);
  ASSERT_TRUE(results.ok());
  ExpectGolden("hand.json", RenderJson(*in, *results));
  ExpectGolden("hand.csv", RenderCsv(*results));
}

}  // namespace
}  // namespace muster::sim
