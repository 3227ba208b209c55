// Test builders (docs/architecture.md principle 13): terse, readable construction of the domain
// values tests need, with sensible defaults so a test states only what it is
// about. Header-only; depends on the public types and the policy core's
// plain snapshot structs, nothing else.
//
//   JobSpec spec = JobSpecBuilder().Gang(2, 4).Team("vision").Build();
//   ClusterSnapshot c = ClusterBuilder().AddNodes(2, 4).Busy("n0", {0, 1}).Build();
//   QueueSnapshot q = QueueBuilder().Add(PendingJobBuilder(1).Gang(2, 4)).Build();
//   ClusterSnapshot c = ClusterBuilder().AddNodes(1, 8)
//                           .Run(RunningJobBuilder(7).On("n0", {0, 1}).Ends(t).Preemptible()).Build();
//   QueueSnapshot q = QueueBuilder().Queue(1, QueueConfigBuilder("prod").Tier(1).Max(16))
//                         .Add(PendingJobBuilder(2).Queue(1).TimeLimit(kHour)).Build();
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "muster/time.h"
#include "muster/types.h"
#include "scheduler/core/snapshot.h"

namespace muster::testing {

// ---- JobSpec -----------------------------------------------------------------

// Defaults form a spec that ValidateJobSpec accepts: one GPU, a command, a
// valid team and queue.
class JobSpecBuilder {
 public:
  JobSpecBuilder() {
    spec_.name = "train-resnet";
    spec_.team = "ml";
    spec_.queue = "default";
    spec_.user = "alice";
    spec_.argv = {"python", "train.py"};
    spec_.total_gpus = 1;
  }

  JobSpecBuilder& Name(std::string v) {
    spec_.name = std::move(v);
    return *this;
  }
  JobSpecBuilder& Team(std::string v) {
    spec_.team = std::move(v);
    return *this;
  }
  JobSpecBuilder& Queue(std::string v) {
    spec_.queue = std::move(v);
    return *this;
  }
  JobSpecBuilder& User(std::string v) {
    spec_.user = std::move(v);
    return *this;
  }
  JobSpecBuilder& Argv(std::vector<std::string> v) {
    spec_.argv = std::move(v);
    return *this;
  }
  JobSpecBuilder& Env(std::string name, std::string value) {
    spec_.env.push_back({std::move(name), std::move(value)});
    return *this;
  }
  JobSpecBuilder& Workdir(std::string v) {
    spec_.workdir = std::move(v);
    return *this;
  }
  // nodes x gpus_per_node; clears total_gpus.
  JobSpecBuilder& Gang(int32_t nodes, int32_t gpus_per_node) {
    spec_.nodes = nodes;
    spec_.gpus_per_node = gpus_per_node;
    spec_.total_gpus = 0;
    return *this;
  }
  // Flexible shape; clears nodes and gpus_per_node.
  JobSpecBuilder& Gpus(int32_t total) {
    spec_.nodes = 0;
    spec_.gpus_per_node = 0;
    spec_.total_gpus = total;
    return *this;
  }
  // Raw shape fields, for invalid combinations.
  JobSpecBuilder& Shape(int32_t nodes, int32_t gpus_per_node, int32_t total) {
    spec_.nodes = nodes;
    spec_.gpus_per_node = gpus_per_node;
    spec_.total_gpus = total;
    return *this;
  }
  JobSpecBuilder& Priority(int32_t v) {
    spec_.priority = v;
    return *this;
  }
  JobSpecBuilder& TimeLimit(Duration v) {
    spec_.time_limit = v;
    return *this;
  }
  JobSpecBuilder& After(std::initializer_list<JobId> ids) {
    spec_.after.insert(spec_.after.end(), ids.begin(), ids.end());
    return *this;
  }
  JobSpecBuilder& After(std::vector<JobId> ids) {
    spec_.after = std::move(ids);
    return *this;
  }
  JobSpecBuilder& MaxRestarts(int32_t v) {
    spec_.max_restarts = v;
    return *this;
  }
  JobSpecBuilder& Preemptible(bool v = true) {
    spec_.preemptible = v;
    return *this;
  }
  JobSpecBuilder& InWindow(Window v) {
    spec_.window = v;
    return *this;
  }
  JobSpecBuilder& Deadline(Time v) {
    spec_.deadline = v;
    return *this;
  }
  JobSpecBuilder& Kind(JobKind v) {
    spec_.kind = v;
    return *this;
  }
  JobSpecBuilder& Retrain(std::string model) {
    spec_.kind = JobKind::kRetrain;
    spec_.model = std::move(model);
    return *this;
  }
  JobSpecBuilder& Model(std::string v) {
    spec_.model = std::move(v);
    return *this;
  }
  JobSpecBuilder& Ranks(RanksPerNode v) {
    spec_.ranks_per_node = v;
    return *this;
  }
  JobSpecBuilder& GraceSeconds(int32_t v) {
    spec_.grace_seconds = v;
    return *this;
  }

