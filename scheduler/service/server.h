// musterd: one event loop that owns all scheduler state (DESIGN.md
// "Durability and the event loop"). Each turn: drain up to a bound of ready
// messages -> apply them to memory, collecting one WriteSet -> schedule ->
// commit the WriteSet with one synced write -> only then send the replies and
// dispatches collected on the way. A client told "accepted" has its job on disk.
#pragma once

#include <zmq.hpp>

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "common/base/clock.h"
#include "common/proto/messages.h"
#include "muster/status.h"
#include "muster/types.h"
#include "common/timewin/offpeak.h"
#include "scheduler/core/fair_share.h"
#include "scheduler/core/snapshot.h"
#include "scheduler/store/state_store.h"

namespace muster::service {

struct ServerOptions {
  std::string listen = "tcp://127.0.0.1:7600";  // port 0 or * picks a free port
  // The endpoint ranks on other hosts use for the rendezvous (MUSTER_RDZV);
  // empty: the bound endpoint, with a wildcard host replaced by this host's name.
  std::string advertise;
  std::string state_dir;
  Duration heartbeat_timeout = 10 * kSecond;
  int32_t heartbeat_interval_ms = 1000;         // told to agents at registration
  size_t max_batch = 1024;                      // messages applied per commit
  size_t recent_finished = 10000;               // finished jobs kept in memory
  std::string checkpoint_root;                  // default <state_dir>/checkpoints
  int32_t port_range_begin = 29500;             // MASTER_PORT allocation, per node
  int32_t port_range_end = 30500;
  Duration log_forward_timeout = 5 * kSecond;
  // A placed gang not RUNNING (every rank reported started) this long after
  // its launch is torn down everywhere and requeued like a node failure.
  Duration start_timeout = 120 * kSecond;
  // A gang whose nodes have not all answered ReserveRanks this long after
  // the launch is aborted everywhere and requeued like a node failure.
  Duration reserve_timeout = 10 * kSecond;
  // Policy.
  std::vector<std::string> offpeak;             // "Mon-Fri 20:00-07:00", ...
  std::string timezone = "UTC";
  Duration fair_share_half_life = 7 * kDay;
  bool backfill = true;
  // The core sees at most this many plain pending jobs per queue and team in
  // a cycle, and `full_queue_depth` in the full cycle once a second
  // (scheduling.cc); 0: every job (queue_depth 0: every cycle is full).
  size_t queue_depth = 1000;
  size_t full_queue_depth = 10000;
};

// Statistics for tests, the bench and `--log-level debug`.
struct ServerStats {
  uint64_t turns = 0;
  uint64_t commits = 0;
  uint64_t messages = 0;
  uint64_t max_commit_batch = 0;     // store ops in the largest commit
  // Group commit: messages drained in the turns that ended with a synced
  // commit (their sum / commits is the mean batch one sync carried), and the
  // most in one such turn.
  uint64_t committed_turn_messages = 0;
  uint64_t max_committed_turn_messages = 0;
  uint64_t commit_ops = 0;           // store ops over all commits
  uint64_t heartbeats = 0;
  uint64_t schedule_cycles = 0;
  // Time spent in scheduling cycles (Slurm's sdiag "Main schedule
  // statistics"), and in the full ones, which look deepest (scheduling.cc).
  uint64_t cycle_us_total = 0;
  uint64_t cycle_us_max = 0;
  uint64_t full_cycles = 0;
  uint64_t full_cycle_us_total = 0;
  uint64_t full_cycle_us_max = 0;
};

// One JSON object of the counters, for the stats file musterd writes at exit.
std::string StatsJson(const ServerStats& s);

class Server {
 public:
  // Opens the store, loads state and binds the socket. Does not loop yet.
  static Result<std::unique_ptr<Server>> Create(const ServerOptions& options,
                                                std::unique_ptr<store::StateStore> store,
                                                const Clock& clock);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The endpoint actually bound (with the real port).
  const std::string& endpoint() const { return endpoint_; }
  // Runs until `stop` becomes true (checked at least every 100 ms).
  Status Run(const std::atomic<bool>& stop);
  const ServerStats& stats() const { return stats_; }

