// StateStore conformance: the same assertions on every backend (RocksDB and
// in-memory), through the public interface only. Whatever musterd relies on
// from the store is pinned here; a backend that passes is interchangeable.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "muster/status.h"
#include "muster/types.h"
#include "scheduler/store/state_store.h"
#include "tests/support/temp_dir.h"

namespace muster::store {
namespace {

constexpr Time kT0 = 1'760'000'000'000'000;  // an arbitrary instant in 2025

// ---------------------------------------------------------------------------
// Test data

Job MakeJob(JobId id, JobState state = JobState::kPending) {
  Job job;
  job.id = id;
  job.state = state;
  job.spec.name = "job-" + std::to_string(id);
  job.spec.team = "vision";
  job.spec.queue = "default";
  job.spec.user = "alice";
  job.spec.argv = {"python", "train.py"};
  job.spec.total_gpus = 8;
  job.submit_time = kT0 + static_cast<Time>(id) * kSecond;
  if (IsFinal(state)) job.end_time = job.submit_time + kHour;
  return job;
}

// A job with every field away from its default, so a field the store (or the
// codec under it) drops shows up as a difference.
Job FullJob(JobId id) {
  Job job;
  job.id = id;
  JobSpec& s = job.spec;
  s.name = "resnet-retrain";
  s.team = "vision";
  s.queue = "research";
  s.user = "bob";
  s.argv = {"torchrun", "--nproc-per-node=8", "train.py", "--lr", "3e-4", ""};
  s.env = {{"NCCL_DEBUG", "INFO"}, {"EMPTY", ""}};
  s.workdir = "/scratch/bob/run 1";
  s.nodes = 2;
  s.gpus_per_node = 8;
  s.total_gpus = 0;
  s.priority = -5;
  s.time_limit = 6 * kHour;
  s.after = {3, 4};
  s.max_restarts = 7;
  s.preemptible = true;
  s.window = Window::kOffpeakPreferred;
  s.deadline = kT0 + kDay;
  s.kind = JobKind::kRetrain;
  s.model = "resnet50";
  s.ranks_per_node = RanksPerNode::kOne;
  s.grace_seconds = 120;
  job.state = JobState::kRunning;
  job.reason = PendingReason::kResources;
  job.reason_detail = "needs 16 GPUs, 8 free";
  job.submit_time = kT0;
  job.start_time = kT0 + kMinute;
  job.end_time = kT0 + kHour;
  job.exit_code = -9;
  job.restarts = 2;
  job.attempt = 3;
  job.placement = {{"gpu-a", {0, 1, 2, 3, 4, 5, 6, 7}}, {"gpu-b", {7, 6, 5, 4, 3, 2, 1, 0}}};
  job.master_port = 29517;
  job.ending = JobState::kFailed;
  job.requeue_on_end = true;
  return job;
}

Node MakeNode(const std::string& name, int gpus = 2) {
  Node node;
  node.name = name;
  node.address = name + ".cluster.local";
  for (int i = 0; i < gpus; ++i) {
    node.gpus.push_back({i, "GPU-" + name + "-" + std::to_string(i), "NVIDIA H100 80GB HBM3", 80ull << 30});
  }
  node.labels = {{"rack", "r1"}, {"switch", "s3"}};
  node.state = NodeState::kUp;
  node.last_heartbeat = kT0 + 5 * kSecond;
  return node;
}

JobEvent MakeEvent(JobId job, int i) {
  return JobEvent{job, kT0 + i * kMillisecond, JobState::kPending, JobState::kStarting,
                  "step " + std::to_string(i)};
}

std::vector<JobId> Ids(const std::vector<Job>& jobs) {
  std::vector<JobId> ids;
  for (const Job& j : jobs) ids.push_back(j.id);
  return ids;
}

std::vector<JobId> Range(JobId from, JobId to_inclusive, int step = 1) {
  std::vector<JobId> ids;
  if (step > 0) {
    for (JobId id = from; id <= to_inclusive; id += step) ids.push_back(id);
  } else {
    for (JobId id = from; id >= to_inclusive && id != 0; id -= -step) ids.push_back(id);
  }
  return ids;
}

template <typename T>
T Unwrap(Result<T> r, const char* what) {
  EXPECT_TRUE(r.ok()) << what << ": " << r.status().ToString();
  return r.ok() ? std::move(r).value() : T{};
}

// A fresh directory per test under $TMPDIR (or /tmp), removed afterwards.
using ::muster::testing::TempDir;

// ---------------------------------------------------------------------------
// Backends. kDurable: the store survives a close and an open of its directory.

struct MemoryBackend {
  static constexpr bool kDurable = false;
  static Result<std::unique_ptr<StateStore>> Open(const std::string& /*dir*/) { return NewMemoryStore(); }
};

struct RocksDbBackend {
  static constexpr bool kDurable = true;
  static Result<std::unique_ptr<StateStore>> Open(const std::string& dir) {
    return OpenRocksDbStore(RocksDbOptions{dir, /*sync=*/true});
  }
};

struct BackendNames {
  template <typename T>
  static std::string GetName(int) {
    if constexpr (std::is_same_v<T, MemoryBackend>) return "Memory";
    return "RocksDb";
  }
};

template <typename Backend>
class StoreConformanceTest : public ::testing::Test {
 public:  // the helpers serve free functions (Observe) as well as test bodies
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(Open()); }
  void TearDown() override { store_.reset(); }  // close before TempDir removes the files

