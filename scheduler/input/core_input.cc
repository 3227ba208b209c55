#include "scheduler/input/core_input.h"

#include "common/base/check.h"

namespace muster::input {

core::QueueConfig QueueConfigOf(const QueueSpec& s) {
  return {s.name, s.weight, s.guaranteed_gpus, s.max_gpus, s.tier, s.default_time_limit, s.paused};
}

core::Topology TopologyOf(TopologyConstraint t) {
  switch (t) {
    case TopologyConstraint::kAny:
      return core::Topology::kAny;
    case TopologyConstraint::kSameRack:
      return core::Topology::kSameRack;
    case TopologyConstraint::kSameSwitch:
      return core::Topology::kSameSwitch;
    case TopologyConstraint::kSameNode:
      return core::Topology::kSameNode;
  }
  return core::Topology::kAny;
}

core::PendingJob PendingJobOf(JobId id, const JobSpec& s, Time submit_time, bool held,
                              core::DependencyState deps, int32_t queue, int32_t team, int64_t array) {
  core::PendingJob p;
  p.id = id;
  p.priority = s.priority;
  p.submit_time = submit_time;
  p.nodes = s.nodes;
  p.gpus_per_node = s.gpus_per_node;
  p.total_gpus = s.total_gpus;
  p.deps = deps;
  p.queue = queue;
  p.team = team;
  p.time_limit = s.time_limit;
  p.window = s.window;
  p.deadline = s.deadline;
  p.window_may_overrun = s.window_may_overrun;
  p.held = held;
  p.preemptible = s.preemptible;
  p.topology = TopologyOf(s.topology);
  p.array = array;
  return p;
}

core::RunningJob RunningJobOf(JobId id, const JobSpec& s, Time start_time, bool ending,
                              std::vector<NodeAllocation> placement, int32_t queue, int32_t team) {
  core::RunningJob r;
  r.id = id;
  r.queue = queue;
  r.team = team;
  r.priority = s.priority;
  r.preemptible = s.preemptible;
  r.ending = ending;
  r.start_time = start_time;
  r.expected_end = s.time_limit > 0 ? start_time + s.time_limit : kNoTime;
  r.placement = std::move(placement);
  return r;
}

void SnapshotTables::Reset(std::vector<core::QueueConfig> queues) {
  queues_ = std::move(queues);
  queue_index_.clear();
  team_index_.clear();
  for (size_t i = 0; i < queues_.size(); ++i) {
    MUSTER_CHECK(i == 0 || queues_[i - 1].name < queues_[i].name) << "queues must be sorted by name";
    queue_index_[queues_[i].name] = static_cast<int32_t>(i);
  }
}

int32_t SnapshotTables::Queue(const std::string& name) const {
  auto it = queue_index_.find(name);
  return it == queue_index_.end() ? -1 : it->second;
}

void SnapshotTables::Note(int32_t queue, const std::string& team) {
  if (queue >= 0) team_index_.emplace(std::make_pair(queue, team), -1);
}

void SnapshotTables::Finish(const core::UsageLedger& usage, core::QueueSnapshot* q) {
  q->queues = queues_;
  q->queue_usage_gpu_hours.clear();
  for (const auto& c : queues_) q->queue_usage_gpu_hours.push_back(usage.Queue(c.name));
  q->teams.clear();
  // std::map order: queue index, then team name.
  for (auto& [key, index] : team_index_) {
    index = static_cast<int32_t>(q->teams.size());
    q->teams.push_back({key.second, key.first, usage.Team(queues_[key.first].name, key.second)});
  }
}

int32_t SnapshotTables::Team(int32_t queue, const std::string& team) const {
  if (queue < 0) return 0;  // a job of an unknown queue: Decide gives it a verdict, never a team
  auto it = team_index_.find({queue, team});
  MUSTER_CHECK(it != team_index_.end() && it->second >= 0)
      << "team " << team << " of queue " << queue << " was not noted before Finish";
  return it->second;
}

}  // namespace muster::input