 private:
  struct RankStatus {
    bool started = false;
    bool exited = false;
  };
  // A job in memory: the persisted record plus what only this process knows.
  struct JobEntry {
    Job job;
    std::vector<RankStatus> ranks;  // current attempt; rebuilt from agent reports
    int32_t ranks_exited = 0;
    std::string failure;            // why the gang failed, for the event
    int64_t start_deadline_mono = 0;  // in start_deadlines_ while STARTING; 0: none
    // The start barrier timed out and the gang is being torn down: the start
    // deadline now bounds the wait for the exits of ranks never reported
    // started (CheckStartTimeouts).
    bool awaiting_unstarted_exits = false;
    // The two-phase start (gang_phase == kReserving): nodes that have not
    // answered ReserveRanks yet, and when the reservation gives up.
    std::set<std::string> reserve_waiting;
    int64_t reserve_deadline_mono = 0;  // in reserve_deadlines_; 0: none
  };
  struct NodeEntry {
    Node node;
    std::string identity;           // ZeroMQ routing id; empty: not registered in this process
    int64_t last_heartbeat_mono = 0;
    std::vector<JobId> gpu_owner;   // by GPU index; kNoJob = free
    std::set<int32_t> ports;        // MASTER_PORTs in use on this node
  };
  struct PendingLogRead {
    std::string client;
    uint64_t client_request = 0;
    int64_t deadline_mono = 0;
    JobId job = kNoJob;
    uint64_t offset = 0;
  };
  struct Outgoing {
    std::string identity;
    wire::Envelope env;
  };
  // Rendezvous (rdzv_api.cc): kept in memory only, never persisted; a
  // restarted musterd starts empty and ranks retry (docs/rendezvous.md).
  struct RdzvWaiter {  // a held RdzvGet or RdzvBarrier
    std::string client;
    uint64_t client_request = 0;
    int64_t deadline_mono = 0;
    JobId job = kNoJob;
    bool barrier = false;
    std::string key;   // the awaited key, or the barrier's name
    int32_t rank = 0;  // barrier only
  };
  struct RdzvBarrierState {
    int32_t world_size = 0;
    std::map<int32_t, uint64_t> arrived;  // rank -> waiter id
  };
  struct RdzvSpace {  // one job attempt
    int32_t attempt = 0;
    std::unordered_map<std::string, std::string> values;
    size_t value_bytes = 0;
    std::unordered_map<std::string, std::set<uint64_t>> getters;  // key -> waiter ids
    std::unordered_map<std::string, RdzvBarrierState> barriers;
    size_t waiters = 0;
  };

  Server(const ServerOptions& options, std::unique_ptr<store::StateStore> store, const Clock& clock);
  Status Recover();
  Status Bind();

  // One turn of the loop.
  void HandleFrame(const std::string& identity, const std::string& payload, bool extra_frames);
  void Dispatch(const std::string& identity, wire::Envelope env);
  Status CommitAndFlush();
  void Reply(const std::string& identity, uint64_t request_id, wire::Body body);
  void ReplyError(const std::string& identity, uint64_t request_id, wire::ErrorCode code,
                  std::string message);
  void SendToNode(const NodeEntry& node, wire::Body body);

  // Client API (client_api.cc).
  void OnSubmit(const std::string& from, uint64_t rid, wire::SubmitJob& m);
  void OnListJobs(const std::string& from, uint64_t rid, const wire::ListJobs& m);
  void OnCancel(const std::string& from, uint64_t rid, const wire::CancelJob& m);
  void OnListNodes(const std::string& from, uint64_t rid, const wire::ListNodes& m);
  void OnReadLog(const std::string& from, uint64_t rid, const wire::ReadLog& m);
  void OnListEvents(const std::string& from, uint64_t rid, const wire::ListEvents& m);
  void OnLogReply(uint64_t rid, wire::Body body);
  void ExpireLogReads(int64_t now_mono);
  std::optional<Job> FindJob(JobId id);  // active, recent, then the store
  // The active job `id`, or nullptr after answering why not (no such job, or
  // it already ended).
  JobEntry* ActiveJobOrReply(const std::string& from, uint64_t rid, JobId id);
  // "job 57", or "job 57 (42_7)" for an array task: the user may have named
  // it either way (`muster cancel 42_7`), so a refusal says both.
  static std::string JobName(const Job& job);

