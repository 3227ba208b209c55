// Job arrays (`--array 0-99%8`), as Slurm keeps them: the array job holds
// the task indices not started yet; tasks become jobs of their own a few at
// a time, just ahead of what the cap and the cluster let run.
#include <algorithm>

#include "common/base/job_spec.h"
#include "common/base/log.h"
#include "scheduler/service/server.h"

namespace muster::service {

namespace {
constexpr int32_t kUncappedLookahead = 32;  // pending tasks kept ready per uncapped array
}

void Server::ExpandArrays() {
  std::vector<JobId> parents;
  for (auto it = array_parents_.begin(); it != array_parents_.end();) {
    auto jt = active_.find(*it);
    if (jt == active_.end() || !IsArrayParent(jt->second.job) || jt->second.job.array_pending.empty()) {
      it = array_parents_.erase(it);  // every task created, or the array ended
      continue;
    }
    const Job& p = jt->second.job;
    if (!p.held && !p.ending) parents.push_back(p.id);
    ++it;
  }
  if (parents.empty()) return;
  std::map<JobId, std::pair<int32_t, int32_t>> tasks;  // parent -> (pending, placed)
  for (const auto& [id, e] : active_) {
    if (e.job.array_job == kNoJob) continue;
    auto& c = tasks[e.job.array_job];
    (e.job.state == JobState::kPending ? c.first : c.second) += 1;
  }
  Time now = clock_.Now();
  for (JobId pid : parents) {
    JobEntry& parent = active_.at(pid);
    auto spec = ParseArraySpec(parent.job.spec.array);
    auto remaining = ParseRanges(parent.job.array_pending);
    if (!spec.ok() || !remaining.ok()) {  // validated at submit: only a corrupt record gets here
      MLOG(Error) << "array job " << pid << " has an unreadable task list; failing it";
      parent.job.array_pending.clear();
      parent.job.end_time = now;
      Transition(parent, JobState::kFailed, "unreadable array task list");
      Finish(pid);
      continue;
    }
    auto [pending, placed] = tasks[pid];
    int32_t want = spec->max_running > 0 ? spec->max_running - placed : kUncappedLookahead;
    int32_t make = want - pending;
    auto& ranges = *remaining;
    while (make > 0 && !ranges.empty()) {
      int32_t index = ranges.front().first;
      if (ranges.front().first == ranges.front().second) ranges.erase(ranges.begin());
      else ranges.front().first += 1;
      --make;
      JobEntry t;
      t.job.id = next_job_id_++;
      t.job.spec = parent.job.spec;
      t.job.spec.array.clear();
      t.job.spec.name = parent.job.spec.name + "_" + std::to_string(index);
      t.job.spec.env.push_back({"MUSTER_ARRAY_JOB_ID", std::to_string(pid)});
      t.job.spec.env.push_back({"MUSTER_ARRAY_TASK_ID", std::to_string(index)});
      t.job.array_job = pid;
      t.job.array_task = index;
      t.job.submit_time = parent.job.submit_time;  // tasks keep the array's age
      ws_.Append({t.job.id, now, JobState::kPending, JobState::kPending,
                  "task " + std::to_string(index) + " of array job " + std::to_string(pid)});
      Persist(t.job);
      ++array_active_[pid];
      IndexPending(t.job);
      active_.emplace(t.job.id, std::move(t));
    }
    ws_.SetNextId(next_job_id_);
    parent.job.array_pending = FormatRanges(ranges);
    parent.job.reason = PendingReason::kNone;
    parent.job.reason_detail = parent.job.array_pending.empty()
                                   ? ""
                                   : "array job: tasks " + parent.job.array_pending + " not started yet";
    if (parent.job.array_pending.empty()) {
      parent.job.start_time = now;
      Transition(parent, JobState::kRunning, "every task of the array is submitted");
    }
    Persist(parent.job);
  }
}

void Server::OnArrayTaskFinished(const Job& task) {
  auto count = array_active_.find(task.array_job);
  if (count != array_active_.end() && --count->second <= 0) array_active_.erase(count);
  auto it = active_.find(task.array_job);
  if (it == active_.end()) return;
  JobEntry& parent = it->second;
  if (task.state != JobState::kCompleted && parent.job.exit_code == 0)
    parent.job.exit_code = task.exit_code ? task.exit_code : 1;  // the array failed: remember how
  Persist(parent.job);
  schedule_needed_ = true;  // the cap has room, or the array is done
  if (!parent.job.array_pending.empty() || array_active_.count(parent.job.id)) return;
  JobState end = parent.job.ending.value_or(parent.job.exit_code == 0 ? JobState::kCompleted : JobState::kFailed);
  parent.job.end_time = clock_.Now();
  Transition(parent, end, end == JobState::kCompleted ? "every task completed" : "a task did not complete");
  Finish(parent.job.id);
}

void Server::CancelArray(JobEntry& parent) {
  JobId pid = parent.job.id;
  parent.job.array_pending.clear();
  parent.job.ending = JobState::kCancelled;
  Persist(parent.job);
  std::vector<JobId> tasks;
  for (const auto& [id, e] : active_)
    if (e.job.array_job == pid) tasks.push_back(id);
  for (JobId id : tasks) {
    auto it = active_.find(id);
    if (it == active_.end()) continue;
    JobEntry& t = it->second;
    if (t.job.state == JobState::kPending) {
      t.job.end_time = clock_.Now();
      Transition(t, JobState::kCancelled, "its array job was cancelled");
      Finish(id);
    } else {
      TearDown(t, JobState::kCancelled, /*requeue=*/false, "its array job was cancelled");
    }
  }
  if (!active_.count(pid)) return;  // the last task's end already closed the array
  if (!array_active_.count(pid)) {
    parent.job.end_time = clock_.Now();
    Transition(parent, JobState::kCancelled, "cancelled by user");
    Finish(pid);
  }
}

Result<Job> Server::FindArrayTask(JobId array, int32_t index) {
  auto is_task = [&](const Job& j) { return j.array_job == array && j.array_task == index; };
  // A task is created after its array job, so its id is above the array's.
  for (auto it = active_.upper_bound(array); it != active_.end(); ++it)
    if (is_task(it->second.job)) return it->second.job;
  for (auto it = recent_.upper_bound(array); it != recent_.end(); ++it)
    if (is_task(it->second)) return it->second;
  return Status::NotFound(MissingTaskReason(array, index));
}

std::string Server::MissingTaskReason(JobId array, int32_t index) {
  const std::string task = "task " + std::to_string(index) + " of array " + std::to_string(array);
  const std::string job = "job " + std::to_string(array);
  auto parent = array != kNoJob && array < next_job_id_ ? FindJob(array) : std::nullopt;
  if (!parent) return "no " + job;
  if (parent->array_job != kNoJob)
    return job + " is task " + std::to_string(parent->array_task) + " of array " +
           std::to_string(parent->array_job) + ", not an array job";
  if (!IsArrayParent(*parent)) return job + " is not an array job";
  auto has = [index](const std::vector<std::pair<int32_t, int32_t>>& ranges) {
    return std::any_of(ranges.begin(), ranges.end(), [index](auto r) { return r.first <= index && index <= r.second; });
  };
  auto spec = ParseArraySpec(parent->spec.array);
  if (spec.ok() && !has(spec->ranges))
    return "array " + job + " has no task " + std::to_string(index) + " (its tasks: " + FormatRanges(spec->ranges) +
           ")";
  auto waiting = ParseRanges(parent->array_pending);
  if (waiting.ok() && has(*waiting))
    return task + " is not a job yet: the array starts it when there is room (tasks " + parent->array_pending +
           " wait)";
  // Every task that became a job would be found above unless it finished
  // and left memory; when nothing that old has left, it never started.
  if (FinishedInMemoryAbove(array))
    return task + " never started (array " + job + " is " +
           JobStateName(parent->ending.value_or(parent->state)) + ")";
  return task + " not found (finished long ago? use its numeric id)";
}

bool Server::FinishedInMemoryAbove(JobId id) const {
  // recent_ drops the lowest ids first, so it holds every finished job above
  // its lowest one; and all of them while it has never been full.
  if (recent_.size() < options_.recent_finished) return true;
  return !recent_.empty() && recent_.begin()->first <= id;
}

}  // namespace muster::service