  // A restart of musterd: a durable backend is closed and opened again on
  // the same directory. The memory backend keeps its instance (a restart
  // would lose everything), so the same assertions then hold trivially.
  void Reopen() {
    if constexpr (Backend::kDurable) {
      store_.reset();
      ASSERT_NO_FATAL_FAILURE(Open());
    }
  }

  StateStore& store() { return *store_; }

  void Commit(const WriteSet& ws) {
    Status s = store_->Commit(ws);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void CommitJob(const Job& job) {
    WriteSet ws;
    ws.Put(job);
    Commit(ws);
  }
  RecoveredState Load(size_t limit = 1000) { return Unwrap(store_->Load(limit), "Load"); }
  std::optional<Job> Get(JobId id) { return Unwrap(store_->GetJob(id), "GetJob"); }
  std::vector<Job> List(JobId before, size_t limit) {
    return Unwrap(store_->ListFinished(HistoryQuery{before, limit}), "ListFinished");
  }
  std::vector<JobEvent> Events(JobId id) { return Unwrap(store_->Events(id), "Events"); }
  std::vector<TriggerRecord> Triggers(const std::string& model, size_t limit) {
    return Unwrap(store_->Triggers(model, limit), "Triggers");
  }

 private:
  void Open() {
    Result<std::unique_ptr<StateStore>> r = Backend::Open(dir_.path() + "/db");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    store_ = std::move(r).value();
  }

  TempDir dir_{"muster-store"};
  std::unique_ptr<StateStore> store_;
};

using Backends = ::testing::Types<MemoryBackend, RocksDbBackend>;
TYPED_TEST_SUITE(StoreConformanceTest, Backends, BackendNames);

// ---------------------------------------------------------------------------
// Jobs

TYPED_TEST(StoreConformanceTest, JobRoundTrip) {
  const Job running = FullJob(7);
  Job done = FullJob(9);
  done.state = JobState::kCompleted;
  done.ending.reset();
  WriteSet ws;
  ws.Put(running);
  ws.Put(done);
  this->Commit(ws);

  EXPECT_EQ(this->Get(7), running);
  EXPECT_EQ(this->Get(9), done);
  EXPECT_EQ(this->Get(8), std::nullopt);
  RecoveredState st = this->Load();
  ASSERT_EQ(st.active_jobs.size(), 1u);
  EXPECT_EQ(st.active_jobs[0], running);
  ASSERT_EQ(st.recent_finished.size(), 1u);
  EXPECT_EQ(st.recent_finished[0], done);
}

TYPED_TEST(StoreConformanceTest, PutJobReplacesTheEarlierVersion) {
  Job job = MakeJob(3);
  this->CommitJob(job);
  job.state = JobState::kRunning;
  job.attempt = 1;
  job.placement = {{"gpu-a", {0, 1}}};
  this->CommitJob(job);

  EXPECT_EQ(this->Get(3), job);
  RecoveredState st = this->Load();
  ASSERT_EQ(st.active_jobs.size(), 1u);
  EXPECT_EQ(st.active_jobs[0], job);
}

TYPED_TEST(StoreConformanceTest, ActiveJobsLoadInIdOrder) {
  WriteSet ws;
  for (JobId id : {300u, 2u, 17u, 256u, 1u, 16u}) ws.Put(MakeJob(id));
  this->Commit(ws);
  EXPECT_EQ(Ids(this->Load().active_jobs), (std::vector<JobId>{1, 2, 16, 17, 256, 300}));
}

TYPED_TEST(StoreConformanceTest, FinishedJobMovesToHistory) {
  WriteSet ws;
  for (JobId id = 1; id <= 4; ++id) ws.Put(MakeJob(id, JobState::kRunning));
  this->Commit(ws);

  const JobState kEnds[] = {JobState::kCompleted, JobState::kFailed, JobState::kCancelled,
                            JobState::kTimeout};
  for (JobId id = 1; id <= 3; ++id) this->CommitJob(MakeJob(id, kEnds[id - 1]));
  RecoveredState st = this->Load();
  EXPECT_EQ(Ids(st.active_jobs), (std::vector<JobId>{4}));
  EXPECT_EQ(Ids(st.recent_finished), (std::vector<JobId>{1, 2, 3}));
  for (JobId id = 1; id <= 3; ++id) {
    std::optional<Job> job = this->Get(id);
    ASSERT_TRUE(job.has_value()) << id;
    EXPECT_EQ(job->state, kEnds[id - 1]);
  }
  EXPECT_EQ(Ids(this->List(0, 10)), (std::vector<JobId>{3, 2, 1}));

  // The fourth state that counts as final, on the last active job.
  this->CommitJob(MakeJob(4, kEnds[3]));
  EXPECT_TRUE(this->Load().active_jobs.empty());
  EXPECT_EQ(Ids(this->List(0, 10)), (std::vector<JobId>{4, 3, 2, 1}));
}

TYPED_TEST(StoreConformanceTest, TransitionalStatesStayActive) {
  WriteSet ws;
  ws.Put(MakeJob(1, JobState::kPreempted));
  ws.Put(MakeJob(2, JobState::kNodeFail));
  ws.Put(MakeJob(3, JobState::kStarting));
  this->Commit(ws);
  EXPECT_EQ(Ids(this->Load().active_jobs), (std::vector<JobId>{1, 2, 3}));
  EXPECT_TRUE(this->List(0, 10).empty());
}

TYPED_TEST(StoreConformanceTest, ListFinishedPagesNewestFirst) {
  // Finished ids 1..25 with active jobs interleaved at 100+: only history pages.
  WriteSet ws;
  for (JobId id = 1; id <= 25; ++id) {
    ws.Put(MakeJob(id, JobState::kCompleted));
    ws.Put(MakeJob(100 + id));
  }
  this->Commit(ws);

  std::vector<JobId> seen;
  JobId before = 0;
  for (int page = 0; page < 10; ++page) {
    std::vector<Job> jobs = this->List(before, 10);
    if (jobs.empty()) break;
    EXPECT_LE(jobs.size(), 10u);
    for (const Job& j : jobs) seen.push_back(j.id);
    before = jobs.back().id;
  }
  EXPECT_EQ(seen, Range(25, 1, -1));

  EXPECT_EQ(Ids(this->List(16, 10)), Range(15, 6, -1));
  EXPECT_EQ(Ids(this->List(6, 10)), Range(5, 1, -1));
  EXPECT_TRUE(this->List(1, 10).empty());
  EXPECT_TRUE(this->List(0, 0).empty());
  EXPECT_EQ(Ids(this->List(1000, 3)), (std::vector<JobId>{25, 24, 23}));
  EXPECT_EQ(Ids(this->List(0, 1000)), Range(25, 1, -1));
}

TYPED_TEST(StoreConformanceTest, RequeuedJobMovesBackToActive) {
  this->CommitJob(MakeJob(5, JobState::kFailed));
  Job requeued = MakeJob(5, JobState::kPending);
  requeued.restarts = 1;
  this->CommitJob(requeued);

  EXPECT_EQ(this->Get(5), requeued);
  RecoveredState st = this->Load();
  EXPECT_EQ(Ids(st.active_jobs), (std::vector<JobId>{5}));
  EXPECT_TRUE(st.recent_finished.empty());
  EXPECT_TRUE(this->List(0, 10).empty());

  // Within one WriteSet the last put wins, in either direction.
  WriteSet ws;
  ws.Put(MakeJob(6));
  ws.Put(MakeJob(6, JobState::kCancelled));
  ws.Put(MakeJob(7, JobState::kCancelled));
  ws.Put(MakeJob(7));
  this->Commit(ws);
  st = this->Load();
  EXPECT_EQ(Ids(st.active_jobs), (std::vector<JobId>{5, 7}));
  EXPECT_EQ(Ids(st.recent_finished), (std::vector<JobId>{6}));
}

TYPED_TEST(StoreConformanceTest, LoadReturnsOnlyTheNewestFinished) {
  WriteSet ws;
  for (JobId id = 1; id <= 20; ++id) ws.Put(MakeJob(id, JobState::kCompleted));
  ws.Put(MakeJob(21));
  this->Commit(ws);

  RecoveredState st = this->Load(5);
  EXPECT_EQ(Ids(st.recent_finished), Range(16, 20));  // ascending, like active jobs
  EXPECT_EQ(Ids(st.active_jobs), (std::vector<JobId>{21}));
  EXPECT_TRUE(this->Load(0).recent_finished.empty());
  EXPECT_EQ(Ids(this->Load(100).recent_finished), Range(1, 20));
  // Older ones are still there on demand.
  EXPECT_EQ(Ids(this->List(16, 100)), Range(15, 1, -1));
  EXPECT_TRUE(this->Get(1).has_value());
}

// ---------------------------------------------------------------------------
// Events

TYPED_TEST(StoreConformanceTest, EventsComeBackInAppendOrder) {
  // Three jobs interleaved: single appends, and runs of one job in one set.
  std::vector<JobEvent> want[4];
  int i = 0;
  for (int round = 0; round < 40; ++round) {
    WriteSet ws;
    for (JobId job = 1; job <= 3; ++job) {
      const int n = (round + static_cast<int>(job)) % 4;  // 0..3 events per job per set
      for (int k = 0; k < n; ++k) {
        JobEvent ev = MakeEvent(job, i++);
        ws.Append(ev);
        want[job].push_back(ev);
      }
    }
    this->Commit(ws);
  }
  for (JobId job = 1; job <= 3; ++job) {
    ASSERT_GT(want[job].size(), 30u);
    EXPECT_EQ(this->Events(job), want[job]) << "job " << job;
  }
  EXPECT_TRUE(this->Events(4).empty());
}

TYPED_TEST(StoreConformanceTest, EventsKeepOrderAcrossReopen) {
  // More than ten events before and after each reopen, so ordering cannot
  // rest on string order of unpadded numbers nor on an in-memory counter.
  std::vector<JobEvent> want;
  int i = 0;
  auto append = [&](int n) {
    for (int k = 0; k < n; ++k) {
      WriteSet ws;
      want.push_back(MakeEvent(12, i++));
      ws.Append(want.back());
      this->Commit(ws);
    }
  };
  append(11);
  ASSERT_NO_FATAL_FAILURE(this->Reopen());
  append(12);
  ASSERT_NO_FATAL_FAILURE(this->Reopen());
  EXPECT_EQ(this->Events(12), want);
  append(3);
  EXPECT_EQ(this->Events(12), want);
}

TYPED_TEST(StoreConformanceTest, EventsAfterAJobFinishesKeepOrder) {
  // The job's end and its final event commit together; a late event (say, a
  // rank exit reported after the end) still lands after them.
  std::vector<JobEvent> want = {MakeEvent(8, 0), MakeEvent(8, 1)};
  WriteSet ws;
  ws.Put(MakeJob(8, JobState::kRunning));
  ws.Append(want[0]);
  this->Commit(ws);
  WriteSet end;
  end.Put(MakeJob(8, JobState::kCompleted));
  end.Append(want[1]);
  this->Commit(end);
  want.push_back(MakeEvent(8, 2));
  WriteSet late;
  late.Append(want[2]);
  this->Commit(late);
  EXPECT_EQ(this->Events(8), want);
  ASSERT_NO_FATAL_FAILURE(this->Reopen());
  EXPECT_EQ(this->Events(8), want);
}

TYPED_TEST(StoreConformanceTest, EventsOfJobsAllocatedWithTheirFirstEventsKeepOrder) {
  // musterd's pattern: a set allocates ids (SetNextId) and carries the new
  // jobs' first events; later sets add events to those jobs and to older,
  // finished ones; a restart in between.
  EXPECT_EQ(this->Load().next_job_id, 1);
  std::vector<JobEvent> want[7];
  int i = 0;
  auto append = [&](WriteSet& ws, JobId job) {
    want[job].push_back(MakeEvent(job, i++));
    ws.Append(want[job].back());
  };
  WriteSet a;
  a.SetNextId(3);
  a.Put(MakeJob(1, JobState::kPending));
  append(a, 1);
  a.Put(MakeJob(2, JobState::kPending));
  append(a, 2);
  append(a, 2);
  this->Commit(a);
  WriteSet b;
  b.Put(MakeJob(1, JobState::kCompleted));
  append(b, 1);
  this->Commit(b);
  WriteSet c;
  c.SetNextId(5);
  c.Put(MakeJob(3, JobState::kPending));
  append(c, 3);
  append(c, 1);  // late, after job 1 ended: not one of this set's new jobs
  append(c, 2);
  this->Commit(c);
  for (JobId job : {1, 2, 3}) EXPECT_EQ(this->Events(job), want[job]) << "job " << job;

  ASSERT_NO_FATAL_FAILURE(this->Reopen());
  EXPECT_EQ(this->Load().next_job_id, 5);
  WriteSet d;
  d.SetNextId(7);
  d.Put(MakeJob(5, JobState::kPending));
  append(d, 5);
  append(d, 2);
  append(d, 1);
  this->Commit(d);
  for (JobId job : {1, 2, 3, 5}) EXPECT_EQ(this->Events(job), want[job]) << "job " << job;
}

TYPED_TEST(StoreConformanceTest, ALoweredNextIdNeverMakesAJobWithEventsLookNew) {
  // A next id set lower than a job with events (a restored or hand-edited
  // store) must not let that job's later events overwrite its first ones.
  this->Load();
  std::vector<JobEvent> want = {MakeEvent(5, 0)};
  WriteSet a;
  a.SetNextId(6);
  a.Put(MakeJob(5, JobState::kCompleted));
  a.Append(want[0]);
  this->Commit(a);
  WriteSet lower;
  lower.SetNextId(3);
  this->Commit(lower);
  want.push_back(MakeEvent(5, 1));
  WriteSet b;
  b.SetNextId(8);
  b.Append(want.back());
  this->Commit(b);
  EXPECT_EQ(this->Events(5), want);

  WriteSet lower_again;
  lower_again.SetNextId(3);
  this->Commit(lower_again);
  ASSERT_NO_FATAL_FAILURE(this->Reopen());
  EXPECT_EQ(this->Load().next_job_id, 3);
  want.push_back(MakeEvent(5, 2));
  WriteSet c;
  c.SetNextId(9);
  c.Append(want.back());
  this->Commit(c);
  EXPECT_EQ(this->Events(5), want);
}

// ---------------------------------------------------------------------------
// Nodes and counters

TYPED_TEST(StoreConformanceTest, NodesPutUpdateDelete) {
  WriteSet ws;
  ws.Put(MakeNode("gpu-b"));
  ws.Put(MakeNode("gpu-a", 8));
  ws.Put(MakeNode("gpu-c"));
  this->Commit(ws);
  EXPECT_EQ(this->Load().nodes,
            (std::vector<Node>{MakeNode("gpu-a", 8), MakeNode("gpu-b"), MakeNode("gpu-c")}));

  Node drained = MakeNode("gpu-b");
  drained.state = NodeState::kDrain;
  drained.labels["maintenance"] = "yes";
  WriteSet change;
  change.Put(drained);
  change.Delete("gpu-a");
  change.Delete("never-registered");  // deleting what is not there is fine
  this->Commit(change);
  EXPECT_EQ(this->Load().nodes, (std::vector<Node>{drained, MakeNode("gpu-c")}));

  ASSERT_NO_FATAL_FAILURE(this->Reopen());
  EXPECT_EQ(this->Load().nodes, (std::vector<Node>{drained, MakeNode("gpu-c")}));
}

TYPED_TEST(StoreConformanceTest, QueuesAndMetaPersist) {
  QueueSpec research{"research", 2.5, 16, 64, 1, 4 * kHour, Window::kOffpeakPreferred, false};
  QueueSpec prod{"prod", 1.0, 32, -1, 2, 0, Window::kAnytime, true};
  WriteSet ws;
  ws.Put(research);
  ws.Put(prod);
  ws.SetMeta("usage", "line one\nline two");
  this->Commit(ws);
  EXPECT_EQ(this->Load().queues, (std::vector<QueueSpec>{prod, research}));  // by name

  WriteSet change;
  research.max_gpus = 80;
  change.Put(research);
  change.DeleteQueueNamed("prod");
  change.SetMeta("usage", "replaced");
  this->Commit(change);
  ASSERT_NO_FATAL_FAILURE(this->Reopen());
  auto state = this->Load();
  EXPECT_EQ(state.queues, (std::vector<QueueSpec>{research}));
  EXPECT_EQ(state.meta, (std::map<std::string, std::string>{{"usage", "replaced"}}));

  WriteSet bad;
  bad.Put(QueueSpec{});  // no name
  EXPECT_EQ(this->store().Commit(bad).code(), StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------
// Models and their trigger history

Model FullModel(const std::string& name) {
  Model m;
  m.spec.name = name;
  m.spec.job = FullJob(1).spec;
  m.spec.deadline = 12 * kHour;
  m.spec.cooldown = 6 * kHour;
  m.spec.checkpoint_dir = "/shared/ckpt/" + name;
  m.created = kT0;
  m.active_job = 77;
  m.last_job = 70;
  m.last_state = JobState::kCompleted;
  m.last_end = kT0 + kHour;
  m.last_success_job = 70;
  m.warm_start = "/shared/ckpt/" + name + "/70";
  m.triggers = 3;
  m.due = true;
  m.due_reason = "psi above 0.2";
  m.due_metrics = {{"psi.age", "0.31"}, {"ks.age", "0.12"}};
  return m;
}

TriggerRecord MakeTrigger(const std::string& model, uint64_t seq) {
  return TriggerRecord{model,
                       seq,
                       kT0 + static_cast<Time>(seq) * kSecond,
                       "cli:alice",
                       "drift #" + std::to_string(seq),
                       {{"psi.age", "0.3"}},
                       seq == 0 ? TriggerOutcome::kSubmitted : TriggerOutcome::kCoalesced,
                       77};
}

TYPED_TEST(StoreConformanceTest, ModelsAndTriggersPersistAndPage) {
  Model fraud = FullModel("fraud");
  Model fraud2 = FullModel("fraud2");  // a name that extends another's
  WriteSet ws;
  ws.Put(fraud2);
  ws.Put(fraud);
  for (uint64_t seq = 0; seq < 12; ++seq) ws.Append(MakeTrigger("fraud", seq));
  ws.Append(MakeTrigger("fraud2", 0));
  this->Commit(ws);
  ASSERT_NO_FATAL_FAILURE(this->Reopen());
  EXPECT_EQ(this->Load().models, (std::vector<Model>{fraud, fraud2}));  // by name

  std::vector<TriggerRecord> newest = this->Triggers("fraud", 5);
  ASSERT_EQ(newest.size(), 5u);
  EXPECT_EQ(newest.front(), MakeTrigger("fraud", 7));  // oldest first
  EXPECT_EQ(newest.back(), MakeTrigger("fraud", 11));
  EXPECT_EQ(this->Triggers("fraud", 100).size(), 12u);
  EXPECT_EQ(this->Triggers("fraud2", 100), (std::vector<TriggerRecord>{MakeTrigger("fraud2", 0)}));
  EXPECT_TRUE(this->Triggers("none", 100).empty());

  WriteSet retention;  // the oldest go
  for (uint64_t seq = 0; seq < 7; ++seq) retention.DropTriggerOf("fraud", seq);
  this->Commit(retention);
  newest = this->Triggers("fraud", 100);
  ASSERT_EQ(newest.size(), 5u);
  EXPECT_EQ(newest.front().seq, 7u);

  WriteSet del;
  del.DeleteModelNamed("fraud");
  this->Commit(del);
  ASSERT_NO_FATAL_FAILURE(this->Reopen());
  EXPECT_EQ(this->Load().models, (std::vector<Model>{fraud2}));
  EXPECT_TRUE(this->Triggers("fraud", 100).empty());  // history goes with the model
  EXPECT_EQ(this->Triggers("fraud2", 100).size(), 1u);

  WriteSet bad;
  bad.Put(Model{});  // no name
  EXPECT_EQ(this->store().Commit(bad).code(), StatusCode::kInvalidArgument);
  WriteSet bad_trigger;
  bad_trigger.Append(TriggerRecord{});
  EXPECT_EQ(this->store().Commit(bad_trigger).code(), StatusCode::kInvalidArgument);
}

TYPED_TEST(StoreConformanceTest, NextJobIdDefaultsToOneAndPersists) {
  EXPECT_EQ(this->Load().next_job_id, 1u);
  WriteSet ws;
  ws.Put(MakeJob(41));
  ws.SetNextId(42);
  this->Commit(ws);
  EXPECT_EQ(this->Load().next_job_id, 42u);
  WriteSet big;
  big.SetNextId(JobId{1} << 40);
  this->Commit(big);
  ASSERT_NO_FATAL_FAILURE(this->Reopen());
  EXPECT_EQ(this->Load().next_job_id, JobId{1} << 40);
}

// ---------------------------------------------------------------------------
// Atomicity and recovery

// Everything observable through the interface, for before/after comparisons.
struct Observed {
  RecoveredState state;
  std::vector<Job> history;
  std::vector<std::vector<JobEvent>> events;  // of jobs 1..kMaxJob
  std::vector<std::optional<Job>> jobs;       // GetJob of 1..kMaxJob
};
constexpr JobId kMaxJob = 12;

template <typename Fixture>
Observed Observe(Fixture* t) {
  Observed o;
  o.state = t->Load(1000);
  o.history = t->List(0, 1000);
  for (JobId id = 1; id <= kMaxJob; ++id) {
    o.events.push_back(t->Events(id));
    o.jobs.push_back(t->Get(id));
  }
  return o;
}

void ExpectSame(const Observed& a, const Observed& b) {
  EXPECT_EQ(a.state.active_jobs, b.state.active_jobs);
  EXPECT_EQ(a.state.recent_finished, b.state.recent_finished);
  EXPECT_EQ(a.state.nodes, b.state.nodes);
  EXPECT_EQ(a.state.next_job_id, b.state.next_job_id);
  EXPECT_EQ(a.history, b.history);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.jobs, b.jobs);
}

// One turn of musterd's loop: submissions, a finish, membership, events.
WriteSet TurnWithEveryKindOfOp(JobId first) {
  WriteSet ws;
  for (JobId id = first; id < first + 4; ++id) {
    ws.Put(MakeJob(id));
    ws.Append(JobEvent{id, kT0, JobState::kPending, JobState::kPending, "submitted"});
  }
  ws.SetNextId(first + 4);
  ws.Put(MakeJob(first, JobState::kCompleted));
  ws.Append(JobEvent{first, kT0 + kSecond, JobState::kPending, JobState::kCompleted, "exit 0"});
  ws.Put(MakeNode("gpu-" + std::to_string(first)));
  return ws;
}

TYPED_TEST(StoreConformanceTest, WriteSetIsAllOrNothing) {
  this->Commit(TurnWithEveryKindOfOp(1));
  const Observed before = Observe(this);

  // Every kind of op, then one the store must refuse: nothing may stick.
  WriteSet bad = TurnWithEveryKindOfOp(5);
  bad.Delete("gpu-1");
  bad.Put(MakeJob(kNoJob));
  Status s = this->store().Commit(bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  ExpectSame(Observe(this), before);

  // The same set without the bad op commits whole, and survives a restart.
  WriteSet good = TurnWithEveryKindOfOp(5);
  good.Delete("gpu-1");
  this->Commit(good);
  ASSERT_NO_FATAL_FAILURE(this->Reopen());
  RecoveredState st = this->Load();
  EXPECT_EQ(Ids(st.active_jobs), (std::vector<JobId>{2, 3, 4, 6, 7, 8}));
  EXPECT_EQ(Ids(st.recent_finished), (std::vector<JobId>{1, 5}));
  EXPECT_EQ(st.nodes, (std::vector<Node>{MakeNode("gpu-5")}));
  EXPECT_EQ(st.next_job_id, 9u);
  EXPECT_EQ(this->Events(5).size(), 2u);
  EXPECT_EQ(this->Events(8).size(), 1u);
}

TYPED_TEST(StoreConformanceTest, InvalidOpsAreRefused) {
  const auto refused = [this](WriteSet ws) {
    Status s = this->store().Commit(ws);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  };
  WriteSet a, b, c, d, e;
  a.Put(MakeJob(kNoJob));
  b.Put(MakeNode(""));
  c.Delete("");
  d.Append(MakeEvent(kNoJob, 1));
  e.SetNextId(kNoJob);
  for (WriteSet* ws : {&a, &b, &c, &d, &e}) refused(*ws);
  RecoveredState st = this->Load();
  EXPECT_TRUE(st.active_jobs.empty());
  EXPECT_TRUE(st.nodes.empty());
  EXPECT_EQ(st.next_job_id, 1u);
}

TYPED_TEST(StoreConformanceTest, EmptyWriteSetCommits) {
  this->Commit(WriteSet());
  EXPECT_TRUE(this->Load().active_jobs.empty());
}

TYPED_TEST(StoreConformanceTest, ReopenGivesBackExactlyWhatWasCommitted) {
  this->Commit(TurnWithEveryKindOfOp(1));
  this->Commit(TurnWithEveryKindOfOp(5));
  Job full = FullJob(9);
  WriteSet ws;
  ws.Put(full);
  ws.Put(MakeJob(10, JobState::kTimeout));
  ws.Put(MakeJob(3, JobState::kFailed));
  ws.Delete("gpu-1");
  ws.SetNextId(11);
  for (int i = 0; i < 15; ++i) ws.Append(MakeEvent(9, i));
  this->Commit(ws);
  const Observed before = Observe(this);
  EXPECT_EQ(this->Get(9), full);

  ASSERT_NO_FATAL_FAILURE(this->Reopen());
  ExpectSame(Observe(this), before);
  ASSERT_NO_FATAL_FAILURE(this->Reopen());  // a second restart changes nothing either
  ExpectSame(Observe(this), before);
}

// ---------------------------------------------------------------------------
// RocksDB only: what the file system adds.

class RocksDbStoreTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& leaf) const { return dir_.path() + "/" + leaf; }

  TempDir dir_{"muster-store"};
};

TEST_F(RocksDbStoreTest, SecondOpenOfTheSameDirectoryIsALockError) {
  const std::string path = Path("db");
  Result<std::unique_ptr<StateStore>> first = OpenRocksDbStore({path});
  ASSERT_TRUE(first.ok()) << first.status().ToString();

  Result<std::unique_ptr<StateStore>> second = OpenRocksDbStore({path});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kIoError);
  EXPECT_NE(second.status().message().find(path), std::string::npos) << second.status().message();
  EXPECT_NE(second.status().message().find("lock"), std::string::npos) << second.status().message();

  // Closing the first releases the lock.
  first.value().reset();
  Result<std::unique_ptr<StateStore>> third = OpenRocksDbStore({path});
  EXPECT_TRUE(third.ok()) << third.status().ToString();
}

TEST_F(RocksDbStoreTest, OpenCreatesMissingDirectories) {
  const std::string path = Path("var/lib/muster/state");
  Result<std::unique_ptr<StateStore>> store = OpenRocksDbStore({path});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE(std::filesystem::is_directory(path));
}

TEST_F(RocksDbStoreTest, OpenOfAFileIsAnIoErrorNamingThePath) {
  const std::string path = Path("not-a-dir");
  std::ofstream(path) << "x";
  Result<std::unique_ptr<StateStore>> store = OpenRocksDbStore({path});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kIoError);
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
}

TEST_F(RocksDbStoreTest, OpenWithoutAPathIsRefused) {
  Result<std::unique_ptr<StateStore>> store = OpenRocksDbStore({});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace muster::store