  // Accepts a job as `muster submit` does (queue defaults, validation, id),
  // to be persisted at this turn's commit.
  Result<JobId> AcceptJob(JobSpec spec);

  // Retraining (models_api.cc, docs/retraining.md).
  void OnPutModel(const std::string& from, uint64_t rid, const wire::PutModel& m);
  void OnDeleteModel(const std::string& from, uint64_t rid, const wire::DeleteModel& m);
  void OnListModels(const std::string& from, uint64_t rid, const wire::ListModels& m);
  void OnTriggerModel(const std::string& from, uint64_t rid, const wire::TriggerModel& m);
  // Submits a retrain of `model`, which becomes its active job.
  Result<JobId> SubmitRetrain(Model& model, const std::string& reason, const std::vector<EnvVar>& metrics);
  // Retrains deferred by a cooldown that has ended.
  void SubmitDueRetrains(Time now);
  void OnRetrainEnded(const Job& job);
  void PersistModel(const Model& model) { dirty_models_.insert(model.spec.name); }
  void RecoverModels(std::vector<Model> models);

  // Rendezvous of a job attempt's ranks (rdzv_api.cc).
  void OnRdzvPut(const std::string& from, uint64_t rid, wire::RdzvPut& m);
  void OnRdzvGet(const std::string& from, uint64_t rid, const wire::RdzvGet& m);
  void OnRdzvBarrier(const std::string& from, uint64_t rid, const wire::RdzvBarrier& m);
  // The space of a running attempt, or null after replying why there is none.
  RdzvSpace* RdzvSpaceOf(const std::string& from, uint64_t rid, JobId job, int32_t attempt);
  uint64_t AddRdzvWaiter(RdzvSpace& space, RdzvWaiter w);
  void RemoveRdzvWaiter(RdzvSpace& space, uint64_t id);
  void ExpireRendezvous(int64_t now_mono);
  // Monotonic ms of the earliest held request's deadline; -1 when none.
  int64_t NextRendezvousDeadline() const;
  // The attempt ended: its keys go, its held requests get Error{kNotFound, why}.
  void DropRendezvous(JobId job, const std::string& why);

  // Agents (agent_api.cc).
  void OnRegister(const std::string& from, uint64_t rid, const wire::Register& m);
  void OnHeartbeat(const std::string& from, uint64_t rid, const wire::Heartbeat& m);
  void OnRankStarted(const std::string& from, const wire::RankStarted& m);
  void OnReserved(const std::string& from, const wire::Reserved& m);
  // A node refused the commit of a committed gang (its reservation expired).
  void OnCommitRefused(JobEntry& e, NodeEntry& n, const std::string& reason);
  void OnRankExited(const std::string& from, const wire::RankExit& e, bool ack);
  void CheckHeartbeats(int64_t now_mono);
  void MarkNodeDown(NodeEntry& node, const std::string& why);
  NodeEntry* NodeByIdentity(const std::string& identity);

  // Operators (ops_api.cc).
  void OnPutQueue(const std::string& from, uint64_t rid, const wire::PutQueue& m);
  void OnDeleteQueue(const std::string& from, uint64_t rid, const wire::DeleteQueue& m);
  void OnListQueues(const std::string& from, uint64_t rid);
  void OnNodeAction(const std::string& from, uint64_t rid, const wire::NodeAction& m);
  void OnJobAction(const std::string& from, uint64_t rid, const wire::JobAction& m);

