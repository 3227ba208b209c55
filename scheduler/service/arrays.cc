#include "scheduler/service/arrays.h"

#include <algorithm>
#include <vector>

#include "common/base/job_spec.h"
#include "common/base/log.h"

namespace muster::service {
namespace {
constexpr int32_t kUncappedLookahead = 32;  // pending tasks kept ready per uncapped array
}

void Arrays::Recover() {
  for (const auto& [id, e] : jobs_.active()) {
    if (e.job.array_job != kNoJob) ++active_tasks_[e.job.array_job];
    if (IsParent(e.job) && !e.job.array_pending.empty()) parents_.insert(id);
  }
}

void Arrays::Added(const Job& parent) {
  if (IsParent(parent)) parents_.insert(parent.id);
}

void Arrays::Expand() {
  std::vector<JobId> parents;
  for (auto it = parents_.begin(); it != parents_.end();) {
    JobEntry* e = jobs_.Active(*it);
    if (!e || !IsParent(e->job) || e->job.array_pending.empty()) {
      it = parents_.erase(it);  // every task created, or the array ended
      continue;
    }
    if (!e->job.held && !e->job.ending) parents.push_back(e->job.id);
    ++it;
  }
  if (parents.empty()) return;
  std::map<JobId, std::pair<int32_t, int32_t>> tasks;  // parent -> (pending, placed)
  for (const auto& [id, e] : jobs_.active()) {
    if (e.job.array_job == kNoJob) continue;
    auto& c = tasks[e.job.array_job];
    (e.job.state == JobState::kPending ? c.first : c.second) += 1;
  }
  Time now = clock_.Now();
  for (JobId pid : parents) {
    JobEntry& parent = *jobs_.Active(pid);
    auto spec = ParseArraySpec(parent.job.spec.array);
    auto remaining = ParseRanges(parent.job.array_pending);
    if (!spec.ok() || !remaining.ok()) {  // validated at submit: only a corrupt record gets here
      MLOG(Error) << "array job " << pid << " has an unreadable task list; failing it";
      parent.job.array_pending.clear();
      parent.job.end_time = now;
      jobs_.Transition(parent, JobState::kFailed, "unreadable array task list");
      jobs_.Finish(pid);
      continue;
    }
    auto [pending, placed] = tasks[pid];
    int32_t want = spec->max_running > 0 ? spec->max_running - placed : kUncappedLookahead;
    int32_t make = want - pending;
    auto& ranges = *remaining;
    while (make > 0 && !ranges.empty()) {
      int32_t index = ranges.front().first;
      if (ranges.front().first == ranges.front().second)
        ranges.erase(ranges.begin());
      else
        ranges.front().first += 1;
      --make;
      jobs_.CreateTask(parent.job, index);
      ++active_tasks_[pid];
    }
    parent.job.array_pending = FormatRanges(ranges);
    parent.job.reason = PendingReason::kNone;
    parent.job.reason_detail = parent.job.array_pending.empty()
                                   ? ""
                                   : "array job: tasks " + parent.job.array_pending + " not started yet";
    if (parent.job.array_pending.empty()) {
      parent.job.start_time = now;
      jobs_.Transition(parent, JobState::kRunning, "every task of the array is submitted");
    }
    jobs_.Persist(parent.job);
  }
}

void Arrays::Limits(std::vector<core::ArrayLimit>* limits, std::map<JobId, int32_t>* index) const {
  if (active_tasks_.empty()) return;  // no array task exists
  for (const auto& [id, e] : jobs_.active()) {
    if (e.job.array_job == kNoJob) continue;
    auto [it, added] = index->emplace(e.job.array_job, static_cast<int32_t>(limits->size()));
    if (added) {
      int32_t cap = 0;
      if (const JobEntry* parent = jobs_.Active(e.job.array_job))
        if (auto spec = ParseArraySpec(parent->job.spec.array); spec.ok()) cap = spec->max_running;
      limits->push_back({cap, 0});
    }
    if (!e.job.placement.empty()) ++(*limits)[it->second].running;
  }
}

void Arrays::OnTaskFinished(const Job& task) {
  if (task.array_job == kNoJob) return;
  auto count = active_tasks_.find(task.array_job);
  if (count != active_tasks_.end() && --count->second <= 0) active_tasks_.erase(count);
  JobEntry* parent = jobs_.Active(task.array_job);
  if (!parent) return;
  Job& p = parent->job;
  if (task.state != JobState::kCompleted && p.exit_code == 0)
    p.exit_code = task.exit_code ? task.exit_code : 1;  // the array failed: remember how
  jobs_.Persist(p);
  fx_.ScheduleSoon();  // the cap has room, or the array is done
  if (!p.array_pending.empty() || active_tasks_.count(p.id)) return;
  JobState end = p.ending.value_or(p.exit_code == 0 ? JobState::kCompleted : JobState::kFailed);
  p.end_time = clock_.Now();
  jobs_.Transition(*parent, end,
                   end == JobState::kCompleted ? "every task completed" : "a task did not complete");
  jobs_.Finish(p.id);
}

void Arrays::Cancel(JobEntry& parent) {
  JobId pid = parent.job.id;
  parent.job.array_pending.clear();
  parent.job.ending = JobState::kCancelled;
  jobs_.Persist(parent.job);
  std::vector<JobId> tasks;
  for (const auto& [id, e] : jobs_.active())
    if (e.job.array_job == pid) tasks.push_back(id);
  for (JobId id : tasks) {
    JobEntry* t = jobs_.Active(id);
    if (!t) continue;
    if (t->job.state == JobState::kPending) {
      t->job.end_time = clock_.Now();
      jobs_.Transition(*t, JobState::kCancelled, "its array job was cancelled");
      jobs_.Finish(id);
    } else {
      gangs_.TearDown(*t, JobState::kCancelled, /*requeue=*/false, "its array job was cancelled");
    }
  }
  JobEntry* p = jobs_.Active(pid);
  if (!p) return;  // the last task's end already closed the array
  if (!active_tasks_.count(pid)) {
    p->job.end_time = clock_.Now();
    jobs_.Transition(*p, JobState::kCancelled, "cancelled by user");
    jobs_.Finish(pid);
  }
}

Result<Job> Arrays::FindTask(JobId array, int32_t index) {
  auto is_task = [&](const Job& j) { return j.array_job == array && j.array_task == index; };
  // A task is created after its array job, so its id is above the array's.
  for (auto it = jobs_.active().upper_bound(array); it != jobs_.active().end(); ++it)
    if (is_task(it->second.job)) return it->second.job;
  for (auto it = jobs_.recent().upper_bound(array); it != jobs_.recent().end(); ++it)
    if (is_task(it->second)) return it->second;
  return Status::NotFound(MissingTaskReason(array, index));
}

std::string Arrays::MissingTaskReason(JobId array, int32_t index) {
  const std::string task = "task " + std::to_string(index) + " of array " + std::to_string(array);
  const std::string job = "job " + std::to_string(array);
  auto parent = array != kNoJob && array < jobs_.next_id() ? jobs_.Find(array) : std::nullopt;
  if (!parent) return "no " + job;
  if (parent->array_job != kNoJob)
    return job + " is task " + std::to_string(parent->array_task) + " of array " +
           std::to_string(parent->array_job) + ", not an array job";
  if (!IsParent(*parent)) return job + " is not an array job";
  auto has = [index](const std::vector<std::pair<int32_t, int32_t>>& ranges) {
    return std::any_of(ranges.begin(), ranges.end(),
                       [index](auto r) { return r.first <= index && index <= r.second; });
  };
  auto spec = ParseArraySpec(parent->spec.array);
  if (spec.ok() && !has(spec->ranges))
    return "array " + job + " has no task " + std::to_string(index) +
           " (its tasks: " + FormatRanges(spec->ranges) + ")";
  auto waiting = ParseRanges(parent->array_pending);
  if (waiting.ok() && has(*waiting))
    return task + " is not a job yet: the array starts it when there is room (tasks " +
           parent->array_pending + " wait)";
  // Every task that became a job would be found above unless it finished
  // and left memory; when nothing that old has left, it never started.
  if (jobs_.FinishedInMemoryAbove(array))
    return task + " never started (array " + job + " is " +
           JobStateName(parent->ending.value_or(parent->state)) + ")";
  return task + " not found (finished long ago? use its numeric id)";
}

}  // namespace muster::service