  JobSpec Build() const { return spec_; }
  operator JobSpec() const { return spec_; }  // NOLINT: builders convert implicitly

 private:
  JobSpec spec_;
};

// ---- Job -------------------------------------------------------------------

class JobBuilder {
 public:
  explicit JobBuilder(JobId id = 1) {
    job_.id = id;
    job_.spec = JobSpecBuilder().Build();
  }

  JobBuilder& Id(JobId v) {
    job_.id = v;
    return *this;
  }
  JobBuilder& Spec(JobSpec v) {
    job_.spec = std::move(v);
    return *this;
  }
  JobBuilder& State(JobState v) {
    job_.state = v;
    return *this;
  }
  JobBuilder& Reason(PendingReason r, std::string detail = "") {
    job_.reason = r;
    job_.reason_detail = std::move(detail);
    return *this;
  }
  JobBuilder& Submitted(Time v) {
    job_.submit_time = v;
    return *this;
  }
  JobBuilder& Started(Time v) {
    job_.start_time = v;
    return *this;
  }
  JobBuilder& Ended(Time v) {
    job_.end_time = v;
    return *this;
  }
  JobBuilder& ExitCode(int32_t v) {
    job_.exit_code = v;
    return *this;
  }
  JobBuilder& Restarts(int32_t v) {
    job_.restarts = v;
    return *this;
  }
  JobBuilder& Attempt(int32_t v) {
    job_.attempt = v;
    return *this;
  }
  JobBuilder& Place(std::string node, std::vector<int32_t> gpus) {
    job_.placement.push_back({std::move(node), std::move(gpus)});
    return *this;
  }
  JobBuilder& MasterPort(int32_t v) {
    job_.master_port = v;
    return *this;
  }
  JobBuilder& Ending(std::optional<JobState> v) {
    job_.ending = v;
    return *this;
  }
  JobBuilder& RequeueOnEnd(bool v = true) {
    job_.requeue_on_end = v;
    return *this;
  }

  Job Build() const { return job_; }
  operator Job() const { return job_; }  // NOLINT

 private:
  Job job_;
};

// ---- Node (the store/wire record) -------------------------------------------

class NodeBuilder {
 public:
  explicit NodeBuilder(std::string name = "n0") {
    node_.name = std::move(name);
    node_.address = node_.name + ".cluster.local";
  }

  NodeBuilder& Address(std::string v) {
    node_.address = std::move(v);
    return *this;
  }
  // `count` GPUs with indices 0..count-1 and made-up UUIDs.
  NodeBuilder& Gpus(int32_t count, std::string model = "H100", uint64_t memory_bytes = 80ull << 30) {
    node_.gpus.clear();
    for (int32_t i = 0; i < count; ++i) {
      GpuInfo g;
      g.index = i;
      g.uuid = "GPU-" + node_.name + "-" + std::to_string(i);
      g.model = model;
      g.memory_bytes = memory_bytes;
      node_.gpus.push_back(std::move(g));
    }
    return *this;
  }
  NodeBuilder& Gpu(GpuInfo g) {
    node_.gpus.push_back(std::move(g));
    return *this;
  }
  NodeBuilder& Label(std::string k, std::string v) {
    node_.labels[std::move(k)] = std::move(v);
    return *this;
  }
  NodeBuilder& State(NodeState v) {
    node_.state = v;
    return *this;
  }
  NodeBuilder& Heartbeat(Time v) {
    node_.last_heartbeat = v;
    return *this;
  }

  Node Build() const { return node_; }
  operator Node() const { return node_; }  // NOLINT

 private:
  Node node_;
};

// ---- Policy core inputs ------------------------------------------------------

class PendingJobBuilder {
 public:
  // Defaults: one flexible GPU, dependencies met, submitted at time `id`
  // (so submit order follows id order unless a test says otherwise), queue 0,
  // team 0, no time limit, `anytime`.
  explicit PendingJobBuilder(JobId id) {
    job_.id = id;
    job_.submit_time = static_cast<Time>(id);
    job_.total_gpus = 1;
  }

