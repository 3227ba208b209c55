// StateStore on RocksDB: the only file in Muster that includes RocksDB.
//
// Key layout (one default column family; every key is printable ASCII except
// node names, which are whatever the operator chose):
//
//   ja/<id16>              active job (state not final)      EncodeJob
//   jf/<id16>              finished job (history)            EncodeJob
//   ev/<id16>/<seq10>      one event of a job, append order  EncodeJobEvent
//   nd/<name>              node (membership)                 EncodeNode
//   m/next_job_id          next job id, decimal ASCII
//   qu/<name>              queue                             EncodeQueue
//   mx/<key>               small opaque values (fair share)
//   mo/<name>              model (retraining template+state)  EncodeModel
//   tr/<name>/<seq20>      one trigger of a model, in order  EncodeTrigger
//
// <id16> is the id as 16 lower-case hex digits, so byte order is id order;
// <seq10> is a per-job sequence as 10 decimal digits, likewise. Active and
// finished jobs live under separate prefixes so that start-up (Load) reads
// every active job but only the tail of history, whatever its size.
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/table_properties_collectors.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "common/base/log.h"
#include "common/base/mutex.h"
#include "common/base/overloaded.h"
#include "common/proto/codec.h"
#include "scheduler/store/state_store.h"

namespace muster::store {
namespace {

constexpr std::string_view kActivePrefix = "ja/";
constexpr std::string_view kFinishedPrefix = "jf/";
constexpr std::string_view kEventPrefix = "ev/";
constexpr std::string_view kNodePrefix = "nd/";
constexpr std::string_view kNextJobIdKey = "m/next_job_id";
constexpr std::string_view kQueuePrefix = "qu/";
constexpr std::string_view kMetaPrefix = "mx/";
constexpr std::string_view kModelPrefix = "mo/";
constexpr std::string_view kTriggerPrefix = "tr/";

constexpr size_t kIdDigits = 16;
constexpr size_t kSeqDigits = 10;
constexpr uint64_t kMaxSeq = 9'999'999'999;  // what kSeqDigits can hold

// ---------------------------------------------------------------------------
// Keys

std::string JobKey(std::string_view prefix, JobId id) {
  char buf[kIdDigits + 1];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, id);
  std::string key(prefix);
  key.append(buf, kIdDigits);
  return key;
}

std::string EventPrefixOf(JobId id) { return JobKey(kEventPrefix, id) + "/"; }

std::string EventKey(JobId id, uint64_t seq) {
  char buf[kSeqDigits + 1];
  std::snprintf(buf, sizeof buf, "%010" PRIu64, seq);
  return EventPrefixOf(id).append(buf, kSeqDigits);
}

std::string NodeKey(std::string_view name) { return std::string(kNodePrefix).append(name); }
std::string QueueKey(std::string_view name) { return std::string(kQueuePrefix).append(name); }
std::string MetaKey(std::string_view key) { return std::string(kMetaPrefix).append(key); }
std::string ModelKey(std::string_view name) { return std::string(kModelPrefix).append(name); }
// Model names never hold '/' (IsValidName), so one model's triggers are
// exactly the keys under its prefix.
std::string TriggerPrefixOf(std::string_view model) {
  return std::string(kTriggerPrefix).append(model).append("/");
}
std::string TriggerKey(std::string_view model, uint64_t seq) {
  char buf[21];
  std::snprintf(buf, sizeof buf, "%020" PRIu64, seq);
  return TriggerPrefixOf(model).append(buf, 20);
}

// The smallest key greater than every key that starts with `prefix`: the
// exclusive upper bound of a prefix scan. Our prefixes end in '/', so this is
// just '/' -> '0'; the loop keeps it right for any prefix.
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

// Keys go into error messages; node names may hold anything.
std::string Printable(std::string_view key) {
  std::string out;
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string_view View(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

Status IoError(std::string_view what, const rocksdb::Status& s) {
  return Status::IoError(std::string(what) + ": " + s.ToString());
}

// The sequence number at the end of an event key, or nullopt if the key is
// not one we wrote.
std::optional<uint64_t> ParseSeq(std::string_view key, std::string_view prefix) {
  if (key.size() != prefix.size() + kSeqDigits || key.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  uint64_t seq = 0;
  for (char c : key.substr(prefix.size())) {
    if (c < '0' || c > '9') return std::nullopt;
    seq = seq * 10 + static_cast<uint64_t>(c - '0');
  }
  return seq;
}

// Decodes the record at `key` and checks it is the record that key names, so
// a value written under the wrong key cannot pass for another job or node.
template <typename T>
Result<T> DecodeRecord(const rocksdb::Slice& key, const rocksdb::Slice& value,
                       Result<T> (*decode)(std::string_view), std::string (*key_of)(const T&)) {
  Result<T> r = decode(View(value));
  if (!r.ok()) {
    return Status::Corruption("record at key '" + Printable(View(key)) + "': " + r.status().message());
  }
  if (key_of(*r) != View(key)) {
    return Status::Corruption("record at key '" + Printable(View(key)) + "' belongs to key '" +
                              Printable(key_of(*r)) + "'");
  }
  return r;
}

// An iterator confined to [lower, upper). It owns the bound strings because
// RocksDB keeps only pointers to them; hence neither copyable nor movable.
class BoundedIterator {
 public:
  BoundedIterator(rocksdb::DB* db, rocksdb::ReadOptions options, std::string lower, std::string upper)
      : lower_(std::move(lower)), upper_(std::move(upper)), lower_slice_(lower_), upper_slice_(upper_) {
    options.iterate_lower_bound = &lower_slice_;
    options.iterate_upper_bound = &upper_slice_;
    it_.reset(db->NewIterator(options));
  }
  BoundedIterator(const BoundedIterator&) = delete;
  BoundedIterator& operator=(const BoundedIterator&) = delete;

  rocksdb::Iterator* operator->() { return it_.get(); }

 private:
  std::string lower_;
  std::string upper_;
  rocksdb::Slice lower_slice_;
  rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

// Every key under `prefix`, ascending; `fn(key, value)` returns a Status that
// stops the scan when not OK.
template <typename Fn>
Status ScanPrefix(rocksdb::DB* db, const rocksdb::ReadOptions& options, std::string_view prefix, Fn&& fn) {
  BoundedIterator it(db, options, std::string(prefix), PrefixEnd(prefix));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    MUSTER_RETURN_IF_ERROR(fn(it->key(), it->value()));
  }
  if (!it->status().ok()) return IoError("scan of '" + std::string(prefix) + "'", it->status());
  return Status::Ok();
}

// At most `limit` keys in [lower, upper), descending (newest job first).
template <typename Fn>
Status ScanBackward(rocksdb::DB* db, const rocksdb::ReadOptions& options, std::string lower,
                    std::string upper, size_t limit, Fn&& fn) {
  if (limit == 0) return Status::Ok();
  BoundedIterator it(db, options, std::move(lower), std::move(upper));
  size_t n = 0;
  for (it->SeekToLast(); it->Valid() && n < limit; it->Prev(), ++n) {
    MUSTER_RETURN_IF_ERROR(fn(it->key(), it->value()));
  }
  if (!it->status().ok()) return IoError("history scan", it->status());
  return Status::Ok();
}

std::string JobActiveKey(const Job& job) { return JobKey(kActivePrefix, job.id); }
std::string JobFinishedKey(const Job& job) { return JobKey(kFinishedPrefix, job.id); }
std::string NodeKeyOf(const Node& node) { return NodeKey(node.name); }
std::string QueueKeyOf(const QueueSpec& q) { return QueueKey(q.name); }
std::string ModelKeyOf(const Model& m) { return ModelKey(m.spec.name); }
std::string TriggerKeyOf(const TriggerRecord& t) { return TriggerKey(t.model, t.seq); }

// A small, durable metadata store: modest memory, bounded files, and point
// lookups (GetJob misses ja/ for every finished job) helped by a bloom filter.
rocksdb::Options MakeOptions() {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.write_buffer_size = 16 << 20;
  o.max_write_buffer_number = 2;
  o.max_total_wal_size = 64 << 20;
  o.max_open_files = 512;
  o.keep_log_file_num = 4;
  o.max_log_file_size = 8 << 20;
  // Every finished job leaves a tombstone under ja/; files dense with them are
  // compacted early so the start-up scan of active jobs does not wade through
  // a million deletes.
  o.table_properties_collector_factories.emplace_back(
      rocksdb::NewCompactOnDeletionCollectorFactory(/*sliding_window_size=*/32 * 1024,
                                                    /*deletion_trigger=*/8 * 1024));

  rocksdb::BlockBasedTableOptions t;
  t.block_cache = rocksdb::NewLRUCache(32 << 20);
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Index and filter blocks count against the cache, so memory stays bounded
  // as history grows.
  t.cache_index_and_filter_blocks = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

// ---------------------------------------------------------------------------

class RocksDbStore final : public StateStore {
 public:
  RocksDbStore(std::unique_ptr<rocksdb::DB> db, const RocksDbOptions& options)
      : db_(std::move(db)), path_(options.path) {
    write_options_.sync = options.sync;
  }

  ~RocksDbStore() override {
    rocksdb::Status s = db_->Close();
    if (!s.ok()) {
      MLOG(Warning) << "closing the store at " << path_ << ": " << s.ToString();
    }
  }

  Result<RecoveredState> Load(size_t recent_finished_limit) override;
  Status Commit(const WriteSet& ws) override;
  Result<std::optional<Job>> GetJob(JobId id) override;
  Result<std::vector<Job>> ListFinished(const HistoryQuery& q) override;
  Result<std::vector<JobEvent>> Events(JobId id) override;
  Result<std::vector<TriggerRecord>> Triggers(const std::string& model, size_t limit) override;

 private:
  // Staged next sequence per job for the batch being built.
  using SeqMap = std::unordered_map<JobId, uint64_t>;

  Status AddJob(const Job& job, rocksdb::WriteBatch* batch, std::vector<JobId>* finished);
  // Job ids in [lo, hi) are allocated by the batch being built: nothing of
  // theirs is on disk yet.
  struct FreshIds {
    JobId lo = kNoJob, hi = kNoJob;
    bool contains(JobId id) const { return id >= lo && id < hi; }
  };
  Status AddEvent(const JobEvent& ev, const FreshIds& fresh, rocksdb::WriteBatch* batch, SeqMap* staged)
      REQUIRES(commit_mu_);
  Result<uint64_t> NextSeq(JobId id, const FreshIds& fresh, const SeqMap& staged) REQUIRES(commit_mu_);
  Result<uint64_t> RecoverNextSeq(JobId id);
  Result<std::optional<Job>> GetJobAt(const rocksdb::ReadOptions& options, const std::string& key,
                                      std::string (*key_of)(const Job&));

  // Constant after construction.
  const std::unique_ptr<rocksdb::DB> db_;
  const std::string path_;
  rocksdb::WriteOptions write_options_;

  // Serializes Commit: the next-sequence cache must match what is on disk.
  // State below is protected by commit_mu_.
  Mutex commit_mu_;
  // Next event sequence of jobs that got events since open. A job's entry
  // is dropped when it finishes, so the map holds about the active jobs; a
  // miss is recovered from disk (RecoverNextSeq).
  std::unordered_map<JobId, uint64_t> next_seq_ GUARDED_BY(commit_mu_);
  // The next job id on disk, once known (Load, then every commit that sets
  // it). Ids from it up to a batch's new next id are that batch's fresh
  // jobs, whose first event needs no seek: at 30,000 submits/s those seeks
  // cost a sixth of musterd's time, reading and decompressing index blocks
  // of files just flushed.
  std::optional<JobId> durable_next_job_id_ GUARDED_BY(commit_mu_);
};

Result<RecoveredState> RocksDbStore::Load(size_t recent_finished_limit) {
  // One snapshot: the four reads see one state even if a commit slips in.
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions scan;
  scan.snapshot = snapshot.snapshot();
  scan.fill_cache = false;  // a one-off bulk read; keep the cache for lookups

  RecoveredState state;
  MUSTER_RETURN_IF_ERROR(ScanPrefix(db_.get(), scan, kActivePrefix, [&](auto key, auto value) {
    Result<Job> job = DecodeRecord<Job>(key, value, &wire::DecodeJob, &JobActiveKey);
    if (!job.ok()) return job.status();
    state.active_jobs.push_back(std::move(job).value());
    return Status::Ok();
  }));

  MUSTER_RETURN_IF_ERROR(
      ScanBackward(db_.get(), scan, std::string(kFinishedPrefix), PrefixEnd(kFinishedPrefix),
                   recent_finished_limit, [&](auto key, auto value) {
                     Result<Job> job = DecodeRecord<Job>(key, value, &wire::DecodeJob, &JobFinishedKey);
                     if (!job.ok()) return job.status();
                     state.recent_finished.push_back(std::move(job).value());
                     return Status::Ok();
                   }));
  std::reverse(state.recent_finished.begin(), state.recent_finished.end());

  MUSTER_RETURN_IF_ERROR(ScanPrefix(db_.get(), scan, kNodePrefix, [&](auto key, auto value) {
    Result<Node> node = DecodeRecord<Node>(key, value, &wire::DecodeNode, &NodeKeyOf);
    if (!node.ok()) return node.status();
    state.nodes.push_back(std::move(node).value());
    return Status::Ok();
  }));

  MUSTER_RETURN_IF_ERROR(ScanPrefix(db_.get(), scan, kQueuePrefix, [&](auto key, auto value) {
    Result<QueueSpec> q = DecodeRecord<QueueSpec>(key, value, &wire::DecodeQueue, &QueueKeyOf);
    if (!q.ok()) return q.status();
    state.queues.push_back(std::move(q).value());
    return Status::Ok();
  }));
  MUSTER_RETURN_IF_ERROR(ScanPrefix(db_.get(), scan, kModelPrefix, [&](auto key, auto value) {
    Result<Model> m = DecodeRecord<Model>(key, value, &wire::DecodeModel, &ModelKeyOf);
    if (!m.ok()) return m.status();
    state.models.push_back(std::move(m).value());
    return Status::Ok();
  }));
  MUSTER_RETURN_IF_ERROR(ScanPrefix(db_.get(), scan, kMetaPrefix, [&](auto key, auto value) {
    state.meta[std::string(View(key).substr(kMetaPrefix.size()))] = std::string(View(value));
    return Status::Ok();
  }));

  std::string value;
  rocksdb::Status s = db_->Get(scan, std::string(kNextJobIdKey), &value);
  if (s.ok()) {
    JobId next = kNoJob;
    const char* end = value.data() + value.size();
    auto [ptr, ec] = std::from_chars(value.data(), end, next);  // refuses signs, overflow
    if (ec != std::errc() || ptr != end || next == kNoJob) {
      return Status::Corruption("record at key '" + std::string(kNextJobIdKey) + "': '" + Printable(value) +
                                "' is not a job id");
    }
    state.next_job_id = next;
  } else if (!s.IsNotFound()) {
    return IoError("read of '" + std::string(kNextJobIdKey) + "'", s);
  }
  // No id at or below the highest job with events on disk is ever fresh,
  // whatever m/next_job_id says (a restored or hand-edited store): ids are
  // fixed-width hex, so the last ev/ key names that job.
  JobId fresh_from = state.next_job_id;
  {
    BoundedIterator it(db_.get(), scan, std::string(kEventPrefix), PrefixEnd(kEventPrefix));
    it->SeekToLast();
    if (it->Valid()) {
      std::string_view key = View(it->key());
      JobId last = kNoJob;
      std::string_view hex = key.substr(kEventPrefix.size(), kIdDigits);
      auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), last, 16);
      if (ec != std::errc() || ptr != hex.data() + hex.size())
        return Status::Corruption("event key '" + Printable(key) + "' has no job id");
      fresh_from = std::max(fresh_from, last + 1);
    } else if (!it->status().ok()) {
      return IoError("scan of '" + std::string(kEventPrefix) + "'", it->status());
    }
  }
  {
    MutexLock lock(&commit_mu_);
    durable_next_job_id_ = std::max(durable_next_job_id_.value_or(kNoJob), fresh_from);
  }
  return state;
}

Status RocksDbStore::Commit(const WriteSet& ws) {
  if (ws.empty()) return Status::Ok();
  MUSTER_RETURN_IF_ERROR(ws.Validate());

  MutexLock lock(&commit_mu_);
  std::optional<JobId> batch_next;
  for (const WriteSet::Op& op : ws.ops())
    if (const auto* p = std::get_if<WriteSet::SetNextJobId>(&op)) batch_next = p->next;
  FreshIds fresh;
  if (durable_next_job_id_ && batch_next && *batch_next > *durable_next_job_id_)
    fresh = {*durable_next_job_id_, *batch_next};
  rocksdb::WriteBatch batch;
  SeqMap staged;
  std::vector<JobId> finished;
  for (const WriteSet::Op& op : ws.ops()) {
    rocksdb::Status rs;  // what WriteBatch says about a plain put or delete
    Status st = std::visit(Overloaded{
                               [&](const WriteSet::PutJob& p) { return AddJob(p.job, &batch, &finished); },
                               [&](const WriteSet::PutNode& p) {
                                 rs = batch.Put(NodeKey(p.node.name), wire::EncodeNode(p.node));
                                 return Status::Ok();
                               },
                               [&](const WriteSet::DeleteNode& p) {
                                 rs = batch.Delete(NodeKey(p.name));
                                 return Status::Ok();
                               },
                               // Under the lock above (a lambda is analysed on its own).
                               [&](const WriteSet::AppendEvent& p)
                                   REQUIRES(commit_mu_) { return AddEvent(p.event, fresh, &batch, &staged); },
                               [&](const WriteSet::SetNextJobId& p) {
                                 rs = batch.Put(std::string(kNextJobIdKey), std::to_string(p.next));
                                 return Status::Ok();
                               },
                               [&](const WriteSet::PutQueue& p) {
                                 rs = batch.Put(QueueKey(p.queue.name), wire::EncodeQueue(p.queue));
                                 return Status::Ok();
                               },
                               [&](const WriteSet::DeleteQueue& p) {
                                 rs = batch.Delete(QueueKey(p.name));
                                 return Status::Ok();
                               },
                               [&](const WriteSet::PutMeta& p) {
                                 rs = batch.Put(MetaKey(p.key), p.value);
                                 return Status::Ok();
                               },
                               [&](const WriteSet::PutModel& p) {
                                 rs = batch.Put(ModelKey(p.model.spec.name), wire::EncodeModel(p.model));
                                 return Status::Ok();
                               },
                               [&](const WriteSet::DeleteModel& p) {
                                 rs = batch.Delete(ModelKey(p.name));
                                 const std::string prefix = TriggerPrefixOf(p.name);
                                 if (rs.ok()) rs = batch.DeleteRange(prefix, PrefixEnd(prefix));
                                 return Status::Ok();
                               },
                               [&](const WriteSet::AppendTrigger& p) {
                                 rs = batch.Put(TriggerKeyOf(p.trigger), wire::EncodeTrigger(p.trigger));
                                 return Status::Ok();
                               },
                               [&](const WriteSet::DropTrigger& p) {
                                 rs = batch.Delete(TriggerKey(p.model, p.seq));
                                 return Status::Ok();
                               },
                           },
                           op);
    MUSTER_RETURN_IF_ERROR(st);
    if (!rs.ok()) return IoError("building the write batch", rs);
  }

  rocksdb::Status s = db_->Write(write_options_, &batch);
  if (!s.ok()) return IoError("commit to " + path_, s);

  // Only now, with the batch durable, may the cache move forward.
  for (const auto& [id, seq] : staged) next_seq_[id] = seq;
  for (JobId id : finished) next_seq_.erase(id);
  // Never lowered: ids below it may have events on disk. Unknown until Load.
  if (batch_next && durable_next_job_id_) durable_next_job_id_ = std::max(*durable_next_job_id_, *batch_next);
  return Status::Ok();
}

// A job lives under exactly one of ja/ and jf/: the put and the delete of the
// other key go into the same batch, so a crash never leaves it in both or none.
Status RocksDbStore::AddJob(const Job& job, rocksdb::WriteBatch* batch, std::vector<JobId>* finished) {
  const bool final = IsFinal(job.state);
  const std::string put_key = JobKey(final ? kFinishedPrefix : kActivePrefix, job.id);
  const std::string del_key = JobKey(final ? kActivePrefix : kFinishedPrefix, job.id);
  rocksdb::Status s = batch->Delete(del_key);
  if (s.ok()) s = batch->Put(put_key, wire::EncodeJob(job));
  if (!s.ok()) return IoError("building the write batch", s);
  if (final) finished->push_back(job.id);
  return Status::Ok();
}

Status RocksDbStore::AddEvent(const JobEvent& ev, const FreshIds& fresh, rocksdb::WriteBatch* batch,
                              SeqMap* staged) {
  Result<uint64_t> seq = NextSeq(ev.job, fresh, *staged);
  if (!seq.ok()) return seq.status();
  if (*seq > kMaxSeq) {
    return Status::ResourceExhausted("job " + std::to_string(ev.job) + " has too many events");
  }
  rocksdb::Status s = batch->Put(EventKey(ev.job, *seq), wire::EncodeJobEvent(ev));
  if (!s.ok()) return IoError("building the write batch", s);
  (*staged)[ev.job] = *seq + 1;
  return Status::Ok();
}

Result<uint64_t> RocksDbStore::NextSeq(JobId id, const FreshIds& fresh, const SeqMap& staged) {
  if (auto it = staged.find(id); it != staged.end()) return it->second;
  if (auto it = next_seq_.find(id); it != next_seq_.end()) return it->second;
  if (fresh.contains(id)) return uint64_t{0};
  return RecoverNextSeq(id);
}

// One past the last event of the job on disk: a seek to the end of its prefix,
// so the cost is one seek per job per process, whatever its history.
Result<uint64_t> RocksDbStore::RecoverNextSeq(JobId id) {
  const std::string prefix = EventPrefixOf(id);
  BoundedIterator it(db_.get(), rocksdb::ReadOptions(), prefix, PrefixEnd(prefix));
  it->SeekToLast();
  if (!it->Valid()) {
    if (!it->status().ok()) return IoError("events of job " + std::to_string(id), it->status());
    return uint64_t{0};
  }
  std::optional<uint64_t> seq = ParseSeq(View(it->key()), prefix);
  if (!seq) return Status::Corruption("event key '" + Printable(View(it->key())) + "' has no sequence");
  return *seq + 1;
}

Result<std::optional<Job>> RocksDbStore::GetJobAt(const rocksdb::ReadOptions& options, const std::string& key,
                                                  std::string (*key_of)(const Job&)) {
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->Get(options, db_->DefaultColumnFamily(), key, &value);
  if (s.IsNotFound()) return std::optional<Job>();
  if (!s.ok()) return IoError("read of '" + key + "'", s);
  Result<Job> job = DecodeRecord<Job>(key, value, &wire::DecodeJob, key_of);
  if (!job.ok()) return job.status();
  return std::optional<Job>(std::move(job).value());
}

Result<std::optional<Job>> RocksDbStore::GetJob(JobId id) {
  // Both reads at one snapshot: a job that finishes in between is found in
  // one place or the other, never missed.
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions options;
  options.snapshot = snapshot.snapshot();
  Result<std::optional<Job>> active = GetJobAt(options, JobKey(kActivePrefix, id), &JobActiveKey);
  if (!active.ok() || active->has_value()) return active;
  return GetJobAt(options, JobKey(kFinishedPrefix, id), &JobFinishedKey);
}

Result<std::vector<Job>> RocksDbStore::ListFinished(const HistoryQuery& q) {
  std::vector<Job> jobs;
  std::string upper = q.before == 0 ? PrefixEnd(kFinishedPrefix) : JobKey(kFinishedPrefix, q.before);
  MUSTER_RETURN_IF_ERROR(ScanBackward(db_.get(), rocksdb::ReadOptions(), std::string(kFinishedPrefix),
                                      std::move(upper), q.limit, [&](auto key, auto value) {
                                        Result<Job> job =
                                            DecodeRecord<Job>(key, value, &wire::DecodeJob, &JobFinishedKey);
                                        if (!job.ok()) return job.status();
                                        jobs.push_back(std::move(job).value());
                                        return Status::Ok();
                                      }));
  return jobs;
}

Result<std::vector<JobEvent>> RocksDbStore::Events(JobId id) {
  std::vector<JobEvent> events;
  const std::string prefix = EventPrefixOf(id);
  MUSTER_RETURN_IF_ERROR(ScanPrefix(db_.get(), rocksdb::ReadOptions(), prefix, [&](auto key, auto value) {
    Result<JobEvent> ev = wire::DecodeJobEvent(View(value));
    if (!ev.ok()) {
      return Status::Corruption("record at key '" + Printable(View(key)) + "': " + ev.status().message());
    }
    if (ev->job != id || !ParseSeq(View(key), prefix)) {
      return Status::Corruption("record at key '" + Printable(View(key)) + "' is not an event of job " +
                                std::to_string(id));
    }
    events.push_back(std::move(ev).value());
    return Status::Ok();
  }));
  return events;
}

Result<std::vector<TriggerRecord>> RocksDbStore::Triggers(const std::string& model, size_t limit) {
  std::vector<TriggerRecord> out;
  const std::string prefix = TriggerPrefixOf(model);
  MUSTER_RETURN_IF_ERROR(ScanBackward(
      db_.get(), rocksdb::ReadOptions(), prefix, PrefixEnd(prefix), limit, [&](auto key, auto value) {
        Result<TriggerRecord> t =
            DecodeRecord<TriggerRecord>(key, value, &wire::DecodeTrigger, &TriggerKeyOf);
        if (!t.ok()) return t.status();
        out.push_back(std::move(t).value());
        return Status::Ok();
      }));
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace

Result<std::unique_ptr<StateStore>> OpenRocksDbStore(const RocksDbOptions& options) {
  if (options.path.empty()) return Status::InvalidArgument("store: no path given");
  // RocksDB creates only the last directory; a fresh deployment may lack more.
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) return Status::IoError("store: cannot create " + options.path + ": " + ec.message());

  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(MakeOptions(), options.path, &raw);
  std::unique_ptr<rocksdb::DB> db(raw);
  if (!s.ok()) {
    // A second musterd on the same directory lands here with RocksDB's
    // "lock ... Resource temporarily unavailable" in the message.
    return Status::IoError("store: cannot open " + options.path + ": " + s.ToString());
  }
  return std::unique_ptr<StateStore>(std::make_unique<RocksDbStore>(std::move(db), options));
}

}  // namespace muster::store
