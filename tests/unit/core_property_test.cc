// Property tests of the policy core (STYLE.md 13): seeded random clusters
// and queues; every plan must keep the invariants below. A failure prints
// the seed, and RunCase(seed) replays it.
//
//   - no GPU is booked twice, and none that was busy in the snapshot;
//   - every placement is a whole gang of the job's shape on distinct,
//     schedulable nodes (flexible: total_gpus split evenly);
//   - every job lands in exactly one of placements / pending / never_runnable,
//     with the reason its dependencies dictate;
//   - greedy maximality: a job left pending for kResources fits in no
//     candidate shape on what is still free after all placements;
//   - placements follow the queue order; the plan is deterministic and
//     independent of the snapshot's job order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "scheduler/core/placement.h"
#include "scheduler/core/policy.h"
#include "scheduler/core/snapshot.h"
#include "tests/support/builders.h"
#include "tests/unit/known_bug.h"

namespace muster::core {
namespace {

using testing::ClusterBuilder;
using testing::PendingJobBuilder;
using testing::QueueBuilder;

struct Scenario {
  ClusterSnapshot cluster;
  QueueSnapshot queue;
};

int32_t Uniform(std::mt19937& rng, int32_t lo, int32_t hi) {  // inclusive
  return std::uniform_int_distribution<int32_t>(lo, hi)(rng);
}
bool Chance(std::mt19937& rng, double p) { return std::bernoulli_distribution(p)(rng); }

Scenario RandomScenario(uint32_t seed) {
  std::mt19937 rng(seed);
  Scenario s;
  ClusterBuilder cb;
  int32_t nodes = Uniform(rng, 1, 50);
  bool homogeneous = Chance(rng, 0.5);
  int32_t common_gpus = Uniform(rng, 1, 8);
  double p_unschedulable = Chance(rng, 0.3) ? 0.0 : 0.25 * Uniform(rng, 0, 4) / 4.0;
  double p_busy = 0.2 * Uniform(rng, 0, 4);  // 0 .. 0.8 of GPUs already in use
  for (int32_t i = 0; i < nodes; ++i) {
    std::string name = "n" + std::to_string(i);
    int32_t gpus = homogeneous ? common_gpus : Uniform(rng, 1, 8);
    cb.AddNode(name, gpus, {{"rack", "r" + std::to_string(i % 4)}});
    std::vector<int32_t> busy;
    for (int32_t g = 0; g < gpus; ++g)
      if (Chance(rng, p_busy)) busy.push_back(g);
    cb.Busy(name, busy);
    if (Chance(rng, p_unschedulable)) cb.Unschedulable(name);
  }
  s.cluster = cb.Build();

  QueueBuilder qb;
  int32_t jobs = Uniform(rng, 0, 40);
  int32_t priorities = Uniform(rng, 1, 4);
  for (int32_t k = 0; k < jobs; ++k) {
    // Ids are unique but not in submit order.
    PendingJobBuilder j(static_cast<JobId>(1000 + (k * 7919) % 4001));
    j.Priority(Uniform(rng, 0, priorities - 1)).Submitted(Uniform(rng, 0, 20));
    if (Chance(rng, 0.5)) {
      j.Gang(Uniform(rng, 1, Chance(rng, 0.8) ? 4 : 12), Uniform(rng, 1, 8));
    } else {
      j.Gpus(Chance(rng, 0.7) ? Uniform(rng, 1, 16) : Uniform(rng, 1, 64));
    }
    int32_t d = Uniform(rng, 0, 9);
    if (d == 0) j.Waiting();
    if (d == 1) j.NeverSatisfied();
    qb.Add(j);
  }
  s.queue = qb.Build();
  return s;
}

// The documented contract of CandidateShapes, written independently: the
// asked shape, or even splits from the fewest nodes up that fit the largest
// node of the cluster, at most four.
std::vector<Shape> OracleShapes(const PendingJob& job, const ClusterSnapshot& cluster) {
  if (job.nodes > 0) return {{job.nodes, job.gpus_per_node}};
  int32_t largest = 0;
  for (const auto& n : cluster.nodes) largest = std::max(largest, n.gpus_total);
  std::vector<Shape> out;
  for (int32_t n = 1; n <= job.total_gpus && out.size() < 4; ++n)
    if (job.total_gpus % n == 0 && job.total_gpus / n <= largest) out.push_back({n, job.total_gpus / n});
  return out;
}

// Does `shape` fit in `free` (per-node free counts, schedulable nodes only)?
bool Fits(const Shape& shape, const std::vector<int32_t>& free) {
  int32_t hosts = 0;
  for (int32_t f : free)
    if (f >= shape.gpus_per_node) ++hosts;
  return hosts >= shape.nodes;
}

std::string Describe(const PendingJob& j) {
  std::ostringstream o;
  o << "job " << j.id << " (prio " << j.priority << ", submit " << j.submit_time << ", ";
  if (j.nodes > 0)
    o << j.nodes << "x" << j.gpus_per_node;
  else
    o << j.total_gpus << " flexible";
  o << ", deps " << static_cast<int>(j.deps) << ")";
  return o.str();
}

bool SamePlan(const Plan& a, const Plan& b) {
  if (a.placements.size() != b.placements.size() || a.pending.size() != b.pending.size() ||
      a.never_runnable != b.never_runnable)
    return false;
  for (size_t i = 0; i < a.placements.size(); ++i)
    if (a.placements[i].job != b.placements[i].job || a.placements[i].nodes != b.placements[i].nodes)
      return false;
  for (size_t i = 0; i < a.pending.size(); ++i)
    if (a.pending[i].job != b.pending[i].job || a.pending[i].reason != b.pending[i].reason ||
        a.pending[i].detail != b.pending[i].detail)
      return false;
  return true;
}

// Every invariant; returns "" or the first violation.
std::string CheckPlan(const Scenario& s, const Plan& plan) {
  std::ostringstream err;
  std::map<JobId, const PendingJob*> jobs;
  for (const auto& j : s.queue.pending) jobs[j.id] = &j;
  std::map<std::string, const NodeView*> nodes;
  for (const auto& n : s.cluster.nodes) nodes[n.name] = &n;

  // Exactly once, in the right bucket.
  std::map<JobId, int> seen;
  for (const auto& p : plan.placements) ++seen[p.job];
  for (const auto& p : plan.pending) ++seen[p.job];
  for (JobId id : plan.never_runnable) ++seen[id];
  for (const auto& [id, count] : seen) {
    if (!jobs.count(id)) return (err << "plan mentions unknown job " << id, err.str());
    if (count != 1) return (err << Describe(*jobs[id]) << " appears " << count << " times", err.str());
  }
  for (const auto& [id, j] : jobs)
    if (!seen.count(id)) return (err << Describe(*j) << " is missing from the plan", err.str());
  for (JobId id : plan.never_runnable)
    if (jobs[id]->deps != DependencyState::kNeverSatisfied)
      return (err << Describe(*jobs[id]) << " marked never runnable", err.str());
  for (const auto& v : plan.pending) {
    const PendingJob& j = *jobs[v.job];
    if (j.deps == DependencyState::kNeverSatisfied)
      return (err << Describe(j) << " pending instead of never runnable", err.str());
    PendingReason want =
        j.deps == DependencyState::kWaiting ? PendingReason::kDependency : PendingReason::kResources;
    if (v.reason != want)
      return (err << Describe(j) << " pending with reason " << PendingReasonName(v.reason), err.str());
    if (v.detail.empty()) return (err << Describe(j) << " pending without a detail", err.str());
  }

  // Whole gangs, no double booking, only free GPUs of schedulable nodes.
  std::set<std::pair<std::string, int32_t>> used;
  for (const auto& p : plan.placements) {
    const PendingJob& j = *jobs[p.job];
    if (j.deps != DependencyState::kMet) return (err << Describe(j) << " placed with unmet deps", err.str());
    if (p.nodes.empty()) return (err << Describe(j) << " placed on no nodes", err.str());
    size_t gpn = p.nodes[0].gpus.size();
    int32_t total = 0;
    std::set<std::string> distinct;
    for (const auto& a : p.nodes) {
      auto it = nodes.find(a.node);
      if (it == nodes.end()) return (err << Describe(j) << " placed on unknown node " << a.node, err.str());
      const NodeView& n = *it->second;
      if (!n.schedulable) return (err << Describe(j) << " placed on unschedulable " << a.node, err.str());
      if (!distinct.insert(a.node).second)
        return (err << Describe(j) << " uses " << a.node << " twice", err.str());
      if (a.gpus.size() != gpn) return (err << Describe(j) << " has an uneven split", err.str());
      for (int32_t g : a.gpus) {
        if (std::find(n.free_gpus.begin(), n.free_gpus.end(), g) == n.free_gpus.end())
          return (err << Describe(j) << " got busy/nonexistent GPU " << a.node << ":" << g, err.str());
        if (!used.insert({a.node, g}).second)
          return (err << Describe(j) << " double-books GPU " << a.node << ":" << g, err.str());
      }
      total += static_cast<int32_t>(a.gpus.size());
    }
    if (j.nodes > 0) {
      if (static_cast<int32_t>(p.nodes.size()) != j.nodes || static_cast<int32_t>(gpn) != j.gpus_per_node)
        return (err << Describe(j) << " placed as " << p.nodes.size() << "x" << gpn, err.str());
    } else if (total != j.total_gpus) {
      return (err << Describe(j) << " placed with " << total << " GPUs", err.str());
    }
  }

  // Placements follow the queue order.
  std::map<JobId, size_t> rank;
  auto order = OrderQueue(s.queue);
  for (size_t i = 0; i < order.size(); ++i) rank[order[i]->id] = i;
  for (size_t i = 1; i < plan.placements.size(); ++i)
    if (rank[plan.placements[i - 1].job] > rank[plan.placements[i].job])
      return (err << "placements out of queue order at " << i, err.str());

  // Greedy maximality against what is left free.
  std::vector<int32_t> left;
  for (const auto& n : s.cluster.nodes) {
    if (!n.schedulable) continue;
    int32_t f = 0;
    for (int32_t g : n.free_gpus) f += used.count({n.name, g}) ? 0 : 1;
    left.push_back(f);
  }
  for (const auto& v : plan.pending) {
    if (v.reason != PendingReason::kResources) continue;
    const PendingJob& j = *jobs[v.job];
    for (const Shape& shape : OracleShapes(j, s.cluster))
      if (Fits(shape, left))
        return (err << Describe(j) << " left pending but fits as " << shape.nodes << "x"
                    << shape.gpus_per_node << " in what remained free",
                err.str());
  }
  return "";
}

struct Coverage {
  size_t placed = 0, resources = 0, dependency = 0, never = 0;
};

std::string RunCase(uint32_t seed, Coverage* cov) {
  Scenario s = RandomScenario(seed);
  Plan plan = Decide(s.cluster, s.queue, /*now=*/seed);
  std::string e = CheckPlan(s, plan);
  if (!e.empty()) return e;
  cov->placed += plan.placements.size();
  cov->never += plan.never_runnable.size();
  for (const auto& v : plan.pending) {
    cov->resources += v.reason == PendingReason::kResources;
    cov->dependency += v.reason == PendingReason::kDependency;
  }
  for (const auto& j : s.queue.pending) {
    auto got = CandidateShapes(j, s.cluster);
    auto want = OracleShapes(j, s.cluster);
    if (got.size() != want.size()) return "CandidateShapes disagrees with its contract for " + Describe(j);
    for (size_t i = 0; i < got.size(); ++i)
      if (got[i].nodes != want[i].nodes || got[i].gpus_per_node != want[i].gpus_per_node)
        return "CandidateShapes disagrees with its contract for " + Describe(j);
  }
  if (!SamePlan(plan, Decide(s.cluster, s.queue, seed))) return "Decide is not deterministic";
  Scenario shuffled = s;
  std::mt19937 rng(seed ^ 0x9E3779B9u);
  std::shuffle(shuffled.queue.pending.begin(), shuffled.queue.pending.end(), rng);
  if (!SamePlan(plan, Decide(shuffled.cluster, shuffled.queue, seed)))
    return "plan depends on the order of jobs in the snapshot";
  return "";
}

TEST(CorePolicyProperty, InvariantsHoldOnRandomClustersAndQueues) {
  // 3000 scenarios, ~60k jobs, each decided three times: well under a second.
  Coverage cov;
  for (uint32_t seed = 1; seed <= 3000; ++seed) {
    std::string e = RunCase(seed, &cov);
    ASSERT_EQ(e, "") << "seed " << seed << " (replay with RunCase(" << seed << "))";
  }
  // The generator must exercise every outcome, or the properties prove little.
  EXPECT_GT(cov.placed, 5000u);
  EXPECT_GT(cov.resources, 5000u);
  EXPECT_GT(cov.dependency, 1000u);
  EXPECT_GT(cov.never, 1000u);
}

TEST(CorePolicyProperty, CheckerCatchesBrokenPlans) {
  // The checker itself must fail on a plan that breaks each invariant.
  Scenario s;
  s.cluster = ClusterBuilder().AddNodes(2, 4).Busy("n1", {3}).Unschedulable("n1");
  s.queue = QueueBuilder().Add(PendingJobBuilder(1).Gang(1, 2)).Add(PendingJobBuilder(2).Gpus(1)).Build();
  Plan good = Decide(s.cluster, s.queue, 0);
  ASSERT_EQ(CheckPlan(s, good), "");

  Plan double_booked = good;
  double_booked.placements.push_back({2, {{"n0", {0}}}});
  EXPECT_NE(CheckPlan(s, double_booked), "");

  Plan on_drained;
  on_drained.placements = {{1, {{"n1", {0, 1}}}}, {2, {{"n0", {0}}}}};
  EXPECT_NE(CheckPlan(s, on_drained), "");

  Plan partial;
  partial.placements = {{1, {{"n0", {0}}}}, {2, {{"n0", {1}}}}};
  EXPECT_NE(CheckPlan(s, partial), "");

  Plan missing;
  missing.placements = {{1, {{"n0", {0, 1}}}}};
  EXPECT_NE(CheckPlan(s, missing), "");

  Plan lazy;  // job 2 fits but was left pending
  lazy.placements = {{1, {{"n0", {0, 1}}}}};
  lazy.pending = {{2, PendingReason::kResources, "x"}};
  EXPECT_NE(CheckPlan(s, lazy), "");
}

// Stronger than the documented contract, on clusters whose big nodes are
// drained or down: a flexible job left pending for kResources must fit no
// even split (within the same four-shape bound) sized by the nodes that can
// actually take work.
TEST(CorePolicyProperty, DrainedBigNodesDoNotHideFittingShapes) {
  MUSTER_KNOWN_BUG("CandidateShapes (placement.cc) sizes flexible shapes by unschedulable nodes too");
  const int32_t kTotals[] = {12, 16, 18, 24, 30, 36, 48};
  int violations = 0, cases = 0;
  std::string example;
  for (uint32_t seed = 1; seed <= 500; ++seed) {
    std::mt19937 rng(seed);
    ClusterBuilder cb;
    int32_t big = Uniform(rng, 1, 3), small = Uniform(rng, 4, 40);
    for (int32_t i = 0; i < big; ++i)
      cb.AddNode("big" + std::to_string(i), 8).Unschedulable("big" + std::to_string(i));
    for (int32_t i = 0; i < small; ++i) cb.AddNode("s" + std::to_string(i), Uniform(rng, 1, 2));
    Scenario s;
    s.cluster = cb.Build();
    QueueBuilder qb;
    for (JobId id = 1; id <= static_cast<JobId>(Uniform(rng, 1, 4)); ++id)
      qb.Add(PendingJobBuilder(id).Gpus(kTotals[Uniform(rng, 0, 6)]));
    s.queue = qb.Build();
    Plan plan = Decide(s.cluster, s.queue, 0);
    ASSERT_EQ(CheckPlan(s, plan), "") << "seed " << seed;  // the documented contract holds

    std::map<std::string, int32_t> left;
    int32_t largest_schedulable = 0;
    for (const auto& n : s.cluster.nodes)
      if (n.schedulable) {
        left[n.name] = static_cast<int32_t>(n.free_gpus.size());
        largest_schedulable = std::max(largest_schedulable, n.gpus_total);
      }
    for (const auto& p : plan.placements)
      for (const auto& a : p.nodes) left[a.node] -= static_cast<int32_t>(a.gpus.size());
    std::vector<int32_t> free;
    for (const auto& [name, f] : left) free.push_back(f);
    for (const auto& v : plan.pending) {
      ++cases;
      const PendingJob& j = s.queue.pending[v.job - 1];
      int found = 0;
      for (int32_t n = 1; n <= j.total_gpus && found < 4; ++n) {
        if (j.total_gpus % n || j.total_gpus / n > largest_schedulable) continue;
        ++found;
        if (Fits({n, j.total_gpus / n}, free)) {
          if (example.empty())
            example = "seed " + std::to_string(seed) + ": " + Describe(j) + " pending (" + v.detail +
                      ") but fits as " + std::to_string(n) + "x" + std::to_string(j.total_gpus / n);
          ++violations;
          break;
        }
      }
    }
  }
  EXPECT_EQ(violations, 0) << "of " << cases << " pending jobs; e.g. " << example;
}

}  // namespace
}  // namespace muster::core
