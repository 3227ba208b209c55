// The core's inputs, built one way for every caller (docs/architecture.md
// "One input builder"): musterd's scheduling driver and muster-sim's
// `muster` policy both turn their jobs and queues into a core::QueueSnapshot
// through these functions, so a plan the simulator reports is a plan musterd
// would make from the same state.
//
// Canonical order: queues by name and (queue, team) pairs by queue index,
// then team name. The core breaks exact fair-share ties by index, so the
// order must not depend on which job a caller happened to look at first.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "muster/types.h"
#include "scheduler/core/fair_share.h"
#include "scheduler/core/snapshot.h"

namespace muster::input {

core::QueueConfig QueueConfigOf(const QueueSpec& spec);
core::Topology TopologyOf(TopologyConstraint t);

// What the core needs of one pending job; `queue`/`team` are indices into
// the snapshot built by SnapshotTables, `array` into QueueSnapshot::arrays
// (-1: not an array task).
core::PendingJob PendingJobOf(JobId id, const JobSpec& spec, Time submit_time, bool held,
                              core::DependencyState deps, int32_t queue, int32_t team, int64_t array = -1);

// A job holding GPUs now. The end the planner counts on is the time limit's.
core::RunningJob RunningJobOf(JobId id, const JobSpec& spec, Time start_time, bool ending,
                              std::vector<NodeAllocation> placement, int32_t queue, int32_t team);

// The queue and team tables of one QueueSnapshot. Use: Reset with the
// queues, Note every (queue, team) pair the snapshot's jobs use, Finish
// (which fixes the canonical team order and fills usage), then look up
// indices with Queue/Team.
class SnapshotTables {
 public:
  // `queues` sorted by name (a std::map's order); their usage from `usage`.
  void Reset(std::vector<core::QueueConfig> queues);
  // -1 when there is no such queue.
  int32_t Queue(const std::string& name) const;
  void Note(int32_t queue, const std::string& team);
  // Writes queues, queue usage and teams (in canonical order) into `q`.
  void Finish(const core::UsageLedger& usage, core::QueueSnapshot* q);
  // After Finish: the team index of a noted pair (0 for queue -1).
  int32_t Team(int32_t queue, const std::string& team) const;

 private:
  std::vector<core::QueueConfig> queues_;
  std::map<std::string, int32_t> queue_index_;
  std::map<std::pair<int32_t, std::string>, int32_t> team_index_;
};

}  // namespace muster::input
