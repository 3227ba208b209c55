// StateStore in memory: the twin of rocksdb_store.cc for tests and the
// simulator. It keeps the same semantics (active/finished split, newest-first
// history paging, per-job event order, all-or-nothing commits) and stores
// records in their encoded form, so whatever the codec would lose on disk is
// lost here too and a simulator run cannot look better than musterd.
#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/base/mutex.h"
#include "common/base/overloaded.h"
#include "common/proto/codec.h"
#include "scheduler/store/state_store.h"

namespace muster::store {
namespace {

template <typename T>
Result<T> DecodeRecord(const std::string& bytes, Result<T> (*decode)(std::string_view),
                       const std::string& what) {
  Result<T> r = decode(bytes);
  if (!r.ok()) return Status::Corruption(what + ": " + r.status().message());
  return r;
}

Result<Job> DecodeJobRecord(const std::string& bytes, JobId id, const char* where) {
  return DecodeRecord<Job>(bytes, &wire::DecodeJob, std::string(where) + " job " + std::to_string(id));
}

class MemoryStore final : public StateStore {
 public:
  Result<RecoveredState> Load(size_t recent_finished_limit) override;
  Status Commit(const WriteSet& ws) override;
  Result<std::optional<Job>> GetJob(JobId id) override;
  Result<std::vector<Job>> ListFinished(const HistoryQuery& q) override;
  Result<std::vector<JobEvent>> Events(JobId id) override;
  Result<std::vector<TriggerRecord>> Triggers(const std::string& model, size_t limit) override;

 private:
  void ApplyPutJob(const Job& job) REQUIRES(mu_);

