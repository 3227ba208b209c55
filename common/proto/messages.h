// The wire messages as plain C++ values. The Cap'n Proto schema
// (muster.capnp) is the contract between processes; this header is what the
// rest of the code sees of it: codec.cc is the only file that touches
// generated Cap'n Proto types.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "muster/types.h"

namespace muster::wire {

constexpr uint16_t kProtocolVersion = 1;
constexpr size_t kMaxFrameBytes = 8 * 1024 * 1024;

enum class ErrorCode : uint16_t {
  kUnknown = 0,
  kBadRequest,  // malformed bytes, bad fields
  kVersionMismatch,
  kNotFound,
  kInvalidSpec,
  kFailedPrecondition,
  kTooLarge,
  kUnavailable,  // e.g. the node holding a log is down
  kInternal,
  kNotRegistered,     // agent: register again (musterd restarted)
  kPermissionDenied,  // not allowed for this caller (e.g. another team's model)
};

struct Error {
  ErrorCode code = ErrorCode::kUnknown;
  std::string message;
  bool operator==(const Error&) const = default;
};
struct Ok {
  bool operator==(const Ok&) const = default;
};

// ---- client -> musterd ----------------------------------------------------
// -> SubmitReply. `token`: the client's request token (at most
// kMaxSubmitTokenBytes, printable), so that a submit sent again after a
// broken connection or a musterd crash answers the job the first one made
// instead of making a second (docs/protocol.md "Idempotent submit").
constexpr size_t kMaxSubmitTokenBytes = 128;
struct SubmitJob {
  JobSpec spec;
  std::string token{};
  bool operator==(const SubmitJob&) const = default;
};
struct SubmitReply {
  JobId id = kNoJob;
  bool operator==(const SubmitReply&) const = default;
};
struct ListJobs {
  std::vector<JobId> ids;        // empty: all that match
  std::vector<JobState> states;  // empty: active + recently finished
  std::string team;
  std::string queue;
  // Only the tasks of this array job (kNoJob: any job), and of them only
  // task `array_task` (negative: every task). Asked by task, musterd answers
  // that one job or NotFound saying why (`muster show 42_7`).
  JobId array_job = kNoJob;
  int32_t array_task = -1;
  bool operator==(const ListJobs&) const = default;
};
struct JobList {
  std::vector<Job> jobs;
  bool operator==(const JobList&) const = default;
};
struct CancelJob {
  JobId id = kNoJob;
  bool operator==(const CancelJob&) const = default;
};
// Nodes by name, a page at a time: a 10,000-node cluster is larger than one
// frame. `after`: only names after it; `limit` 0: musterd's page size.
constexpr uint32_t kNodePage = 1000;
struct ListNodes {
  std::string after{};
  uint32_t limit = 0;
  bool operator==(const ListNodes&) const = default;
};
struct NodeStatus {
  Node node;
  int32_t gpus_free = 0;
  std::vector<JobId> jobs;  // jobs with ranks on it
  std::string problem{};    // why some of it is out of service ("GPU 3 unhealthy: ..."); empty: none
  bool operator==(const NodeStatus&) const = default;
};
struct NodeList {
  std::vector<NodeStatus> nodes;
  bool more = false;  // nodes after the last one here: ask again with after = its name
  bool operator==(const NodeList&) const = default;
};
// Also sent musterd -> agent, with musterd's own request id.
struct ReadLog {
  JobId job = kNoJob;
  int32_t rank = 0;
  uint64_t offset = 0;
  uint32_t max_bytes = 64 * 1024;
  bool operator==(const ReadLog&) const = default;
};
struct LogChunk {
  std::string data;
  uint64_t next_offset = 0;
  bool eof = false;           // no more bytes now
  bool job_finished = false;  // and none will come
  bool operator==(const LogChunk&) const = default;
};

// ---- agent <-> musterd ----------------------------------------------------
struct RankRef {
  JobId job = kNoJob;
  int32_t attempt = 0;
  int32_t rank = 0;
  bool operator==(const RankRef&) const = default;
};
struct RankExit {
  RankRef ref;
  int32_t exit_code = 0;  // valid when signal == 0
  int32_t signal = 0;
  bool failed_to_start = false;
  std::string message;
  bool operator==(const RankExit&) const = default;
};
// One attempt of a gang on one node (the two-phase gang start).
struct GangRef {
  JobId job = kNoJob;
  int32_t attempt = 0;
  bool operator==(const GangRef&) const = default;
};
struct Register {
  Node node;
  std::vector<RankRef> running;
  std::vector<RankExit> exited;     // not yet acknowledged by musterd
  std::vector<GangRef> reserved{};  // reservations held, not committed yet
  bool operator==(const Register&) const = default;
};
struct RegisterReply {
  int32_t heartbeat_interval_ms = 1000;
  std::vector<RankRef> kill;  // ranks musterd does not know: the agent kills them
  bool operator==(const RegisterReply&) const = default;
};
// One GPU's latest sample (the agent samples at most every 5 s).
struct GpuStat {
  int32_t index = 0;
  int32_t utilization_percent = 0;
  uint64_t memory_used_bytes = 0;
  bool healthy = true;
  std::string health_reason;
  bool operator==(const GpuStat&) const = default;
};
struct Heartbeat {
  std::string node;
  std::vector<GpuStat> gpus{};  // empty: no news (musterd keeps what it has)
  bool operator==(const Heartbeat&) const = default;
};
struct RankLaunch {
  int32_t rank = 0;
  int32_t local_rank = 0;
  std::vector<int32_t> gpus;
  bool operator==(const RankLaunch&) const = default;
};
struct LaunchRanks {
  JobId job = kNoJob;
  int32_t attempt = 0;
  std::vector<std::string> argv;
  std::string workdir;
  std::vector<EnvVar> env;  // job env plus the gang variables common to all ranks
  std::vector<RankLaunch> ranks;
  int32_t node_rank = 0;
  int32_t local_world_size = 0;
  // The job's user: a root agent runs the ranks as this account, and as
  // root (uid 0) only when musterd allows it (--allow-root-jobs).
  std::string user{};
  bool allow_root = false;
  bool operator==(const LaunchRanks&) const = default;
};
// Phase 1 of a gang start (musterd -> agent): the LaunchRanks of this node,
// to be validated and held, not started. The agent answers Reserved.
struct ReserveRanks {
  LaunchRanks launch;
  bool operator==(const ReserveRanks&) const = default;
};
struct Reserved {
  JobId job = kNoJob;
  int32_t attempt = 0;
  bool ok = false;
  std::string reason;  // why not, when !ok
  bool operator==(const Reserved&) const = default;
};
// Phase 2 (musterd -> agent): start the reserved ranks.
struct CommitRanks {
  GangRef gang;
  bool operator==(const CommitRanks&) const = default;
};
// musterd -> agent: drop the reservation (nothing was started).
struct AbortRanks {
  GangRef gang;
  bool operator==(const AbortRanks&) const = default;
};
struct RankStarted {
  RankRef ref;
  int32_t pid = 0;
  bool operator==(const RankStarted&) const = default;
};
struct RankExited {
  RankExit exit;
  bool operator==(const RankExited&) const = default;
};
struct AckExit {
  RankRef ref;
  bool operator==(const AckExit&) const = default;
};
struct KillJob {
  JobId job = kNoJob;
  int32_t attempt = 0;
  int32_t grace_ms = 30000;
  bool operator==(const KillJob&) const = default;
};

// ---- operators (client -> musterd) ----------------------------------------
// Create (create = true, fails if it exists) or update (fails if missing) a
// queue; an update changes only the fields named in `fields`.
enum QueueField : uint32_t {
  kQueueWeight = 1u << 0,
  kQueueGuaranteed = 1u << 1,
  kQueueMax = 1u << 2,
  kQueueTier = 1u << 3,
  kQueueDefaultTimeLimit = 1u << 4,
  kQueueDefaultWindow = 1u << 5,
  kQueuePaused = 1u << 6,
};
struct PutQueue {
  QueueSpec spec;
  bool create = false;
  uint32_t fields = 0;
  bool operator==(const PutQueue&) const = default;
};
struct DeleteQueue {
  std::string name;
  bool operator==(const DeleteQueue&) const = default;
};
struct ListQueues {
  bool operator==(const ListQueues&) const = default;
};
struct QueueInfo {
  QueueSpec spec;
  int32_t gpus_used = 0;
  int32_t pending = 0;
  int32_t running = 0;
  double usage_gpu_hours = 0;  // decayed
  bool operator==(const QueueInfo&) const = default;
};
struct TeamInfo {
  std::string queue;
  std::string team;
  int32_t gpus_used = 0;
  double usage_gpu_hours = 0;
  bool operator==(const TeamInfo&) const = default;
};
struct QueueList {
  std::vector<QueueInfo> queues;
  std::vector<TeamInfo> teams;
  double half_life_hours = 0;
  bool operator==(const QueueList&) const = default;
};
enum class NodeOp : uint8_t { kDrain = 0, kResume };
struct NodeAction {
  std::string node;
  NodeOp op = NodeOp::kDrain;
  bool operator==(const NodeAction&) const = default;
};
enum class JobOp : uint8_t { kHold = 0, kRelease, kRequeue, kSetPriority };
struct JobAction {
  JobId id = kNoJob;
  JobOp op = JobOp::kHold;
  int32_t priority = 0;
  bool operator==(const JobAction&) const = default;
};

// ---- rendezvous (a job's ranks -> musterd) --------------------------------
// A small key/value store and barriers per job attempt (docs/rendezvous.md).
// Held in musterd's memory only; it dies with the attempt.
constexpr size_t kRdzvMaxKeyBytes = 256;
constexpr size_t kRdzvMaxValueBytes = 1024 * 1024;
constexpr size_t kRdzvMaxKeys = 1024;  // per job attempt

// -> Ok. Setting a key again replaces its value.
struct RdzvPut {
  JobId job = kNoJob;
  int32_t attempt = 0;
  std::string key;
  std::string value;  // bytes
  bool operator==(const RdzvPut&) const = default;
};
// -> RdzvValue, held by musterd until the key is published or wait_ms passes
// (then found = false). wait_ms <= 0: answer at once.
struct RdzvGet {
  JobId job = kNoJob;
  int32_t attempt = 0;
  std::string key;
  int32_t wait_ms = 0;
  bool operator==(const RdzvGet&) const = default;
};
struct RdzvValue {
  bool found = false;
  std::string value;
  bool operator==(const RdzvValue&) const = default;
};
// -> Ok once world_size distinct ranks entered barrier `name`, or
// Error{kUnavailable, "barrier timed out..."} after wait_ms.
struct RdzvBarrier {
  JobId job = kNoJob;
  int32_t attempt = 0;
  std::string name;
  int32_t rank = 0;
  int32_t world_size = 1;
  int32_t wait_ms = 0;
  bool operator==(const RdzvBarrier&) const = default;
};

// ---- retraining (client -> musterd, docs/retraining.md) -------------------
// Register (create = true, fails if it exists) or replace (fails if missing)
// a model's template. Its retraining state is musterd's, never the client's.
struct PutModel {
  ModelSpec spec;
  bool create = false;
  bool operator==(const PutModel&) const = default;
};
struct DeleteModel {
  std::string name;
  bool operator==(const DeleteModel&) const = default;
};
// -> ModelList: one model (name) or all; with its newest triggers.
struct ListModels {
  std::string name;
  uint32_t trigger_limit = 0;
  bool operator==(const ListModels&) const = default;
};
struct ModelInfo {
  Model model;
  std::vector<TriggerRecord> recent_triggers;  // oldest first
  Time cooldown_end = kNoTime;
  bool operator==(const ModelInfo&) const = default;
};
struct ModelList {
  std::vector<ModelInfo> models;
  bool operator==(const ModelList&) const = default;
};
constexpr uint32_t kMaxTriggerHistory = 10000;  // per ListModels
constexpr size_t kMaxMetrics = 256;
// -> TriggerReply.
struct TriggerModel {
  std::string model;
  std::string reason;
  std::vector<EnvVar> metrics;
  std::string source;  // who sent it ("cli:alice", "http:vision")
  std::string team{};  // non-empty: refused unless the model is this team's (HTTP tokens)
  bool operator==(const TriggerModel&) const = default;
};
struct TriggerReply {
  TriggerOutcome outcome = TriggerOutcome::kSubmitted;
  JobId job = kNoJob;           // submitted or coalesced into
  uint64_t seq = 0;             // the trigger's number in the model's history
  Time cooldown_end = kNoTime;  // deferred: when the retrain is due
  bool operator==(const TriggerReply&) const = default;
};

// ---- history (client -> musterd) ------------------------------------------
// -> EventList: every transition of one job, oldest first (`muster history`).
struct ListEvents {
  JobId job = kNoJob;
  bool operator==(const ListEvents&) const = default;
};
struct EventList {
  std::vector<JobEvent> events;
  bool operator==(const EventList&) const = default;
};

using Body = std::variant<Error, Ok, SubmitJob, SubmitReply, ListJobs, JobList, CancelJob, ListNodes,
                          NodeList, ReadLog, LogChunk, Register, RegisterReply, Heartbeat, LaunchRanks,
                          RankStarted, RankExited, AckExit, KillJob, PutQueue, DeleteQueue, ListQueues,
                          QueueList, NodeAction, JobAction, RdzvPut, RdzvGet, RdzvValue, RdzvBarrier,
                          ReserveRanks, Reserved, CommitRanks, AbortRanks, PutModel, DeleteModel, ListModels,
                          ModelList, TriggerModel, TriggerReply, ListEvents, EventList>;

struct Envelope {
  uint16_t version = kProtocolVersion;
  uint64_t request_id = 0;
  Body body;
  bool operator==(const Envelope&) const = default;
};

const char* BodyName(const Body& body);

}  // namespace muster::wire
