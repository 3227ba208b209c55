// The domain types every module shares. Plain structs, std only: no Cap'n
// Proto or RocksDB types ever appear here (docs/architecture.md principles 8, 12).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "muster/time.h"

namespace muster {

using JobId = uint64_t;
constexpr JobId kNoJob = 0;  // ids start at 1

enum class JobState : uint8_t {
  kPending = 0,
  kStarting,  // placed, ranks dispatched
  kRunning,   // every rank reported started
  kCompleted,
  kFailed,
  kCancelled,
  kTimeout,
  kPreempted,  // transitional: recorded as an event, the job requeues to PENDING
  kNodeFail,   // transitional, likewise
};

const char* JobStateName(JobState s);                       // "PENDING", ...
std::optional<JobState> ParseJobState(std::string_view s);  // case-insensitive
bool IsFinal(JobState s);                                   // COMPLETED FAILED CANCELLED TIMEOUT

// Why a pending job is not running (docs/architecture.md "Semantics users rely on").
enum class PendingReason : uint8_t {
  kNone = 0,
  kPriority,   // others go first
  kResources,  // not enough free GPUs in a shape that fits
  kQuota,
  kOffPeakWindow,
  kDependency,
  kDependencyNeverSatisfied,
  kQueuePaused,
  kHeld,
  kReserved,
  kNodeFail,  // requeued after a node was lost
  kPreempted,
};
const char* PendingReasonName(PendingReason r);

enum class Window : uint8_t { kAnytime = 0, kOffpeak, kOffpeakPreferred };
const char* WindowName(Window w);
std::optional<Window> ParseWindow(std::string_view s);

enum class JobKind : uint8_t { kTrain = 0, kRetrain };

enum class RanksPerNode : uint8_t { kPerGpu = 0, kOne };

// Where a gang's nodes must sit (a hard constraint; without it the
// scheduler still prefers the tightest fit).
enum class TopologyConstraint : uint8_t { kAny = 0, kSameRack, kSameSwitch, kSameNode };
const char* TopologyName(TopologyConstraint t);
std::optional<TopologyConstraint> ParseTopology(std::string_view s);

struct EnvVar {
  std::string name;
  std::string value;
  bool operator==(const EnvVar&) const = default;
};

// What a user asked for. Validated once at submit (ValidateJobSpec).
struct JobSpec {
  std::string name;
  std::string team;
  std::string queue;
  std::string user;
  std::vector<std::string> argv;
  std::vector<EnvVar> env;
  std::string workdir;  // empty: the agent's work dir for the job
  // Shape: nodes x gpus_per_node, or total_gpus with nodes == 0 and the
  // scheduler picks the shape with the fewest nodes.
  int32_t nodes = 0;
  int32_t gpus_per_node = 0;
  int32_t total_gpus = 0;
  int32_t priority = 0;
  Duration time_limit = 0;   // 0: none
  std::vector<JobId> after;  // afterok
  int32_t max_restarts = 3;
  bool preemptible = false;
  Window window = Window::kAnytime;
  Time deadline = kNoTime;
  JobKind kind = JobKind::kTrain;
  std::string model;
  RanksPerNode ranks_per_node = RanksPerNode::kPerGpu;
  int32_t grace_seconds = 30;
  TopologyConstraint topology = TopologyConstraint::kAny;
  bool window_may_overrun = false;
  bool hold = false;        // submit held (`muster release` lets it run)
  std::string array;        // "0-99%8": tasks 0..99, at most 8 at once; empty: not an array
  bool window_set = false;  // false: the queue's default window applies at submit

  bool operator==(const JobSpec&) const = default;
};

// GPUs of one node given to one job.
struct NodeAllocation {
  std::string node;
  std::vector<int32_t> gpus;  // GPU indices on that node
  bool operator==(const NodeAllocation&) const = default;
};

enum class GangPhase : uint8_t {
  kNone = 0,       // not placed, or placed before two-phase starts existed
  kReserving = 1,  // ReserveRanks sent; no node starts anything yet
  kCommitted = 2,  // every node reserved; CommitRanks sent (or due)
};

struct Job {
  JobId id = kNoJob;
  JobSpec spec;
  JobState state = JobState::kPending;
  PendingReason reason = PendingReason::kNone;
  std::string reason_detail;  // human text, e.g. "needs 16 GPUs, 8 free"
  Time submit_time = kNoTime;
  Time start_time = kNoTime;  // of the current/last attempt
  Time end_time = kNoTime;
  int32_t exit_code = 0;  // of the first failing rank, else 0
  int32_t restarts = 0;
  int32_t attempt = 0;  // bumped at each placement; ranks carry it
  std::vector<NodeAllocation> placement;
  int32_t master_port = 0;
  // Set while a running gang is being torn down: the state it ends in.
  std::optional<JobState> ending;
  bool requeue_on_end = false;  // teardown requeues instead of ending
  bool held = false;
  // Job arrays: tasks are jobs of their own that name their array job; the
  // array job itself keeps the task indices not yet started.
  JobId array_job = kNoJob;
  int32_t array_task = -1;
  std::string array_pending;  // on the array job: "8-99" (ranges not started)
  // The gang's two-phase start (docs/protocol.md "Gang start"): persisted so
  // a restarted musterd rolls a reservation back or finishes a commit.
  GangPhase gang_phase = GangPhase::kNone;
  // The request token of the submit that made it (idempotent submit: a
  // repeat of the token answers this job); empty when none was sent.
  std::string submit_token;

