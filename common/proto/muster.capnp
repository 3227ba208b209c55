# The one contract between Muster's processes (and the format of records in
# the store). Add fields only at the end of a struct, never renumber: old
# readers skip what they do not know.
@0xe57b32098c0ede74;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("muster::capnp_gen");

struct EnvVar { name @0 :Text; value @1 :Text; }

struct JobSpec {
  name @0 :Text;
  team @1 :Text;
  queue @2 :Text;
  user @3 :Text;
  argv @4 :List(Text);
  env @5 :List(EnvVar);
  workdir @6 :Text;
  nodes @7 :Int32;
  gpusPerNode @8 :Int32;
  totalGpus @9 :Int32;
  priority @10 :Int32;
  timeLimitUs @11 :Int64;
  after @12 :List(UInt64);
  maxRestarts @13 :Int32;
  preemptible @14 :Bool;
  window @15 :UInt8;
  deadlineUs @16 :Int64;
  kind @17 :UInt8;
  model @18 :Text;
  ranksPerNode @19 :UInt8;
  graceSeconds @20 :Int32;
  topology @21 :UInt8;
  windowMayOverrun @22 :Bool;
  hold @23 :Bool;
  array @24 :Text;
  windowSet @25 :Bool;
}

struct NodeAllocation { node @0 :Text; gpus @1 :List(Int32); }

struct Job {
  id @0 :UInt64;
  spec @1 :JobSpec;
  state @2 :UInt8;
  reason @3 :UInt8;
  reasonDetail @4 :Text;
  submitTimeUs @5 :Int64;
  startTimeUs @6 :Int64;
  endTimeUs @7 :Int64;
  exitCode @8 :Int32;
  restarts @9 :Int32;
  attempt @10 :Int32;
  placement @11 :List(NodeAllocation);
  masterPort @12 :Int32;
  hasEnding @13 :Bool;
  ending @14 :UInt8;
  requeueOnEnd @15 :Bool;
  held @16 :Bool;
  arrayJob @17 :UInt64;
  arrayTask @18 :Int32;
  arrayPending @19 :Text;
  gangPhase @20 :UInt8;        # 0 none, 1 reserving, 2 committed
  submitToken @21 :Text;
}

struct QueueSpec {
  name @0 :Text;
  weight @1 :Float64;
  guaranteedGpus @2 :Int32;
  maxGpus @3 :Int32;
  tier @4 :Int32;
  defaultTimeLimitUs @5 :Int64;
  defaultWindow @6 :UInt8;
  paused @7 :Bool;
}

struct Label { key @0 :Text; value @1 :Text; }

struct Gpu {
  index @0 :Int32;
  uuid @1 :Text;
  model @2 :Text;
  memoryBytes @3 :UInt64;
  nvlinkPeers @4 :List(Int32);        # indices of GPUs reached over NVLink
  healthy @5 :Bool = true;            # false: out of service (healthReason says why)
  healthReason @6 :Text;
  utilizationPercent @7 :Int32;       # latest sample
  memoryUsedBytes @8 :UInt64;
}

# One GPU's latest sample, sent with every heartbeat (docs/gpu.md).
struct GpuStat {
  index @0 :Int32;
  utilizationPercent @1 :Int32;
  memoryUsedBytes @2 :UInt64;
  healthy @3 :Bool = true;
  healthReason @4 :Text;
}

struct Node {
  name @0 :Text;
  address @1 :Text;
  gpus @2 :List(Gpu);
  labels @3 :List(Label);
  state @4 :UInt8;
  lastHeartbeatUs @5 :Int64;
  drain @6 :Bool;
}

struct JobEvent {
  job @0 :UInt64;
  timeUs @1 :Int64;
  from @2 :UInt8;
  to @3 :UInt8;
  cause @4 :Text;
}