  PendingJobBuilder& Priority(int32_t v) {
    job_.priority = v;
    return *this;
  }
  PendingJobBuilder& Submitted(Time v) {
    job_.submit_time = v;
    return *this;
  }
  PendingJobBuilder& Gang(int32_t nodes, int32_t gpus_per_node) {
    job_.nodes = nodes;
    job_.gpus_per_node = gpus_per_node;
    job_.total_gpus = nodes * gpus_per_node;
    return *this;
  }
  PendingJobBuilder& Gpus(int32_t total) {
    job_.nodes = 0;
    job_.gpus_per_node = 0;
    job_.total_gpus = total;
    return *this;
  }
  PendingJobBuilder& Deps(core::DependencyState v) {
    job_.deps = v;
    return *this;
  }
  PendingJobBuilder& Waiting() { return Deps(core::DependencyState::kWaiting); }
  PendingJobBuilder& NeverSatisfied() { return Deps(core::DependencyState::kNeverSatisfied); }
  // Indices into QueueSnapshot::queues / ::teams.
  PendingJobBuilder& Queue(int32_t v) {
    job_.queue = v;
    return *this;
  }
  PendingJobBuilder& Team(int32_t v) {
    job_.team = v;
    return *this;
  }
  PendingJobBuilder& TimeLimit(Duration v) {
    job_.time_limit = v;
    return *this;
  }
  PendingJobBuilder& InWindow(Window v) {
    job_.window = v;
    return *this;
  }
  PendingJobBuilder& Offpeak() { return InWindow(Window::kOffpeak); }
  PendingJobBuilder& OffpeakPreferred() { return InWindow(Window::kOffpeakPreferred); }
  PendingJobBuilder& Deadline(Time v) {
    job_.deadline = v;
    return *this;
  }
  PendingJobBuilder& MayOverrun(bool v = true) {
    job_.window_may_overrun = v;
    return *this;
  }
  PendingJobBuilder& Held(bool v = true) {
    job_.held = v;
    return *this;
  }
  PendingJobBuilder& Preemptible(bool v = true) {
    job_.preemptible = v;
    return *this;
  }
  // A hard topology constraint (`--topology`).
  PendingJobBuilder& Topo(core::Topology v) {
    job_.topology = v;
    return *this;
  }
  PendingJobBuilder& SameNode() { return Topo(core::Topology::kSameNode); }
  PendingJobBuilder& SameSwitch() { return Topo(core::Topology::kSameSwitch); }
  PendingJobBuilder& SameRack() { return Topo(core::Topology::kSameRack); }
  // Index into QueueSnapshot::arrays.
  PendingJobBuilder& Array(int64_t v) {
    job_.array = v;
    return *this;
  }

  core::PendingJob Build() const { return job_; }
  operator core::PendingJob() const { return job_; }  // NOLINT

 private:
  core::PendingJob job_;
};

// One queue's configuration and its decayed usage.
class QueueConfigBuilder {
 public:
  explicit QueueConfigBuilder(std::string name = "default") { cfg_.name = std::move(name); }

  QueueConfigBuilder& Weight(double v) {
    cfg_.weight = v;
    return *this;
  }
  QueueConfigBuilder& Guaranteed(int32_t v) {
    cfg_.guaranteed_gpus = v;
    return *this;
  }
  QueueConfigBuilder& Max(int32_t v) {
    cfg_.max_gpus = v;
    return *this;
  }
  QueueConfigBuilder& Tier(int32_t v) {
    cfg_.tier = v;
    return *this;
  }
  QueueConfigBuilder& DefaultTimeLimit(Duration v) {
    cfg_.default_time_limit = v;
    return *this;
  }
  QueueConfigBuilder& Paused(bool v = true) {
    cfg_.paused = v;
    return *this;
  }
  // Decayed GPU-hours (QueueSnapshot::queue_usage_gpu_hours).
  QueueConfigBuilder& Usage(double gpu_hours) {
    usage_ = gpu_hours;
    return *this;
  }

  core::QueueConfig Build() const { return cfg_; }
  double usage() const { return usage_; }