  int32_t NodeCount() const { return static_cast<int32_t>(placement.size()); }
  bool operator==(const Job&) const = default;
};

// Total shape helpers: a spec asks for GPUs in one of two forms.
int32_t TotalGpus(const JobSpec& spec);

struct GpuInfo {
  int32_t index = 0;
  std::string uuid;
  std::string model;
  uint64_t memory_bytes = 0;
  std::vector<int32_t> nvlink_peers{};  // indices of GPUs this one reaches over NVLink
  // Health and the latest sample (docs/gpu.md): an unhealthy GPU is never placed.
  bool healthy = true;
  std::string health_reason{};
  int32_t utilization_percent = 0;
  uint64_t memory_used_bytes = 0;
  bool operator==(const GpuInfo&) const = default;
};

enum class NodeState : uint8_t { kUp = 0, kDown, kDrain };
const char* NodeStateName(NodeState s);

struct Node {
  std::string name;
  std::string address;  // what ranks on other nodes use to reach this one
  std::vector<GpuInfo> gpus;
  std::map<std::string, std::string> labels;
  NodeState state = NodeState::kUp;
  Time last_heartbeat = kNoTime;
  bool drain = false;  // an operator drained it: stays DRAIN across DOWN and re-registration
  bool operator==(const Node&) const = default;
};

// An operator-managed queue (docs/policy.md).
struct QueueSpec {
  std::string name;
  double weight = 1.0;
  int32_t guaranteed_gpus = 0;
  int32_t max_gpus = -1;            // -1: no cap
  int32_t tier = 0;                 // priority tier: higher goes first and may preempt lower
  Duration default_time_limit = 0;  // 0: none
  Window default_window = Window::kAnytime;
  bool paused = false;
  bool operator==(const QueueSpec&) const = default;
};

// A registered retraining template (`muster model register`): what a
// trigger submits, and the model's retraining state (docs/retraining.md).
struct ModelSpec {
  std::string name;
  JobSpec job;                 // the template; kind/model are set at each trigger
  Duration deadline = 0;       // each retrain's deadline, from its trigger; 0: none
  Duration cooldown = 0;       // least time from a retrain's end to the next retrain
  std::string checkpoint_dir;  // runs checkpoint to <dir>/<job id>; empty: musterd's root
  bool operator==(const ModelSpec&) const = default;
};

struct Model {
  ModelSpec spec;
  Time created = kNoTime;
  JobId active_job = kNoJob;                 // the retrain pending or running, if any
  JobId last_job = kNoJob;                   // the newest retrain that ended
  JobState last_state = JobState::kPending;  // how it ended
  Time last_end = kNoTime;                   // when: the cooldown counts from here
  JobId last_success_job = kNoJob;
  std::string warm_start;  // checkpoint dir of the newest successful retrain
  uint64_t triggers = 0;   // triggers received (the next trigger's sequence number)
  // A trigger came during the cooldown: one retrain is due when it ends, for
  // the newest such trigger's reason.
  bool due = false;
  std::string due_reason;
  std::vector<EnvVar> due_metrics;
  bool operator==(const Model&) const = default;
};

// What became of a trigger.
enum class TriggerOutcome : uint8_t {
  kSubmitted = 0,  // a retrain was submitted for it
  kCoalesced,      // a retrain was already pending or running: recorded on it
  kDeferred,       // in the cooldown: a retrain is due when it ends
};
const char* TriggerOutcomeName(TriggerOutcome o);

// One trigger, kept in the model's history.
struct TriggerRecord {
  std::string model;
  uint64_t seq = 0;  // per model, from 0
  Time time = kNoTime;
  std::string source;  // who/what sent it: "cli:alice", "http:team-a", "alertmanager:team-a"
  std::string reason;
  std::vector<EnvVar> metrics;  // name=value figures (psi.age=0.31)
  TriggerOutcome outcome = TriggerOutcome::kSubmitted;
  JobId job = kNoJob;  // the retrain it submitted or was recorded on
  bool operator==(const TriggerRecord&) const = default;
};

// One transition of a job, kept for `muster history`.
struct JobEvent {
  JobId job = kNoJob;
  Time time = kNoTime;
  JobState from = JobState::kPending;
  JobState to = JobState::kPending;
  std::string cause;
  bool operator==(const JobEvent&) const = default;
};

// Limits of what one request may carry; enforced at the edges.
constexpr size_t kMaxArgv = 4096;
constexpr size_t kMaxEnv = 4096;
constexpr size_t kMaxStringBytes = 64 * 1024;
constexpr int32_t kMaxNodesPerJob = 4096;
constexpr int32_t kMaxGpusPerNode = 64;

}  // namespace muster