# A retraining template and the model's retraining state (docs/retraining.md).
struct ModelSpec {
  name @0 :Text;
  job @1 :JobSpec;
  deadlineUs @2 :Int64;
  cooldownUs @3 :Int64;
  checkpointDir @4 :Text;
}
struct Model {
  spec @0 :ModelSpec;
  createdUs @1 :Int64;
  activeJob @2 :UInt64;
  lastJob @3 :UInt64;
  lastState @4 :UInt8;
  lastEndUs @5 :Int64;
  lastSuccessJob @6 :UInt64;
  warmStart @7 :Text;
  triggers @8 :UInt64;
  due @9 :Bool;
  dueReason @10 :Text;
  dueMetrics @11 :List(EnvVar);
}
struct TriggerRecord {
  model @0 :Text;
  seq @1 :UInt64;
  timeUs @2 :Int64;
  source @3 :Text;
  reason @4 :Text;
  metrics @5 :List(EnvVar);
  outcome @6 :UInt8;           # 0 submitted, 1 coalesced, 2 deferred
  job @7 :UInt64;
}

struct Error { code @0 :UInt16; message @1 :Text; }
struct Ok {}
struct SubmitJob { spec @0 :JobSpec; token @1 :Text; }
struct SubmitReply { id @0 :UInt64; }
struct ListJobs {
  ids @0 :List(UInt64); states @1 :List(UInt8); team @2 :Text; queue @3 :Text;
  # Only the tasks of array job `arrayJob` (0: any job); of them, with
  # hasArrayTask, only task `arrayTask`. An older client sends neither: no filter.
  arrayJob @4 :UInt64; hasArrayTask @5 :Bool; arrayTask @6 :Int32;
}
struct JobList { jobs @0 :List(Job); }
struct CancelJob { id @0 :UInt64; }
# Paged by name: nodes after `after`, at most `limit` (0: musterd's page size).
struct ListNodes { after @0 :Text; limit @1 :UInt32; }
struct NodeStatus { node @0 :Node; gpusFree @1 :Int32; jobs @2 :List(UInt64); problem @3 :Text; }
struct NodeList { nodes @0 :List(NodeStatus); more @1 :Bool; }   # more: ask again after the last
struct ReadLog { job @0 :UInt64; rank @1 :Int32; offset @2 :UInt64; maxBytes @3 :UInt32; }
struct LogChunk { data @0 :Data; nextOffset @1 :UInt64; eof @2 :Bool; jobFinished @3 :Bool; }

struct RankRef { job @0 :UInt64; attempt @1 :Int32; rank @2 :Int32; }
struct RankExit {
  ref @0 :RankRef;
  exitCode @1 :Int32;
  signal @2 :Int32;
  failedToStart @3 :Bool;
  message @4 :Text;
}
# One attempt of a gang on a node (the two-phase start, docs/protocol.md).
struct GangRef { job @0 :UInt64; attempt @1 :Int32; }
struct Register {
  node @0 :Node;
  running @1 :List(RankRef);
  exited @2 :List(RankExit);
  reserved @3 :List(GangRef);   # reservations held, not yet committed
}
struct RegisterReply { heartbeatIntervalMs @0 :Int32; kill @1 :List(RankRef); }
struct Heartbeat { node @0 :Text; gpus @1 :List(GpuStat); }
struct RankLaunch { rank @0 :Int32; localRank @1 :Int32; gpus @2 :List(Int32); }
struct LaunchRanks {
  job @0 :UInt64;
  attempt @1 :Int32;
  argv @2 :List(Text);
  workdir @3 :Text;
  env @4 :List(EnvVar);
  ranks @5 :List(RankLaunch);
  nodeRank @6 :Int32;
  localWorldSize @7 :Int32;
  user @8 :Text;
  allowRoot @9 :Bool;
}
struct RankStarted { ref @0 :RankRef; pid @1 :Int32; }
struct RankExited { exit @0 :RankExit; }
struct AckExit { ref @0 :RankRef; }
struct Reserved { job @0 :UInt64; attempt @1 :Int32; ok @2 :Bool; reason @3 :Text; }
struct KillJob { job @0 :UInt64; attempt @1 :Int32; graceMs @2 :Int32; }

