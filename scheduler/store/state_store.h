// StateStore: musterd's durable state. The only interface that knows how
// jobs, nodes and events are kept; RocksDB lives behind it (rocksdb_store.cc)
// and an in-memory twin serves tests and the simulator (memory_store.cc).
//
// Layout of the data (both backends keep the same semantics):
//  - active jobs (not final) are loaded in full at start;
//  - finished jobs move to history when they end and are read on demand, so
//    start-up time does not grow with history;
//  - events are appended per job, in order;
//  - nodes (membership) and a few counters (next job id).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "muster/status.h"
#include "muster/types.h"

namespace muster::store {

// One atomic, durable unit of change: musterd collects all the effects of a
// turn of its loop into one WriteSet and commits it with one synced write.
class WriteSet {
 public:
  struct PutJob {
    Job job;
  };  // insert or update; final jobs go to history
  struct PutNode {
    Node node;
  };
  struct DeleteNode {
    std::string name;
  };
  struct AppendEvent {
    JobEvent event;
  };
  struct SetNextJobId {
    JobId next;
  };
  struct PutQueue {
    QueueSpec queue;
  };
  struct DeleteQueue {
    std::string name;
  };
  struct PutMeta {
    std::string key;
    std::string value;
  };  // small opaque values (fair-share usage)
  struct PutModel {
    Model model;
  };
  struct DeleteModel {
    std::string name;
  };  // and its trigger history
  struct AppendTrigger {
    TriggerRecord trigger;
  };
  struct DropTrigger {
    std::string model;
    uint64_t seq = 0;
  };  // history retention
  using Op = std::variant<PutJob, PutNode, DeleteNode, AppendEvent, SetNextJobId, PutQueue, DeleteQueue,
                          PutMeta, PutModel, DeleteModel, AppendTrigger, DropTrigger>;

  void Put(const Job& job) { ops_.push_back(PutJob{job}); }
  void Put(const Node& node) { ops_.push_back(PutNode{node}); }
  void Delete(const std::string& node_name) { ops_.push_back(DeleteNode{node_name}); }
  void Append(const JobEvent& ev) { ops_.push_back(AppendEvent{ev}); }
  void SetNextId(JobId next) { ops_.push_back(SetNextJobId{next}); }
  void Put(const QueueSpec& q) { ops_.push_back(PutQueue{q}); }
  void DeleteQueueNamed(const std::string& name) { ops_.push_back(DeleteQueue{name}); }
  void SetMeta(std::string key, std::string value) {
    ops_.push_back(PutMeta{std::move(key), std::move(value)});
  }
  void Put(const Model& model) { ops_.push_back(PutModel{model}); }
  void DeleteModelNamed(const std::string& name) { ops_.push_back(DeleteModel{name}); }
  void Append(const TriggerRecord& t) { ops_.push_back(AppendTrigger{t}); }
  void DropTriggerOf(const std::string& model, uint64_t seq) { ops_.push_back(DropTrigger{model, seq}); }

  // Ops no reader could make sense of (a job without an id, a nameless node
  // or queue, next id 0). Both backends check before writing anything, so a
  // bad op fails the whole set.
  Status Validate() const;

  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  void Clear() { ops_.clear(); }

 private:
  std::vector<Op> ops_;
};

// What musterd needs at start.
struct RecoveredState {
  std::vector<Job> active_jobs;      // every job not in a final state, by id
  std::vector<Job> recent_finished;  // the newest finished jobs, by id, at most the asked count
  std::vector<Node> nodes;
  std::vector<QueueSpec> queues;
  std::vector<Model> models;  // by name; their trigger history stays on disk
  std::map<std::string, std::string> meta;
  JobId next_job_id = 1;
};

struct HistoryQuery {
  JobId before = 0;  // only ids < before (0: no bound) — newest first paging
  size_t limit = 1000;
};

class StateStore {
 public:
  virtual ~StateStore() = default;
  StateStore() = default;
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  virtual Result<RecoveredState> Load(size_t recent_finished_limit) = 0;
  // Applies all ops atomically; returns only once they are durable (synced).
  virtual Status Commit(const WriteSet& ws) = 0;
  // Any job, active or finished.
  virtual Result<std::optional<Job>> GetJob(JobId id) = 0;
  // Finished jobs, newest first.
  virtual Result<std::vector<Job>> ListFinished(const HistoryQuery& q) = 0;
  virtual Result<std::vector<JobEvent>> Events(JobId id) = 0;
  // A model's newest `limit` triggers, oldest first.
  virtual Result<std::vector<TriggerRecord>> Triggers(const std::string& model, size_t limit) = 0;
};

struct RocksDbOptions {
  std::string path;
  bool sync = true;  // false only for benchmarks that measure the difference
};
Result<std::unique_ptr<StateStore>> OpenRocksDbStore(const RocksDbOptions& options);
std::unique_ptr<StateStore> NewMemoryStore();

}  // namespace muster::store
