#include "scheduler/service/job_table.h"

#include "common/base/job_spec.h"
#include "common/base/log.h"

namespace muster::service {
namespace {

std::string TokenKey(const std::string& user, const std::string& token) { return user + '\0' + token; }

}  // namespace

void JobTable::Recover(std::vector<Job> active, std::vector<Job> recent, JobId next_id) {
  next_id_ = next_id;
  for (auto& j : active) {
    if (!j.placement.empty()) placed_.insert(j.id);
    if (!j.submit_token.empty()) tokens_[TokenKey(j.spec.user, j.submit_token)] = j.id;
    JobEntry e;
    e.job = std::move(j);
    ++active_by_user_[e.job.spec.user];
    active_.emplace(e.job.id, std::move(e));
  }
  for (auto& j : recent) {
    if (!j.submit_token.empty()) tokens_[TokenKey(j.spec.user, j.submit_token)] = j.id;
    recent_.emplace(j.id, std::move(j));
  }
}

std::optional<Job> JobTable::Find(JobId id) {
  if (auto it = active_.find(id); it != active_.end()) return it->second.job;
  if (auto it = recent_.find(id); it != recent_.end()) return it->second;
  auto r = store_.GetJob(id);
  if (!r.ok()) {
    MLOG(Error) << "reading job " << id << ": " << r.status().ToString();
    return std::nullopt;
  }
  return *r;
}

Result<JobEntry*> JobTable::ActiveOr(JobId id) {
  if (auto it = active_.find(id); it != active_.end()) return &it->second;
  auto j = id == kNoJob || id >= next_id_ ? std::nullopt : Find(id);
  if (!j) return Status::NotFound("no job " + std::to_string(id));
  return Status::FailedPrecondition(NameOf(*j) + " already ended " + JobStateName(j->state));
}

JobEntry& JobTable::Create(JobSpec spec, Time submit_time, const std::string& cause,
                           std::string submit_token) {
  JobEntry e;
  e.job.id = next_id_++;
  if (!submit_token.empty()) tokens_[TokenKey(spec.user, submit_token)] = e.job.id;
  e.job.submit_token = std::move(submit_token);
  e.job.spec = std::move(spec);
  e.job.state = JobState::kPending;
  e.job.submit_time = submit_time;
  e.job.held = e.job.spec.hold;
  if (!e.job.spec.array.empty()) {
    auto array = ParseArraySpec(e.job.spec.array);  // validated by the caller
    if (array.ok()) e.job.array_pending = FormatRanges(array->ranges);
    e.job.reason_detail = "array job: tasks " + e.job.array_pending + " not started yet";
  }
  fx_.writes().SetNextId(next_id_);
  fx_.writes().Append({e.job.id, submit_time, JobState::kPending, JobState::kPending, cause});
  Persist(e.job);
  JobId id = e.job.id;
  JobEntry& added = active_.emplace(id, std::move(e)).first->second;
  ++active_by_user_[added.job.spec.user];
  if (hooks_.pending) hooks_.pending(added.job);
  fx_.ScheduleSoon();
  return added;
}

JobEntry& JobTable::CreateTask(const Job& parent, int32_t index) {
  JobEntry t;
  t.job.id = next_id_++;
  t.job.spec = parent.spec;
  t.job.spec.array.clear();
  t.job.spec.name = parent.spec.name + "_" + std::to_string(index);
  t.job.spec.env.push_back({"MUSTER_ARRAY_JOB_ID", std::to_string(parent.id)});
  t.job.spec.env.push_back({"MUSTER_ARRAY_TASK_ID", std::to_string(index)});
  t.job.array_job = parent.id;
  t.job.array_task = index;
  t.job.submit_time = parent.submit_time;  // tasks keep the array's age
  fx_.writes().Append({t.job.id, clock_.Now(), JobState::kPending, JobState::kPending,
                       "task " + std::to_string(index) + " of array job " + std::to_string(parent.id)});
  fx_.writes().SetNextId(next_id_);
  Persist(t.job);
  JobId id = t.job.id;
  JobEntry& added = active_.emplace(id, std::move(t)).first->second;
  ++active_by_user_[added.job.spec.user];
  if (hooks_.pending) hooks_.pending(added.job);
  return added;
}

void JobTable::Transition(JobEntry& e, JobState to, const std::string& cause) {
  fx_.writes().Append({e.job.id, clock_.Now(), e.job.state, to, cause});
  MLOG(Debug) << "job " << e.job.id << " " << JobStateName(e.job.state) << " -> " << JobStateName(to) << ": "
              << cause;
  e.job.state = to;
  if (to == JobState::kPending && hooks_.pending) hooks_.pending(e.job);  // requeued
  Persist(e.job);
}

void JobTable::Reindex(const Job& job) {
  if (hooks_.pending) hooks_.pending(job);
}

void JobTable::Finish(JobId id) {
  auto it = active_.find(id);
  if (it == active_.end()) return;
  Job job = std::move(it->second.job);
  active_.erase(it);
  if (auto u = active_by_user_.find(job.spec.user); u != active_by_user_.end() && --u->second == 0)
    active_by_user_.erase(u);
  placed_.erase(id);
  fx_.writes().Put(job);
  fx_.dirty_jobs().erase(id);
  if (hooks_.finished) hooks_.finished(job);
  recent_[id] = std::move(job);
  while (recent_.size() > recent_limit_) {
    const Job& old = recent_.begin()->second;
    if (!old.submit_token.empty()) tokens_.erase(TokenKey(old.spec.user, old.submit_token));
    recent_.erase(recent_.begin());
  }
  fx_.ScheduleSoon();
}

const Job* JobTable::ByToken(const std::string& user, const std::string& token) {
  auto it = tokens_.find(TokenKey(user, token));
  if (it == tokens_.end()) return nullptr;
  if (auto a = active_.find(it->second); a != active_.end()) return &a->second.job;
  if (auto r = recent_.find(it->second); r != recent_.end()) return &r->second;
  return nullptr;
}

void JobTable::SetPlaced(JobId id, bool placed) {
  if (placed)
    placed_.insert(id);
  else
    placed_.erase(id);
}

bool JobTable::FinishedInMemoryAbove(JobId id) const {
  // recent_ drops the lowest ids first, so it holds every finished job above
  // its lowest one; and all of them while it has never been full.
  if (recent_.size() < recent_limit_) return true;
  return !recent_.empty() && recent_.begin()->first <= id;
}

const Job* JobTable::DirtyRecord(JobId id) const {
  if (auto it = active_.find(id); it != active_.end()) return &it->second.job;
  if (auto it = recent_.find(id); it != recent_.end()) return &it->second;
  return nullptr;
}

std::string JobTable::NameOf(const Job& job) {
  std::string name = "job " + std::to_string(job.id);
  if (job.array_job == kNoJob || job.array_task < 0) return name;
  return name + " (" + std::to_string(job.array_job) + "_" + std::to_string(job.array_task) + ")";
}

}  // namespace muster::service