  // State below is protected by mu_: the simulator is single-threaded, but
  // tests of musterd may read from another thread, as RocksDB would allow.
  Mutex mu_;
  std::map<JobId, std::string> active_ GUARDED_BY(mu_);    // encoded Job, state not final
  std::map<JobId, std::string> finished_ GUARDED_BY(mu_);  // encoded Job, state final
  std::map<std::string, std::string> nodes_ GUARDED_BY(mu_);
  std::map<JobId, std::vector<std::string>> events_ GUARDED_BY(mu_);  // encoded, append order
  std::map<std::string, std::string> queues_ GUARDED_BY(mu_);         // encoded QueueSpec
  std::map<std::string, std::string> meta_ GUARDED_BY(mu_);
  std::map<std::string, std::string> models_ GUARDED_BY(mu_);  // encoded Model
  // model -> seq -> encoded
  std::map<std::string, std::map<uint64_t, std::string>> triggers_ GUARDED_BY(mu_);
  JobId next_job_id_ GUARDED_BY(mu_) = 1;
};

Result<RecoveredState> MemoryStore::Load(size_t recent_finished_limit) {
  MutexLock lock(&mu_);
  RecoveredState state;
  state.active_jobs.reserve(active_.size());
  for (const auto& [id, bytes] : active_) {
    Result<Job> job = DecodeJobRecord(bytes, id, "active");
    if (!job.ok()) return job.status();
    state.active_jobs.push_back(std::move(job).value());
  }
  // Only the tail of history, like the RocksDB backend's reverse scan.
  size_t n = 0;
  for (auto it = finished_.rbegin(); it != finished_.rend() && n < recent_finished_limit; ++it, ++n) {
    Result<Job> job = DecodeJobRecord(it->second, it->first, "finished");
    if (!job.ok()) return job.status();
    state.recent_finished.push_back(std::move(job).value());
  }
  std::reverse(state.recent_finished.begin(), state.recent_finished.end());
  for (const auto& [name, bytes] : nodes_) {
    Result<Node> node = DecodeRecord<Node>(bytes, &wire::DecodeNode, "node '" + name + "'");
    if (!node.ok()) return node.status();
    state.nodes.push_back(std::move(node).value());
  }
  for (const auto& [name, bytes] : queues_) {
    Result<QueueSpec> q = DecodeRecord<QueueSpec>(bytes, &wire::DecodeQueue, "queue '" + name + "'");
    if (!q.ok()) return q.status();
    state.queues.push_back(std::move(q).value());
  }
  for (const auto& [name, bytes] : models_) {
    Result<Model> m = DecodeRecord<Model>(bytes, &wire::DecodeModel, "model '" + name + "'");
    if (!m.ok()) return m.status();
    state.models.push_back(std::move(m).value());
  }
  state.meta = meta_;
  state.next_job_id = next_job_id_;
  return state;
}

Status MemoryStore::Commit(const WriteSet& ws) {
  // Validation is the only way a commit can fail, and it runs before the first
  // change: all or nothing.
  MUSTER_RETURN_IF_ERROR(ws.Validate());
  MutexLock lock(&mu_);
  for (const WriteSet::Op& op : ws.ops()) {
    // REQUIRES(mu_) on each lambda: they run with the lock above held, and
    // the analysis checks a lambda as a function of its own.
    std::visit(
        Overloaded{
            [&](const WriteSet::PutJob& p) REQUIRES(mu_) { ApplyPutJob(p.job); },
            [&](const WriteSet::PutNode& p) REQUIRES(mu_) { nodes_[p.node.name] = wire::EncodeNode(p.node); },
            [&](const WriteSet::DeleteNode& p) REQUIRES(mu_) { nodes_.erase(p.name); },
            [&](const WriteSet::AppendEvent& p)
                REQUIRES(mu_) { events_[p.event.job].push_back(wire::EncodeJobEvent(p.event)); },
            [&](const WriteSet::SetNextJobId& p) REQUIRES(mu_) { next_job_id_ = p.next; },
            [&](const WriteSet::PutQueue& p)
                REQUIRES(mu_) { queues_[p.queue.name] = wire::EncodeQueue(p.queue); },
            [&](const WriteSet::DeleteQueue& p) REQUIRES(mu_) { queues_.erase(p.name); },
            [&](const WriteSet::PutMeta& p) REQUIRES(mu_) { meta_[p.key] = p.value; },
            [&](const WriteSet::PutModel& p)
                REQUIRES(mu_) { models_[p.model.spec.name] = wire::EncodeModel(p.model); },
            [&](const WriteSet::DeleteModel& p) REQUIRES(mu_) {
              models_.erase(p.name);
              triggers_.erase(p.name);
            },
            [&](const WriteSet::AppendTrigger& p)
                REQUIRES(mu_) { triggers_[p.trigger.model][p.trigger.seq] = wire::EncodeTrigger(p.trigger); },
            [&](const WriteSet::DropTrigger& p) REQUIRES(mu_) {
              if (auto it = triggers_.find(p.model); it != triggers_.end()) it->second.erase(p.seq);
            },
        },
        op);
  }
  return Status::Ok();
}

// A job is in exactly one of the two maps, as it is under exactly one of the
// ja/ and jf/ prefixes on disk.
void MemoryStore::ApplyPutJob(const Job& job) {
  const bool final = IsFinal(job.state);
  (final ? active_ : finished_).erase(job.id);
  (final ? finished_ : active_)[job.id] = wire::EncodeJob(job);
}

Result<std::optional<Job>> MemoryStore::GetJob(JobId id) {
  MutexLock lock(&mu_);
  const char* where = "active";
  auto it = active_.find(id);
  if (it == active_.end()) {
    where = "finished";
    it = finished_.find(id);
    if (it == finished_.end()) return std::optional<Job>();
  }
  Result<Job> job = DecodeJobRecord(it->second, id, where);
  if (!job.ok()) return job.status();
  return std::optional<Job>(std::move(job).value());
}

Result<std::vector<Job>> MemoryStore::ListFinished(const HistoryQuery& q) {
  MutexLock lock(&mu_);
  std::vector<Job> jobs;
  // Newest first from just below `before`.
  auto end = q.before == 0 ? finished_.end() : finished_.lower_bound(q.before);
  for (auto it = std::make_reverse_iterator(end); it != finished_.rend() && jobs.size() < q.limit; ++it) {
    Result<Job> job = DecodeJobRecord(it->second, it->first, "finished");
    if (!job.ok()) return job.status();
    jobs.push_back(std::move(job).value());
  }
  return jobs;
}

Result<std::vector<JobEvent>> MemoryStore::Events(JobId id) {
  MutexLock lock(&mu_);
  std::vector<JobEvent> events;
  auto it = events_.find(id);
  if (it == events_.end()) return events;
  events.reserve(it->second.size());
  for (size_t i = 0; i < it->second.size(); ++i) {
    Result<JobEvent> ev = DecodeRecord<JobEvent>(
        it->second[i], &wire::DecodeJobEvent, "event " + std::to_string(i) + " of job " + std::to_string(id));
    if (!ev.ok()) return ev.status();
    events.push_back(std::move(ev).value());
  }
  return events;
}

Result<std::vector<TriggerRecord>> MemoryStore::Triggers(const std::string& model, size_t limit) {
  MutexLock lock(&mu_);
  std::vector<TriggerRecord> out;
  auto it = triggers_.find(model);
  if (it == triggers_.end()) return out;
  for (auto t = it->second.rbegin(); t != it->second.rend() && out.size() < limit; ++t) {
    Result<TriggerRecord> r = DecodeRecord<TriggerRecord>(
        t->second, &wire::DecodeTrigger, "trigger " + std::to_string(t->first) + " of model '" + model + "'");
    if (!r.ok()) return r.status();
    out.push_back(std::move(r).value());
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace

std::unique_ptr<StateStore> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace muster::store