 private:
  core::QueueConfig cfg_;
  double usage_ = 0;
};

// A QueueSnapshot: pending jobs, queues (index 0 is "default" unless
// replaced), teams, arrays and policy options.
class QueueBuilder {
 public:
  QueueBuilder& Add(core::PendingJob j) {
    q_.pending.push_back(j);
    return *this;
  }
  // Sets queue `index`, growing the list with default queues as needed.
  QueueBuilder& Queue(int32_t index, const QueueConfigBuilder& cfg) {
    Grow(index);
    q_.queues[index] = cfg.Build();
    q_.queue_usage_gpu_hours[index] = cfg.usage();
    return *this;
  }
  // Sets team `index` (of queue `queue`) with its decayed usage.
  QueueBuilder& Team(int32_t index, std::string name, int32_t queue = 0, double usage_gpu_hours = 0) {
    if (static_cast<size_t>(index) >= q_.teams.size()) q_.teams.resize(index + 1);
    q_.teams[index] = {std::move(name), queue, usage_gpu_hours};
    return *this;
  }
  // Sets array `index`: at most `max_running` tasks at once, `running` now.
  QueueBuilder& Array(int32_t index, int32_t max_running, int32_t running = 0) {
    if (static_cast<size_t>(index) >= q_.arrays.size()) q_.arrays.resize(index + 1);
    q_.arrays[index] = {max_running, running};
    return *this;
  }
  QueueBuilder& Backfill(bool v) {
    q_.policy.backfill = v;
    return *this;
  }
  QueueBuilder& MaxPreemptionAttempts(int32_t v) {
    q_.policy.max_preemption_attempts = v;
    return *this;
  }
  // An off-peak window [begin, end); call in time order.
  QueueBuilder& Offpeak(Time begin, Time end) {
    q_.policy.offpeak.push_back({begin, end});
    return *this;
  }
  QueueBuilder& FairShareHorizon(Duration v) {
    q_.policy.fair_share_horizon = v;
    return *this;
  }

  core::QueueSnapshot Build() const { return q_; }
  operator core::QueueSnapshot() const { return q_; }  // NOLINT

 private:
  void Grow(int32_t index) {
    if (static_cast<size_t>(index) >= q_.queues.size()) {
      q_.queues.resize(index + 1);
      q_.queue_usage_gpu_hours.resize(index + 1, 0.0);
    }
  }

  core::QueueSnapshot q_;
};

// A job holding GPUs now (ClusterSnapshot::running).
class RunningJobBuilder {
 public:
  // Defaults: queue 0, team 0, not preemptible, started at `id`, no known end.
  explicit RunningJobBuilder(JobId id) {
    job_.id = id;
    job_.start_time = static_cast<Time>(id);
  }

  RunningJobBuilder& Queue(int32_t v) {
    job_.queue = v;
    return *this;
  }
  RunningJobBuilder& Team(int32_t v) {
    job_.team = v;
    return *this;
  }
  RunningJobBuilder& Priority(int32_t v) {
    job_.priority = v;
    return *this;
  }
  RunningJobBuilder& Preemptible(bool v = true) {
    job_.preemptible = v;
    return *this;
  }
  RunningJobBuilder& Ending(bool v = true) {
    job_.ending = v;
    return *this;
  }
  RunningJobBuilder& Started(Time v) {
    job_.start_time = v;
    return *this;
  }
  // start + time limit; kNoTime: no limit.
  RunningJobBuilder& Ends(Time v) {
    job_.expected_end = v;
    return *this;
  }
  RunningJobBuilder& On(std::string node, std::vector<int32_t> gpus) {
    job_.placement.push_back({std::move(node), std::move(gpus)});
    return *this;
  }

  core::RunningJob Build() const { return job_; }
  operator core::RunningJob() const { return job_; }  // NOLINT

 private:
  core::RunningJob job_;
};

// A ClusterSnapshot of named nodes ("n0", "n1", ... unless named), every GPU
// free unless marked busy.
class ClusterBuilder {
 public:
  // `count` nodes of `gpus` GPUs each, named <prefix><i> continuing the
  // numbering of nodes already added with the same prefix.
  ClusterBuilder& AddNodes(int32_t count, int32_t gpus, std::map<std::string, std::string> labels = {},
                           const std::string& prefix = "n") {
    for (int32_t i = 0; i < count; ++i) {
      int32_t& next = next_index_[prefix];
      AddNode(prefix + std::to_string(next++), gpus, labels);
    }
    return *this;
  }
  ClusterBuilder& AddNode(std::string name, int32_t gpus, std::map<std::string, std::string> labels = {}) {
    core::NodeView n;
    n.name = std::move(name);
    n.labels = std::move(labels);
    n.gpus_total = gpus;
    for (int32_t g = 0; g < gpus; ++g) n.free_gpus.push_back(g);
    c_.nodes.push_back(std::move(n));
    return *this;
  }
  // Marks GPUs of a node as in use (removes them from its free list).
  ClusterBuilder& Busy(const std::string& node, std::initializer_list<int32_t> gpus) {
    return Busy(node, std::vector<int32_t>(gpus));
  }
  ClusterBuilder& Busy(const std::string& node, const std::vector<int32_t>& gpus) {
    auto& free = Find(node).free_gpus;
    for (int32_t g : gpus) free.erase(std::remove(free.begin(), free.end(), g), free.end());
    return *this;
  }
  ClusterBuilder& AllBusy(const std::string& node) {
    Find(node).free_gpus.clear();
    return *this;
  }
  // Drained or down: the policy must never use it.
  ClusterBuilder& Unschedulable(const std::string& node) {
    Find(node).schedulable = false;
    return *this;
  }
  ClusterBuilder& Label(const std::string& node, std::string k, std::string v) {
    Find(node).labels[std::move(k)] = std::move(v);
    return *this;
  }
  // A running job: its GPUs leave the free lists (every node it names must
  // exist) and it joins ClusterSnapshot::running.
  ClusterBuilder& Run(core::RunningJob job) {
    for (const auto& a : job.placement) Busy(a.node, a.gpus);
    c_.running.push_back(std::move(job));
    return *this;
  }