struct PutQueue { spec @0 :QueueSpec; create @1 :Bool; fields @2 :UInt32; }
struct DeleteQueue { name @0 :Text; }
struct ListQueues {}
struct QueueInfo {
  spec @0 :QueueSpec;
  gpusUsed @1 :Int32;
  pending @2 :Int32;
  running @3 :Int32;
  usageGpuHours @4 :Float64;
}
struct TeamInfo { queue @0 :Text; team @1 :Text; gpusUsed @2 :Int32; usageGpuHours @3 :Float64; }
struct QueueList { queues @0 :List(QueueInfo); teams @1 :List(TeamInfo); halfLifeHours @2 :Float64; }
struct NodeAction { node @0 :Text; op @1 :UInt8; }
struct JobAction { id @0 :UInt64; op @1 :UInt8; priority @2 :Int32; }

# Rendezvous of one job attempt's ranks (docs/rendezvous.md). Not persisted.
struct RdzvPut { job @0 :UInt64; attempt @1 :Int32; key @2 :Text; value @3 :Data; }
struct RdzvGet { job @0 :UInt64; attempt @1 :Int32; key @2 :Text; waitMs @3 :Int32; }
struct RdzvValue { found @0 :Bool; value @1 :Data; }
struct RdzvBarrier {
  job @0 :UInt64;
  attempt @1 :Int32;
  name @2 :Text;
  rank @3 :Int32;
  worldSize @4 :Int32;
  waitMs @5 :Int32;
}

# Retraining (client -> musterd).
struct PutModel { spec @0 :ModelSpec; create @1 :Bool; }
struct DeleteModel { name @0 :Text; }
struct ListModels { name @0 :Text; triggerLimit @1 :UInt32; }
struct ModelInfo { model @0 :Model; recentTriggers @1 :List(TriggerRecord); cooldownEndUs @2 :Int64; }
struct ModelList { models @0 :List(ModelInfo); }
struct TriggerModel {
  model @0 :Text;
  reason @1 :Text;
  metrics @2 :List(EnvVar);
  source @3 :Text;
  team @4 :Text;               # non-empty: only a model of this team may be triggered
}
# A job's events, oldest first (`muster history`).
struct ListEvents { job @0 :UInt64; }
struct EventList { events @0 :List(JobEvent); }
struct TriggerReply { outcome @0 :UInt8; job @1 :UInt64; seq @2 :UInt64; cooldownEndUs @3 :Int64; }

struct Envelope {
  version @0 :UInt16;
  requestId @1 :UInt64;
  body :union {
    error @2 :Error;
    ok @3 :Ok;
    submitJob @4 :SubmitJob;
    submitReply @5 :SubmitReply;
    listJobs @6 :ListJobs;
    jobList @7 :JobList;
    cancelJob @8 :CancelJob;
    listNodes @9 :ListNodes;
    nodeList @10 :NodeList;
    readLog @11 :ReadLog;
    logChunk @12 :LogChunk;
    register @13 :Register;
    registerReply @14 :RegisterReply;
    heartbeat @15 :Heartbeat;
    launchRanks @16 :LaunchRanks;
    rankStarted @17 :RankStarted;
    rankExited @18 :RankExited;
    ackExit @19 :AckExit;
    killJob @20 :KillJob;
    putQueue @21 :PutQueue;
    deleteQueue @22 :DeleteQueue;
    listQueues @23 :ListQueues;
    queueList @24 :QueueList;
    nodeAction @25 :NodeAction;
    jobAction @26 :JobAction;
    rdzvPut @27 :RdzvPut;
    rdzvGet @28 :RdzvGet;
    rdzvValue @29 :RdzvValue;
    rdzvBarrier @30 :RdzvBarrier;
    reserveRanks @31 :LaunchRanks;   # phase 1: reserve, start nothing
    reserved @32 :Reserved;
    commitRanks @33 :GangRef;        # phase 2: start the reserved ranks
    abortRanks @34 :GangRef;         # drop the reservation
    putModel @35 :PutModel;
    deleteModel @36 :DeleteModel;
    listModels @37 :ListModels;
    modelList @38 :ModelList;
    triggerModel @39 :TriggerModel;
    triggerReply @40 :TriggerReply;
    listEvents @41 :ListEvents;
    eventList @42 :EventList;
  }
}
