// Job arrays (`--array 0-99%8`), as Slurm keeps them: the array job holds
// the task indices not started yet; tasks become jobs of their own a few at
// a time, just ahead of what the cap and the cluster let run, so a
// 10,000-task array is one record until it runs (docs/policy.md "Job arrays").
#pragma once

#include <map>
#include <set>
#include <string>

#include "common/base/clock.h"
#include "muster/status.h"
#include "muster/types.h"
#include "scheduler/core/snapshot.h"
#include "scheduler/service/effects.h"
#include "scheduler/service/gang_coordinator.h"
#include "scheduler/service/job_table.h"

namespace muster::service {

class Arrays {
 public:
  Arrays(JobTable& jobs, GangCoordinator& gangs, Effects& fx, const Clock& clock)
      : jobs_(jobs), gangs_(gangs), fx_(fx), clock_(clock) {}
  Arrays(const Arrays&) = delete;
  Arrays& operator=(const Arrays&) = delete;

  static bool IsParent(const Job& job) { return !job.spec.array.empty() && job.array_job == kNoJob; }

  // Counts the active tasks of each array (after a restart).
  void Recover();
  // A new array job (its tasks are created as the cycles need them).
  void Added(const Job& parent);
  // Creates the next tasks of every array that may start more.
  void Expand();
  // While this is true a cycle that placed work should be followed by another.
  bool expanding() const { return !parents_.empty(); }
  // Every array with tasks in play, and how many of them are placed, as the
  // core's caps; `index` maps each array job to its entry.
  void Limits(std::vector<core::ArrayLimit>* limits, std::map<JobId, int32_t>* index) const;
  // A task reached a final state (the JobTable's finished hook).
  void OnTaskFinished(const Job& task);
  // `muster cancel` of the array job: every task goes.
  void Cancel(JobEntry& parent);
  // Task `index` of array job `array` (`muster show 42_7`) among the active
  // and recently finished jobs; else NotFound saying why it is not there.
  Result<Job> FindTask(JobId array, int32_t index);

 private:
  std::string MissingTaskReason(JobId array, int32_t index);

  JobTable& jobs_;
  GangCoordinator& gangs_;
  Effects& fx_;
  const Clock& clock_;
  std::map<JobId, int32_t> active_tasks_;  // array job -> its tasks not yet final
  std::set<JobId> parents_;                // array jobs that may still have tasks to create
};

}  // namespace muster::service