  core::ClusterSnapshot Build() const { return c_; }
  operator core::ClusterSnapshot() const { return c_; }  // NOLINT

 private:
  core::NodeView& Find(const std::string& name) {
    for (auto& n : c_.nodes)
      if (n.name == name) return n;
    // A typo in a test is a broken test, not a case to tolerate (NDEBUG-proof).
    std::fprintf(stderr, "ClusterBuilder: no node named '%s'\n", name.c_str());
    std::abort();
  }

  core::ClusterSnapshot c_;
  std::map<std::string, int32_t> next_index_;
};

// ---- Plan lookups --------------------------------------------------------------

inline const core::Placement* FindPlacement(const core::Plan& plan, JobId id) {
  for (const auto& p : plan.placements)
    if (p.job == id) return &p;
  return nullptr;
}
inline const core::PendingVerdict* FindVerdict(const core::Plan& plan, JobId id) {
  for (const auto& v : plan.pending)
    if (v.job == id) return &v;
  return nullptr;
}
inline bool IsNeverRunnable(const core::Plan& plan, JobId id) {
  return std::find(plan.never_runnable.begin(), plan.never_runnable.end(), id) != plan.never_runnable.end();
}
// Victims chosen in the plan, in plan order.
inline std::vector<JobId> Victims(const core::Plan& plan) {
  std::vector<JobId> out;
  for (const auto& p : plan.preemptions) out.push_back(p.victim);
  return out;
}
// GPUs a placement takes in all.
inline int32_t PlacedGpus(const core::Placement& p) {
  int32_t n = 0;
  for (const auto& a : p.nodes) n += static_cast<int32_t>(a.gpus.size());
  return n;
}

// "" when two plans are identical field by field (placements, verdicts with
// detail and eta, never-runnable, preemptions, all in order), else the first
// difference.
inline std::string DiffPlans(const core::Plan& a, const core::Plan& b) {
  auto n = [](size_t x) { return std::to_string(x); };
  if (a.placements.size() != b.placements.size())
    return "placements: " + n(a.placements.size()) + " vs " + n(b.placements.size());
  for (size_t i = 0; i < a.placements.size(); ++i)
    if (a.placements[i].job != b.placements[i].job || a.placements[i].nodes != b.placements[i].nodes)
      return "placement " + n(i) + ": job " + std::to_string(a.placements[i].job) + " vs " +
             std::to_string(b.placements[i].job);
  if (a.pending.size() != b.pending.size())
    return "pending: " + n(a.pending.size()) + " vs " + n(b.pending.size());
  for (size_t i = 0; i < a.pending.size(); ++i) {
    const auto& x = a.pending[i];
    const auto& y = b.pending[i];
    if (x.job != y.job || x.reason != y.reason || x.detail != y.detail || x.eta != y.eta)
      return "verdict " + n(i) + ": job " + std::to_string(x.job) + " '" + x.detail + "' vs job " +
             std::to_string(y.job) + " '" + y.detail + "'";
  }
  if (a.never_runnable != b.never_runnable) return "never_runnable differs";
  if (a.preemptions.size() != b.preemptions.size())
    return "preemptions: " + n(a.preemptions.size()) + " vs " + n(b.preemptions.size());
  for (size_t i = 0; i < a.preemptions.size(); ++i) {
    const auto& x = a.preemptions[i];
    const auto& y = b.preemptions[i];
    if (x.victim != y.victim || x.for_job != y.for_job || x.why != y.why)
      return "preemption " + n(i) + " differs";
  }
  return "";
}

}  // namespace muster::testing
