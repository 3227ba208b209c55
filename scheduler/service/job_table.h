// musterd's jobs (docs/architecture.md "musterd's parts"): every active job
// in memory with its gang attempt, the newest finished ones, the job id
// counter, and every state change as an event for `muster history`. The
// only writer of job records: a change is marked and written once at the
// turn's commit.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "common/base/clock.h"
#include "common/proto/messages.h"
#include "muster/status.h"
#include "muster/types.h"
#include "scheduler/service/effects.h"
#include "scheduler/service/gang_attempt.h"
#include "scheduler/store/state_store.h"

namespace muster::service {

struct JobEntry {
  Job job;
  // The current attempt while the job is placed. On the heap: most jobs are
  // pending, and an attempt inline would cost each of them its size.
  std::unique_ptr<GangAttempt> gang;
};

class JobTable {
 public:
  struct Hooks {
    std::function<void(const Job&)> pending;   // became pending, or its place in the order moved
    std::function<void(const Job&)> finished;  // reached a final state and left the active set
  };
  JobTable(store::StateStore& store, Effects& fx, const Clock& clock, size_t recent_finished)
      : store_(store), fx_(fx), clock_(clock), recent_limit_(recent_finished) {}
  JobTable(const JobTable&) = delete;
  JobTable& operator=(const JobTable&) = delete;
  void SetHooks(Hooks hooks) { hooks_ = std::move(hooks); }

  void Recover(std::vector<Job> active, std::vector<Job> recent, JobId next_id);

  // Inline: the scheduling cycle looks up every placed job a few times.
  JobEntry* Active(JobId id) {
    auto it = active_.find(id);
    return it == active_.end() ? nullptr : &it->second;
  }
  std::map<JobId, JobEntry>& active() { return active_; }
  const std::map<JobId, Job>& recent() const { return recent_; }
  // Any job: active, recently finished, else read from the store.
  std::optional<Job> Find(JobId id);
  // The active job, or NotFound / FailedPrecondition ("already ended") saying why not.
  Result<JobEntry*> ActiveOr(JobId id);
  JobId next_id() const { return next_id_; }

  // Creates a pending job from an already validated spec (its queue's
  // defaults applied): id, "submitted" event, persisted at the commit.
  JobEntry& Create(JobSpec spec, Time submit_time, const std::string& cause, std::string submit_token = "");
  // A job of its own for an array task (arrays.cc).
  JobEntry& CreateTask(const Job& parent, int32_t index);

  void Transition(JobEntry& e, JobState to, const std::string& cause);
  void Persist(const Job& job) { fx_.PersistJob(job.id); }
  // Its order among pending jobs changed (held, released, reprioritised).
  void Reindex(const Job& job);
  // Moves a final job out of the active set.
  void Finish(JobId id);

  // Jobs holding GPUs now (placement not empty), for per-cycle work that
  // must not walk every pending job.
  const std::set<JobId>& placed() const { return placed_; }
  // Jobs (and array tasks) of `user` not finished yet (Slurm's MaxSubmitJobs counts these).
  size_t ActiveOf(const std::string& user) const {
    auto it = active_by_user_.find(user);
    return it == active_by_user_.end() ? 0 : it->second;
  }
  // The job a user's submit with `token` made, while it is in memory
  // (active, or among the recent finished): idempotent submits.
  const Job* ByToken(const std::string& user, const std::string& token);
  void SetPlaced(JobId id, bool placed);

  // Whether every finished job with an id above `id` is still in memory.
  bool FinishedInMemoryAbove(JobId id) const;
  // The record to write for a dirty job at the commit; null when gone.
  const Job* DirtyRecord(JobId id) const;
  // "job 57", or "job 57 (42_7)" for an array task: the user may have named
  // it either way (`muster cancel 42_7`), so a refusal says both.
  static std::string NameOf(const Job& job);

 private:
  store::StateStore& store_;
  Effects& fx_;
  const Clock& clock_;
  size_t recent_limit_;
  Hooks hooks_;
  std::map<JobId, JobEntry> active_;  // every job not final
  std::map<JobId, Job> recent_;       // newest finished, bounded
  std::set<JobId> placed_;
  std::map<std::string, size_t> active_by_user_;
  std::map<std::string, JobId> tokens_;  // user '\0' token -> job, for jobs in memory
  JobId next_id_ = 1;
};

}  // namespace muster::service
