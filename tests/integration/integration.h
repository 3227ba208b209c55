// Shared bits of the integration tests: each test owns a TestCluster on
// ephemeral loopback ports in its own temp dir.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/cluster.h"

namespace muster::testing {

// A job command run by /bin/sh.
inline std::vector<std::string> Sh(const std::string& script) { return {"/bin/sh", "-c", script}; }

inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The ids of a `muster jobs --json` array.
inline std::set<int64_t> JobIds(const Json& jobs) {
  std::set<int64_t> ids;
  for (const auto& j : jobs) ids.insert(j.at("id").get<int64_t>());
  return ids;
}

// The node names of a job's placement.
inline std::set<std::string> PlacementNodes(const Json& job) {
  std::set<std::string> nodes;
  if (job.contains("placement") && job["placement"].is_array()) {
    for (const auto& p : job["placement"]) nodes.insert(p.value("node", ""));
  }
  return nodes;
}

// A rank process as the test's rank command recorded it.
struct RankPid {
  std::string node;
  int rank = -1;
  int attempt = -1;
  int pid = -1;
};

// Lines "NODE RANK ATTEMPT PID" that the ranks append to a shared file.
inline std::vector<RankPid> ReadRankPids(const std::string& path) {
  std::vector<RankPid> out;
  std::istringstream in(ReadFile(path));
  RankPid rp;
  while (in >> rp.node >> rp.rank >> rp.attempt >> rp.pid) out.push_back(rp);
  return out;
}

// Base fixture: the cluster starts in SetUp with the options of the test.
class ClusterTest : public ::testing::Test {
 protected:
  virtual ClusterOptions Options() const { return {}; }
  void SetUp() override {
    std::string missing = MissingBinaries();
    ASSERT_TRUE(missing.empty()) << "binaries not found: " << missing;
    cluster_ = std::make_unique<TestCluster>(Options());
    cluster_->Start();
  }
  void TearDown() override { cluster_.reset(); }
  TestCluster& cluster() { return *cluster_; }

  std::unique_ptr<TestCluster> cluster_;
};

// A cluster of `Agents` agents with `Gpus` fake GPUs each, nothing else
// special: `class MyTest : public SizedClusterTest<2, 4> {};`.
template <int Agents, int Gpus>
class SizedClusterTest : public ClusterTest {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o;
    o.agents = Agents;
    o.gpus_per_agent = Gpus;
    return o;
  }
};

}  // namespace muster::testing