  // The policy (scheduling.cc): snapshot -> core::Decide -> apply the plan.
  void Schedule();
  // The cluster as the core sees it, kept between cycles: only the nodes
  // marked with NodeChanged are rebuilt (a cycle over 10,000 nodes must not
  // copy every node). `running` is refilled by Schedule.
  core::ClusterSnapshot& RefreshClusterSnapshot();
  core::NodeView ViewOf(const NodeEntry& n) const;
  // Whatever the core's view of a node reads changed: its GPUs' owners or
  // health, its state, its connection, its labels.
  void NodeChanged(const std::string& name) {
    if (views_dirty_.size() > nodes_.size()) views_rebuild_ = true;  // cheaper to rebuild all
    else views_dirty_.push_back(name);
  }
  // Keeps NodeByIdentity O(1): the agent's current ZeroMQ identity -> node.
  void SetNodeIdentity(NodeEntry& n, const std::string& identity);
  core::DependencyState DependencyStateOf(const Job& job);
  const std::vector<TimeInterval>& OffpeakWindows(Time now);
  void AdvanceUsage(Time now);
  void LoadUsage(const std::string& text);
  std::string SaveUsage() const;

  // Job arrays (array_jobs.cc): tasks are created lazily, a few ahead of
  // what can run, so a 10,000-task array is one record until it runs.
  static bool IsArrayParent(const Job& job) { return !job.spec.array.empty() && job.array_job == kNoJob; }
  void ExpandArrays();
  static bool IsPlainPending(const Job& j);
  void IndexPending(const Job& j);  // a job (again) pending, or its order changed
  void OnArrayTaskFinished(const Job& task);
  void CancelArray(JobEntry& parent);
  // Task `index` of array job `array` (`muster show 42_7`) among the active
  // and recently finished jobs; else NotFound saying why it is not there.
  Result<Job> FindArrayTask(JobId array, int32_t index);
  std::string MissingTaskReason(JobId array, int32_t index);
  // Whether every finished job with an id above `id` is still in recent_.
  bool FinishedInMemoryAbove(JobId id) const;

  // Jobs (job_lifecycle.cc).
  void Launch(JobEntry& e, std::vector<NodeAllocation> placement);
  int32_t RanksPerNodeOf(const Job& job) const;
  int32_t WorldSizeOf(const Job& job) const;
  // Node index in the placement that runs `rank`, or -1.
  int32_t NodeIndexOfRank(const Job& job, int32_t rank) const;
  void Transition(JobEntry& e, JobState to, const std::string& cause);
  // Marks the job for writing at this turn's commit (once, however often it changed).
  void Persist(const Job& job) { dirty_.insert(job.id); }
  void TearDown(JobEntry& e, JobState ending, bool requeue, const std::string& why);
  void MarkRankExited(JobEntry& e, int32_t rank);
  void MaybeFinish(JobEntry& e);
  void ReleaseResources(const Job& job);
  void CheckTimeLimits();
  // The start barrier (job_lifecycle.cc): armed at launch, disarmed at
  // RUNNING or the attempt's end; a gang past it is torn down and requeued.
  void ArmStartDeadline(JobEntry& e);
  void DisarmStartDeadline(JobEntry& e);
  void CheckStartTimeouts(int64_t now_mono);
  // The two-phase gang start (job_lifecycle.cc, docs/protocol.md "Gang start").
  void CommitGang(JobEntry& e);
  // A gang still reserving is rolled back: AbortRanks to every node, no rank
  // of the attempt will ever start (they count as exited).
  void AbortReservation(JobEntry& e);
  void DisarmReserveDeadline(JobEntry& e);
  void CheckReserveTimeouts(int64_t now_mono);
  // GPU samples and health from a heartbeat (agent_api.cc); kept in memory.
  void ApplyGpuStats(NodeEntry& n, const std::vector<wire::GpuStat>& stats);
  void Finish(JobId id);  // moves a final job out of the active set
  void FailNeverRunnable(JobId id);

  ServerOptions options_;
  std::unique_ptr<store::StateStore> store_;
  const Clock& clock_;
  zmq::context_t ctx_{1};
  zmq::socket_t router_;
  std::string endpoint_;
  std::string advertised_;  // MUSTER_RDZV

  std::map<JobId, JobEntry> active_;            // every job not final
  std::map<JobId, Job> recent_;                 // newest finished, bounded
  std::map<std::string, NodeEntry> nodes_;
  std::unordered_map<std::string, std::string> node_of_identity_;
  core::ClusterSnapshot cluster_;                 // see RefreshClusterSnapshot
  std::unordered_map<std::string, size_t> view_index_;  // node -> cluster_.nodes index
  std::vector<std::string> views_dirty_;
  bool views_rebuild_ = true;                     // the set of nodes changed
  std::set<std::pair<Time, JobId>> time_limits_;  // (deadline, job) of placed jobs
  std::set<std::pair<int64_t, JobId>> start_deadlines_;  // (monotonic ms, job) of STARTING jobs
  std::set<std::pair<int64_t, JobId>> reserve_deadlines_;  // (monotonic ms, job) of reserving gangs
  std::map<uint64_t, PendingLogRead> log_reads_;
  std::unordered_map<JobId, RdzvSpace> rdzv_;             // placed jobs that used it
  std::unordered_map<uint64_t, RdzvWaiter> rdzv_waiters_;
  std::set<std::pair<int64_t, uint64_t>> rdzv_deadlines_;  // (deadline_mono, waiter id)
  uint64_t next_rdzv_waiter_ = 1;
  std::map<JobId, int32_t> array_active_;         // array job -> its tasks not yet final
  // Indexes over active_, so per-cycle work does not walk every pending job:
  std::set<JobId> placed_;         // jobs holding GPUs (placement not empty)
  std::set<JobId> array_parents_;  // array jobs that may still have tasks to create
  // Pending jobs for the cycles between full ones (scheduling.cc): plain
  // jobs (no window, dependency or hold) per (queue, team) in the core's
  // order (-priority, submit time, id), and all others. A hint, not the
  // truth: every entry is checked at use and dropped when stale; each full
  // cycle walks all of them. Built from active_ by the first full cycle.
  using PendingKey = std::tuple<int32_t, Time, JobId>;  // (-priority, submit time, id)
  std::map<std::pair<std::string, std::string>, std::set<PendingKey>> plain_pending_;
  // Per queue and team, the last job of the slice past the depth that the
  // previous full cycle looked at (scheduling.cc).
  std::map<std::pair<std::string, std::string>, PendingKey> deep_cursor_;
  std::set<JobId> other_pending_;
  bool pending_index_stale_ = true;
  static constexpr int64_t kFullCycleEveryUs = 1'000'000;
  bool full_cycle_owed_ = false;  // a cycle left plain jobs unseen: run a full one when due
  std::map<std::string, QueueSpec> queues_;
  std::map<std::string, Model> models_;
  std::shared_ptr<const timewin::OffPeakCalendar> calendar_;
  std::vector<TimeInterval> windows_;             // cached UTC windows
  Time windows_until_ = kNoTime;
  core::UsageLedger usage_;
  Time usage_saved_at_ = kNoTime;
  Time next_wakeup_ = kNoTime;                    // next window/reservation boundary
  JobId next_job_id_ = 1;
  uint64_t next_agent_request_ = 1;

  // The current turn's effects.
  store::WriteSet ws_;
  std::set<JobId> dirty_;
  std::set<std::string> dirty_models_;
  std::vector<Outgoing> outbox_;
  bool schedule_needed_ = true;
  uint64_t turn_messages_ = 0;  // drained this turn
  int64_t next_cycle_us_ = 0;       // steady clock: no scheduling cycle before this
  int64_t last_full_cycle_us_ = 0;  // steady clock of the last full cycle (scheduling.cc)

  ServerStats stats_;
};

}  // namespace muster::service
