// The only file that sees generated Cap'n Proto types (docs/architecture.md principle 8).
#include "common/proto/codec.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <algorithm>
#include <cstring>

#include "common/proto/muster.capnp.h"

namespace muster::wire {
namespace g = ::muster::capnp_gen;

namespace {

// ---- helpers ---------------------------------------------------------------

std::string Str(::capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }
std::string Str(::capnp::Data::Reader d) {
  return std::string(reinterpret_cast<const char*>(d.begin()), d.size());
}
::capnp::Data::Reader Bytes(const std::string& s) {
  return ::capnp::Data::Reader(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

// std::string -> Text with its full length: the implicit conversion goes
// through c_str() and would cut the text at an embedded NUL.
::capnp::Text::Reader T(const std::string& s) { return ::capnp::Text::Reader(s.data(), s.size()); }

template <typename Builder>
void SetTextList(Builder list_init, const std::vector<std::string>& v) {
  for (size_t i = 0; i < v.size(); ++i) list_init.set(i, T(v[i]));
}

void Fill(g::EnvVar::Builder b, const EnvVar& e) {
  b.setName(T(e.name));
  b.setValue(T(e.value));
}

void Fill(g::JobSpec::Builder b, const JobSpec& s) {
  b.setName(T(s.name));
  b.setTeam(T(s.team));
  b.setQueue(T(s.queue));
  b.setUser(T(s.user));
  SetTextList(b.initArgv(s.argv.size()), s.argv);
  auto env = b.initEnv(s.env.size());
  for (size_t i = 0; i < s.env.size(); ++i) Fill(env[i], s.env[i]);
  b.setWorkdir(T(s.workdir));
  b.setNodes(s.nodes);
  b.setGpusPerNode(s.gpus_per_node);
  b.setTotalGpus(s.total_gpus);
  b.setPriority(s.priority);
  b.setTimeLimitUs(s.time_limit);
  auto after = b.initAfter(s.after.size());
  for (size_t i = 0; i < s.after.size(); ++i) after.set(i, s.after[i]);
  b.setMaxRestarts(s.max_restarts);
  b.setPreemptible(s.preemptible);
  b.setWindow(static_cast<uint8_t>(s.window));
  b.setDeadlineUs(s.deadline);
  b.setKind(static_cast<uint8_t>(s.kind));
  b.setModel(T(s.model));
  b.setRanksPerNode(static_cast<uint8_t>(s.ranks_per_node));
  b.setGraceSeconds(s.grace_seconds);
  b.setTopology(static_cast<uint8_t>(s.topology));
  b.setWindowMayOverrun(s.window_may_overrun);
  b.setHold(s.hold);
  b.setArray(T(s.array));
  b.setWindowSet(s.window_set);
}

// Enums arrive as integers; an out-of-range value is malformed input. Each
// enum's bound comes from an exhaustive switch (Known below): -Wswitch, an
// error in CI, fails the build when an enumerator is added and not named
// there, and the static_asserts check that the values stay contiguous from
// 0, so no bound is ever written by hand.
#define MUSTER_KNOWN(E, ...)                \
  constexpr bool Known(E v) {               \
    switch (v) { __VA_ARGS__ return true; } \
    return false;                           \
  }
#define C(E, x) case E::x:
MUSTER_KNOWN(JobState, C(JobState, kPending) C(JobState, kStarting) C(JobState, kRunning)
                           C(JobState, kCompleted) C(JobState, kFailed) C(JobState, kCancelled)
                               C(JobState, kTimeout) C(JobState, kPreempted) C(JobState, kNodeFail))
MUSTER_KNOWN(PendingReason,
             C(PendingReason, kNone) C(PendingReason, kPriority) C(PendingReason, kResources)
                 C(PendingReason, kQuota) C(PendingReason, kOffPeakWindow) C(PendingReason, kDependency)
                     C(PendingReason, kDependencyNeverSatisfied) C(PendingReason, kQueuePaused)
                         C(PendingReason, kHeld) C(PendingReason, kReserved) C(PendingReason, kNodeFail)
                             C(PendingReason, kPreempted))
MUSTER_KNOWN(Window, C(Window, kAnytime) C(Window, kOffpeak) C(Window, kOffpeakPreferred))
MUSTER_KNOWN(JobKind, C(JobKind, kTrain) C(JobKind, kRetrain))
MUSTER_KNOWN(RanksPerNode, C(RanksPerNode, kPerGpu) C(RanksPerNode, kOne))
MUSTER_KNOWN(TopologyConstraint, C(TopologyConstraint, kAny) C(TopologyConstraint, kSameRack)
                                     C(TopologyConstraint, kSameSwitch) C(TopologyConstraint, kSameNode))
MUSTER_KNOWN(GangPhase, C(GangPhase, kNone) C(GangPhase, kReserving) C(GangPhase, kCommitted))
MUSTER_KNOWN(NodeState, C(NodeState, kUp) C(NodeState, kDown) C(NodeState, kDrain))
MUSTER_KNOWN(TriggerOutcome,
             C(TriggerOutcome, kSubmitted) C(TriggerOutcome, kCoalesced) C(TriggerOutcome, kDeferred))
MUSTER_KNOWN(NodeOp, C(NodeOp, kDrain) C(NodeOp, kResume))
MUSTER_KNOWN(JobOp, C(JobOp, kHold) C(JobOp, kRelease) C(JobOp, kRequeue) C(JobOp, kSetPriority))
MUSTER_KNOWN(ErrorCode,
             C(ErrorCode, kUnknown) C(ErrorCode, kBadRequest) C(ErrorCode, kVersionMismatch)
                 C(ErrorCode, kNotFound) C(ErrorCode, kInvalidSpec) C(ErrorCode, kFailedPrecondition)
                     C(ErrorCode, kTooLarge) C(ErrorCode, kUnavailable) C(ErrorCode, kInternal)
                         C(ErrorCode, kNotRegistered) C(ErrorCode, kPermissionDenied))
#undef C
#undef MUSTER_KNOWN

// How many values E has: the known ones, counted from 0.
template <typename E>
constexpr int EnumCount() {
  int n = 0;
  while (n < 256 && Known(static_cast<E>(n))) ++n;
  return n;
}
// Contiguous from 0: nothing known past the count.
template <typename E>
constexpr bool Contiguous() {
  for (int v = EnumCount<E>(); v < 256; ++v)
    if (Known(static_cast<E>(v))) return false;
  return true;
}
static_assert(EnumCount<JobState>() == 9 && Contiguous<JobState>());
static_assert(EnumCount<PendingReason>() == 12 && Contiguous<PendingReason>());
static_assert(Contiguous<Window>() && Contiguous<JobKind>() && Contiguous<RanksPerNode>());
static_assert(Contiguous<TopologyConstraint>() && Contiguous<GangPhase>() && Contiguous<NodeState>());
static_assert(Contiguous<TriggerOutcome>() && Contiguous<NodeOp>() && Contiguous<JobOp>() &&
              Contiguous<ErrorCode>());

template <typename E>
E CheckedEnum(uint8_t v, const char* what) {
  if (v >= EnumCount<E>()) KJ_FAIL_REQUIRE("enum out of range", what, v);
  return static_cast<E>(v);
}

JobSpec Read(g::JobSpec::Reader r) {
  JobSpec s;
  s.name = Str(r.getName());
  s.team = Str(r.getTeam());
  s.queue = Str(r.getQueue());
  s.user = Str(r.getUser());
  for (auto a : r.getArgv()) s.argv.push_back(Str(a));
  for (auto e : r.getEnv()) s.env.push_back({Str(e.getName()), Str(e.getValue())});
  s.workdir = Str(r.getWorkdir());
  s.nodes = r.getNodes();
  s.gpus_per_node = r.getGpusPerNode();
  s.total_gpus = r.getTotalGpus();
  s.priority = r.getPriority();
  s.time_limit = r.getTimeLimitUs();
  for (auto a : r.getAfter()) s.after.push_back(a);
  s.max_restarts = r.getMaxRestarts();
  s.preemptible = r.getPreemptible();
  s.window = CheckedEnum<Window>(r.getWindow(), "window");
  s.deadline = r.getDeadlineUs();
  s.kind = CheckedEnum<JobKind>(r.getKind(), "kind");
  s.model = Str(r.getModel());
  s.ranks_per_node = CheckedEnum<RanksPerNode>(r.getRanksPerNode(), "ranksPerNode");
  s.grace_seconds = r.getGraceSeconds();
  s.topology = CheckedEnum<TopologyConstraint>(r.getTopology(), "topology");
  s.window_may_overrun = r.getWindowMayOverrun();
  s.hold = r.getHold();
  s.array = Str(r.getArray());
  s.window_set = r.getWindowSet();
  return s;
}

void Fill(g::Job::Builder b, const Job& j) {
  b.setId(j.id);
  Fill(b.initSpec(), j.spec);
  b.setState(static_cast<uint8_t>(j.state));
  b.setReason(static_cast<uint8_t>(j.reason));
  b.setReasonDetail(T(j.reason_detail));
  b.setSubmitTimeUs(j.submit_time);
  b.setStartTimeUs(j.start_time);
  b.setEndTimeUs(j.end_time);
  b.setExitCode(j.exit_code);
  b.setRestarts(j.restarts);
  b.setAttempt(j.attempt);
  auto pl = b.initPlacement(j.placement.size());
  for (size_t i = 0; i < j.placement.size(); ++i) {
    pl[i].setNode(T(j.placement[i].node));
    auto gpus = pl[i].initGpus(j.placement[i].gpus.size());
    for (size_t k = 0; k < j.placement[i].gpus.size(); ++k) gpus.set(k, j.placement[i].gpus[k]);
  }
  b.setMasterPort(j.master_port);
  b.setHasEnding(j.ending.has_value());
  b.setEnding(static_cast<uint8_t>(j.ending.value_or(JobState::kPending)));
  b.setRequeueOnEnd(j.requeue_on_end);
  b.setHeld(j.held);
  b.setArrayJob(j.array_job);
  b.setArrayTask(j.array_task);
  b.setArrayPending(T(j.array_pending));
  b.setGangPhase(static_cast<uint8_t>(j.gang_phase));
  b.setSubmitToken(j.submit_token);
}

void Fill(g::QueueSpec::Builder b, const QueueSpec& q) {
  b.setName(T(q.name));
  b.setWeight(q.weight);
  b.setGuaranteedGpus(q.guaranteed_gpus);
  b.setMaxGpus(q.max_gpus);
  b.setTier(q.tier);
  b.setDefaultTimeLimitUs(q.default_time_limit);
  b.setDefaultWindow(static_cast<uint8_t>(q.default_window));
  b.setPaused(q.paused);
}

QueueSpec Read(g::QueueSpec::Reader r) {
  QueueSpec q;
  q.name = Str(r.getName());
  q.weight = r.getWeight();
  q.guaranteed_gpus = r.getGuaranteedGpus();
  q.max_gpus = r.getMaxGpus();
  q.tier = r.getTier();
  q.default_time_limit = r.getDefaultTimeLimitUs();
  q.default_window = CheckedEnum<Window>(r.getDefaultWindow(), "window");
  q.paused = r.getPaused();
  return q;
}

Job Read(g::Job::Reader r) {
  Job j;
  j.id = r.getId();
  j.spec = Read(r.getSpec());
  j.state = CheckedEnum<JobState>(r.getState(), "state");
  j.reason = CheckedEnum<PendingReason>(r.getReason(), "reason");
  j.reason_detail = Str(r.getReasonDetail());
  j.submit_time = r.getSubmitTimeUs();
  j.start_time = r.getStartTimeUs();
  j.end_time = r.getEndTimeUs();
  j.exit_code = r.getExitCode();
  j.restarts = r.getRestarts();
  j.attempt = r.getAttempt();
  for (auto p : r.getPlacement()) {
    NodeAllocation a;
    a.node = Str(p.getNode());
    for (auto g : p.getGpus()) a.gpus.push_back(g);
    j.placement.push_back(std::move(a));
  }
  j.master_port = r.getMasterPort();
  if (r.getHasEnding()) j.ending = CheckedEnum<JobState>(r.getEnding(), "ending");
  j.requeue_on_end = r.getRequeueOnEnd();
  j.held = r.getHeld();
  j.array_job = r.getArrayJob();
  j.array_task = r.getArrayTask();
  j.array_pending = Str(r.getArrayPending());
  j.gang_phase = CheckedEnum<GangPhase>(r.getGangPhase(), "gang phase");
  j.submit_token = Str(r.getSubmitToken());
  return j;
}

void Fill(g::Node::Builder b, const Node& n) {
  b.setName(T(n.name));
  b.setAddress(T(n.address));
  auto gpus = b.initGpus(n.gpus.size());
  for (size_t i = 0; i < n.gpus.size(); ++i) {
    gpus[i].setIndex(n.gpus[i].index);
    gpus[i].setUuid(T(n.gpus[i].uuid));
    gpus[i].setModel(T(n.gpus[i].model));
    gpus[i].setMemoryBytes(n.gpus[i].memory_bytes);
    auto peers = gpus[i].initNvlinkPeers(n.gpus[i].nvlink_peers.size());
    for (size_t k = 0; k < n.gpus[i].nvlink_peers.size(); ++k) peers.set(k, n.gpus[i].nvlink_peers[k]);
    gpus[i].setHealthy(n.gpus[i].healthy);
    gpus[i].setHealthReason(T(n.gpus[i].health_reason));
    gpus[i].setUtilizationPercent(n.gpus[i].utilization_percent);
    gpus[i].setMemoryUsedBytes(n.gpus[i].memory_used_bytes);
  }
  auto labels = b.initLabels(n.labels.size());
  size_t i = 0;
  for (const auto& [k, v] : n.labels) {
    labels[i].setKey(T(k));
    labels[i].setValue(T(v));
    ++i;
  }
  b.setState(static_cast<uint8_t>(n.state));
  b.setLastHeartbeatUs(n.last_heartbeat);
  b.setDrain(n.drain);
}

Node Read(g::Node::Reader r) {
  Node n;
  n.name = Str(r.getName());
  n.address = Str(r.getAddress());
  for (auto g : r.getGpus()) {
    GpuInfo gi;
    gi.index = g.getIndex();
    gi.uuid = Str(g.getUuid());
    gi.model = Str(g.getModel());
    gi.memory_bytes = g.getMemoryBytes();
    for (auto p : g.getNvlinkPeers()) gi.nvlink_peers.push_back(p);
    gi.healthy = g.getHealthy();
    gi.health_reason = Str(g.getHealthReason());
    gi.utilization_percent = g.getUtilizationPercent();
    gi.memory_used_bytes = g.getMemoryUsedBytes();
    n.gpus.push_back(std::move(gi));
  }
  for (auto l : r.getLabels()) n.labels[Str(l.getKey())] = Str(l.getValue());
  n.state = CheckedEnum<NodeState>(r.getState(), "node state");
  n.last_heartbeat = r.getLastHeartbeatUs();
  n.drain = r.getDrain();
  return n;
}

void Fill(g::RankRef::Builder b, const RankRef& r) {
  b.setJob(r.job);
  b.setAttempt(r.attempt);
  b.setRank(r.rank);
}
RankRef Read(g::RankRef::Reader r) { return {r.getJob(), r.getAttempt(), r.getRank()}; }

void Fill(g::RankExit::Builder b, const RankExit& e) {
  Fill(b.initRef(), e.ref);
  b.setExitCode(e.exit_code);
  b.setSignal(e.signal);
  b.setFailedToStart(e.failed_to_start);
  b.setMessage(T(e.message));
}
RankExit Read(g::RankExit::Reader r) {
  return {Read(r.getRef()), r.getExitCode(), r.getSignal(), r.getFailedToStart(), Str(r.getMessage())};
}

void Fill(g::LaunchRanks::Builder l, const LaunchRanks& m) {
  l.setJob(m.job);
  l.setAttempt(m.attempt);
  SetTextList(l.initArgv(m.argv.size()), m.argv);
  l.setWorkdir(T(m.workdir));
  auto env = l.initEnv(m.env.size());
  for (size_t i = 0; i < m.env.size(); ++i) Fill(env[i], m.env[i]);
  auto ranks = l.initRanks(m.ranks.size());
  for (size_t i = 0; i < m.ranks.size(); ++i) {
    ranks[i].setRank(m.ranks[i].rank);
    ranks[i].setLocalRank(m.ranks[i].local_rank);
    auto gpus = ranks[i].initGpus(m.ranks[i].gpus.size());
    for (size_t k = 0; k < m.ranks[i].gpus.size(); ++k) gpus.set(k, m.ranks[i].gpus[k]);
  }
  l.setNodeRank(m.node_rank);
  l.setLocalWorldSize(m.local_world_size);
  l.setUser(T(m.user));
  l.setAllowRoot(m.allow_root);
}

LaunchRanks Read(g::LaunchRanks::Reader l) {
  LaunchRanks m;
  m.job = l.getJob();
  m.attempt = l.getAttempt();
  for (auto a : l.getArgv()) m.argv.push_back(Str(a));
  m.workdir = Str(l.getWorkdir());
  for (auto e : l.getEnv()) m.env.push_back({Str(e.getName()), Str(e.getValue())});
  for (auto r : l.getRanks()) {
    RankLaunch rl;
    rl.rank = r.getRank();
    rl.local_rank = r.getLocalRank();
    for (auto g : r.getGpus()) rl.gpus.push_back(g);
    m.ranks.push_back(std::move(rl));
  }
  m.node_rank = l.getNodeRank();
  m.local_world_size = l.getLocalWorldSize();
  m.user = Str(l.getUser());
  m.allow_root = l.getAllowRoot();
  return m;
}

void Fill(g::GangRef::Builder b, const GangRef& r) {
  b.setJob(r.job);
  b.setAttempt(r.attempt);
}
GangRef Read(g::GangRef::Reader r) { return {r.getJob(), r.getAttempt()}; }

JobEvent ReadJobEvent(g::JobEvent::Reader r) {
  return JobEvent{r.getJob(), r.getTimeUs(), CheckedEnum<JobState>(r.getFrom(), "from"),
                  CheckedEnum<JobState>(r.getTo(), "to"), Str(r.getCause())};
}

void FillJobEvent(g::JobEvent::Builder b, const JobEvent& e) {
  b.setJob(e.job);
  b.setTimeUs(e.time);
  b.setFrom(static_cast<uint8_t>(e.from));
  b.setTo(static_cast<uint8_t>(e.to));
  b.setCause(T(e.cause));
}

// ---- retraining records ------------------------------------------------------

template <typename ListBuilder>
void FillEnvList(ListBuilder list, const std::vector<EnvVar>& v) {
  for (size_t i = 0; i < v.size(); ++i) Fill(list[i], v[i]);
}
template <typename ListReader>
std::vector<EnvVar> ReadEnvList(ListReader list) {
  std::vector<EnvVar> v;
  for (auto e : list) v.push_back({Str(e.getName()), Str(e.getValue())});
  return v;
}

void Fill(g::ModelSpec::Builder b, const ModelSpec& s) {
  b.setName(T(s.name));
  Fill(b.initJob(), s.job);
  b.setDeadlineUs(s.deadline);
  b.setCooldownUs(s.cooldown);
  b.setCheckpointDir(T(s.checkpoint_dir));
}
ModelSpec Read(g::ModelSpec::Reader r) {
  return {Str(r.getName()), Read(r.getJob()), r.getDeadlineUs(), r.getCooldownUs(),
          Str(r.getCheckpointDir())};
}

void Fill(g::Model::Builder b, const Model& m) {
  Fill(b.initSpec(), m.spec);
  b.setCreatedUs(m.created);
  b.setActiveJob(m.active_job);
  b.setLastJob(m.last_job);
  b.setLastState(static_cast<uint8_t>(m.last_state));
  b.setLastEndUs(m.last_end);
  b.setLastSuccessJob(m.last_success_job);
  b.setWarmStart(T(m.warm_start));
  b.setTriggers(m.triggers);
  b.setDue(m.due);
  b.setDueReason(T(m.due_reason));
  FillEnvList(b.initDueMetrics(m.due_metrics.size()), m.due_metrics);
}
Model Read(g::Model::Reader r) {
  Model m;
  m.spec = Read(r.getSpec());
  m.created = r.getCreatedUs();
  m.active_job = r.getActiveJob();
  m.last_job = r.getLastJob();
  m.last_state = CheckedEnum<JobState>(r.getLastState(), "state");
  m.last_end = r.getLastEndUs();
  m.last_success_job = r.getLastSuccessJob();
  m.warm_start = Str(r.getWarmStart());
  m.triggers = r.getTriggers();
  m.due = r.getDue();
  m.due_reason = Str(r.getDueReason());
  m.due_metrics = ReadEnvList(r.getDueMetrics());
  return m;
}

void Fill(g::TriggerRecord::Builder b, const TriggerRecord& t) {
  b.setModel(T(t.model));
  b.setSeq(t.seq);
  b.setTimeUs(t.time);
  b.setSource(T(t.source));
  b.setReason(T(t.reason));
  FillEnvList(b.initMetrics(t.metrics.size()), t.metrics);
  b.setOutcome(static_cast<uint8_t>(t.outcome));
  b.setJob(t.job);
}
TriggerRecord Read(g::TriggerRecord::Reader r) {
  TriggerRecord t;
  t.model = Str(r.getModel());
  t.seq = r.getSeq();
  t.time = r.getTimeUs();
  t.source = Str(r.getSource());
  t.reason = Str(r.getReason());
  t.metrics = ReadEnvList(r.getMetrics());
  t.outcome = CheckedEnum<TriggerOutcome>(r.getOutcome(), "trigger outcome");
  t.job = r.getJob();
  return t;
}

// ---- body dispatch ----------------------------------------------------------

struct BodyFiller {
  g::Envelope::Body::Builder b;
  void operator()(const Error& m) {
    auto e = b.initError();
    e.setCode(static_cast<uint16_t>(m.code));
    e.setMessage(T(m.message));
  }
  void operator()(const Ok&) { b.initOk(); }
  void operator()(const SubmitJob& m) {
    auto s = b.initSubmitJob();
    Fill(s.initSpec(), m.spec);
    s.setToken(m.token);
  }
  void operator()(const SubmitReply& m) { b.initSubmitReply().setId(m.id); }
  void operator()(const ListJobs& m) {
    auto l = b.initListJobs();
    auto ids = l.initIds(m.ids.size());
    for (size_t i = 0; i < m.ids.size(); ++i) ids.set(i, m.ids[i]);
    auto st = l.initStates(m.states.size());
    for (size_t i = 0; i < m.states.size(); ++i) st.set(i, static_cast<uint8_t>(m.states[i]));
    l.setTeam(T(m.team));
    l.setQueue(T(m.queue));
    l.setArrayJob(m.array_job);
    if (m.array_task >= 0) {
      l.setHasArrayTask(true);
      l.setArrayTask(m.array_task);
    }
  }
  void operator()(const JobList& m) {
    auto jobs = b.initJobList().initJobs(m.jobs.size());
    for (size_t i = 0; i < m.jobs.size(); ++i) Fill(jobs[i], m.jobs[i]);
  }
  void operator()(const CancelJob& m) { b.initCancelJob().setId(m.id); }
  void operator()(const ListNodes& m) {
    auto l = b.initListNodes();
    l.setAfter(T(m.after));
    l.setLimit(m.limit);
  }
  void operator()(const NodeList& m) {
    auto list = b.initNodeList();
    list.setMore(m.more);
    auto nodes = list.initNodes(m.nodes.size());
    for (size_t i = 0; i < m.nodes.size(); ++i) {
      Fill(nodes[i].initNode(), m.nodes[i].node);
      nodes[i].setGpusFree(m.nodes[i].gpus_free);
      auto jobs = nodes[i].initJobs(m.nodes[i].jobs.size());
      for (size_t k = 0; k < m.nodes[i].jobs.size(); ++k) jobs.set(k, m.nodes[i].jobs[k]);
      nodes[i].setProblem(T(m.nodes[i].problem));
    }
  }
  void operator()(const ReadLog& m) {
    auto r = b.initReadLog();
    r.setJob(m.job);
    r.setRank(m.rank);
    r.setOffset(m.offset);
    r.setMaxBytes(m.max_bytes);
  }
  void operator()(const LogChunk& m) {
    auto c = b.initLogChunk();
    c.setData(kj::arrayPtr(reinterpret_cast<const kj::byte*>(m.data.data()), m.data.size()));
    c.setNextOffset(m.next_offset);
    c.setEof(m.eof);
    c.setJobFinished(m.job_finished);
  }
  void operator()(const Register& m) {
    auto r = b.initRegister();
    Fill(r.initNode(), m.node);
    auto run = r.initRunning(m.running.size());
    for (size_t i = 0; i < m.running.size(); ++i) Fill(run[i], m.running[i]);
    auto ex = r.initExited(m.exited.size());
    for (size_t i = 0; i < m.exited.size(); ++i) Fill(ex[i], m.exited[i]);
    auto res = r.initReserved(m.reserved.size());
    for (size_t i = 0; i < m.reserved.size(); ++i) Fill(res[i], m.reserved[i]);
  }
  void operator()(const RegisterReply& m) {
    auto r = b.initRegisterReply();
    r.setHeartbeatIntervalMs(m.heartbeat_interval_ms);
    auto kill = r.initKill(m.kill.size());
    for (size_t i = 0; i < m.kill.size(); ++i) Fill(kill[i], m.kill[i]);
  }
  void operator()(const Heartbeat& m) {
    auto h = b.initHeartbeat();
    h.setNode(T(m.node));
    auto gpus = h.initGpus(m.gpus.size());
    for (size_t i = 0; i < m.gpus.size(); ++i) {
      gpus[i].setIndex(m.gpus[i].index);
      gpus[i].setUtilizationPercent(m.gpus[i].utilization_percent);
      gpus[i].setMemoryUsedBytes(m.gpus[i].memory_used_bytes);
      gpus[i].setHealthy(m.gpus[i].healthy);
      gpus[i].setHealthReason(T(m.gpus[i].health_reason));
    }
  }
  void operator()(const LaunchRanks& m) { Fill(b.initLaunchRanks(), m); }
  void operator()(const ReserveRanks& m) { Fill(b.initReserveRanks(), m.launch); }
  void operator()(const Reserved& m) {
    auto r = b.initReserved();
    r.setJob(m.job);
    r.setAttempt(m.attempt);
    r.setOk(m.ok);
    r.setReason(T(m.reason));
  }
  void operator()(const CommitRanks& m) { Fill(b.initCommitRanks(), m.gang); }
  void operator()(const AbortRanks& m) { Fill(b.initAbortRanks(), m.gang); }
  void operator()(const RankStarted& m) {
    auto r = b.initRankStarted();
    Fill(r.initRef(), m.ref);
    r.setPid(m.pid);
  }
  void operator()(const RankExited& m) { Fill(b.initRankExited().initExit(), m.exit); }
  void operator()(const AckExit& m) { Fill(b.initAckExit().initRef(), m.ref); }
  void operator()(const KillJob& m) {
    auto k = b.initKillJob();
    k.setJob(m.job);
    k.setAttempt(m.attempt);
    k.setGraceMs(m.grace_ms);
  }
  void operator()(const PutQueue& m) {
    auto p = b.initPutQueue();
    Fill(p.initSpec(), m.spec);
    p.setCreate(m.create);
    p.setFields(m.fields);
  }
  void operator()(const DeleteQueue& m) { b.initDeleteQueue().setName(T(m.name)); }
  void operator()(const ListQueues&) { b.initListQueues(); }
  void operator()(const QueueList& m) {
    auto l = b.initQueueList();
    auto qs = l.initQueues(m.queues.size());
    for (size_t i = 0; i < m.queues.size(); ++i) {
      Fill(qs[i].initSpec(), m.queues[i].spec);
      qs[i].setGpusUsed(m.queues[i].gpus_used);
      qs[i].setPending(m.queues[i].pending);
      qs[i].setRunning(m.queues[i].running);
      qs[i].setUsageGpuHours(m.queues[i].usage_gpu_hours);
    }
    auto ts = l.initTeams(m.teams.size());
    for (size_t i = 0; i < m.teams.size(); ++i) {
      ts[i].setQueue(T(m.teams[i].queue));
      ts[i].setTeam(T(m.teams[i].team));
      ts[i].setGpusUsed(m.teams[i].gpus_used);
      ts[i].setUsageGpuHours(m.teams[i].usage_gpu_hours);
    }
    l.setHalfLifeHours(m.half_life_hours);
  }
  void operator()(const NodeAction& m) {
    auto a = b.initNodeAction();
    a.setNode(T(m.node));
    a.setOp(static_cast<uint8_t>(m.op));
  }
  void operator()(const JobAction& m) {
    auto a = b.initJobAction();
    a.setId(m.id);
    a.setOp(static_cast<uint8_t>(m.op));
    a.setPriority(m.priority);
  }
  void operator()(const RdzvPut& m) {
    auto p = b.initRdzvPut();
    p.setJob(m.job);
    p.setAttempt(m.attempt);
    p.setKey(T(m.key));
    p.setValue(Bytes(m.value));
  }
  void operator()(const RdzvGet& m) {
    auto g = b.initRdzvGet();
    g.setJob(m.job);
    g.setAttempt(m.attempt);
    g.setKey(T(m.key));
    g.setWaitMs(m.wait_ms);
  }
  void operator()(const RdzvValue& m) {
    auto v = b.initRdzvValue();
    v.setFound(m.found);
    v.setValue(Bytes(m.value));
  }
  void operator()(const RdzvBarrier& m) {
    auto r = b.initRdzvBarrier();
    r.setJob(m.job);
    r.setAttempt(m.attempt);
    r.setName(T(m.name));
    r.setRank(m.rank);
    r.setWorldSize(m.world_size);
    r.setWaitMs(m.wait_ms);
  }
  void operator()(const PutModel& m) {
    auto p = b.initPutModel();
    Fill(p.initSpec(), m.spec);
    p.setCreate(m.create);
  }
  void operator()(const DeleteModel& m) { b.initDeleteModel().setName(T(m.name)); }
  void operator()(const ListModels& m) {
    auto l = b.initListModels();
    l.setName(T(m.name));
    l.setTriggerLimit(m.trigger_limit);
  }
  void operator()(const ModelList& m) {
    auto ms = b.initModelList().initModels(m.models.size());
    for (size_t i = 0; i < m.models.size(); ++i) {
      const ModelInfo& info = m.models[i];
      Fill(ms[i].initModel(), info.model);
      auto ts = ms[i].initRecentTriggers(info.recent_triggers.size());
      for (size_t k = 0; k < info.recent_triggers.size(); ++k) Fill(ts[k], info.recent_triggers[k]);
      ms[i].setCooldownEndUs(info.cooldown_end);
    }
  }
  void operator()(const TriggerModel& m) {
    auto t = b.initTriggerModel();
    t.setModel(T(m.model));
    t.setReason(T(m.reason));
    FillEnvList(t.initMetrics(m.metrics.size()), m.metrics);
    t.setSource(T(m.source));
    t.setTeam(T(m.team));
  }
  void operator()(const ListEvents& m) { b.initListEvents().setJob(m.job); }
  void operator()(const EventList& m) {
    auto evs = b.initEventList().initEvents(m.events.size());
    for (size_t i = 0; i < m.events.size(); ++i) FillJobEvent(evs[i], m.events[i]);
  }
  void operator()(const TriggerReply& m) {
    auto t = b.initTriggerReply();
    t.setOutcome(static_cast<uint8_t>(m.outcome));
    t.setJob(m.job);
    t.setSeq(m.seq);
    t.setCooldownEndUs(m.cooldown_end);
  }
};

Body ReadBody(g::Envelope::Body::Reader b) {
  switch (b.which()) {
    case g::Envelope::Body::ERROR: {
      auto e = b.getError();
      uint16_t code = e.getCode();
      if (code >= EnumCount<ErrorCode>()) code = 0;  // a newer peer's code: still an error
      return Error{static_cast<ErrorCode>(code), Str(e.getMessage())};
    }
    case g::Envelope::Body::OK:
      return Ok{};
    case g::Envelope::Body::SUBMIT_JOB:
      return SubmitJob{Read(b.getSubmitJob().getSpec()), Str(b.getSubmitJob().getToken())};
    case g::Envelope::Body::SUBMIT_REPLY:
      return SubmitReply{b.getSubmitReply().getId()};
    case g::Envelope::Body::LIST_JOBS: {
      auto l = b.getListJobs();
      ListJobs m;
      for (auto id : l.getIds()) m.ids.push_back(id);
      for (auto s : l.getStates()) m.states.push_back(CheckedEnum<JobState>(s, "state"));
      m.team = Str(l.getTeam());
      m.queue = Str(l.getQueue());
      m.array_job = l.getArrayJob();
      if (l.getHasArrayTask()) m.array_task = std::max(l.getArrayTask(), -1);
      return m;
    }
    case g::Envelope::Body::JOB_LIST: {
      JobList m;
      for (auto j : b.getJobList().getJobs()) m.jobs.push_back(Read(j));
      return m;
    }
    case g::Envelope::Body::CANCEL_JOB:
      return CancelJob{b.getCancelJob().getId()};
    case g::Envelope::Body::LIST_NODES: {
      auto l = b.getListNodes();
      return ListNodes{Str(l.getAfter()), l.getLimit()};
    }
    case g::Envelope::Body::NODE_LIST: {
      NodeList m;
      for (auto n : b.getNodeList().getNodes()) {
        NodeStatus s;
        s.node = Read(n.getNode());
        s.gpus_free = n.getGpusFree();
        for (auto j : n.getJobs()) s.jobs.push_back(j);
        s.problem = Str(n.getProblem());
        m.nodes.push_back(std::move(s));
      }
      m.more = b.getNodeList().getMore();
      return m;
    }
    case g::Envelope::Body::READ_LOG: {
      auto r = b.getReadLog();
      return ReadLog{r.getJob(), r.getRank(), r.getOffset(), r.getMaxBytes()};
    }
    case g::Envelope::Body::LOG_CHUNK: {
      auto c = b.getLogChunk();
      auto d = c.getData();
      return LogChunk{std::string(reinterpret_cast<const char*>(d.begin()), d.size()), c.getNextOffset(),
                      c.getEof(), c.getJobFinished()};
    }
    case g::Envelope::Body::REGISTER: {
      auto r = b.getRegister();
      Register m;
      m.node = Read(r.getNode());
      for (auto x : r.getRunning()) m.running.push_back(Read(x));
      for (auto x : r.getExited()) m.exited.push_back(Read(x));
      for (auto x : r.getReserved()) m.reserved.push_back(Read(x));
      return m;
    }
    case g::Envelope::Body::REGISTER_REPLY: {
      auto r = b.getRegisterReply();
      RegisterReply m;
      m.heartbeat_interval_ms = r.getHeartbeatIntervalMs();
      for (auto x : r.getKill()) m.kill.push_back(Read(x));
      return m;
    }
    case g::Envelope::Body::HEARTBEAT: {
      auto h = b.getHeartbeat();
      Heartbeat m;
      m.node = Str(h.getNode());
      for (auto g : h.getGpus())
        m.gpus.push_back({g.getIndex(), g.getUtilizationPercent(), g.getMemoryUsedBytes(), g.getHealthy(),
                          Str(g.getHealthReason())});
      return m;
    }
    case g::Envelope::Body::LAUNCH_RANKS:
      return Read(b.getLaunchRanks());
    case g::Envelope::Body::RESERVE_RANKS:
      return ReserveRanks{Read(b.getReserveRanks())};
    case g::Envelope::Body::RESERVED: {
      auto r = b.getReserved();
      return Reserved{r.getJob(), r.getAttempt(), r.getOk(), Str(r.getReason())};
    }
    case g::Envelope::Body::COMMIT_RANKS:
      return CommitRanks{Read(b.getCommitRanks())};
    case g::Envelope::Body::ABORT_RANKS:
      return AbortRanks{Read(b.getAbortRanks())};
    case g::Envelope::Body::RANK_STARTED: {
      auto r = b.getRankStarted();
      return RankStarted{Read(r.getRef()), r.getPid()};
    }
    case g::Envelope::Body::RANK_EXITED:
      return RankExited{Read(b.getRankExited().getExit())};
    case g::Envelope::Body::ACK_EXIT:
      return AckExit{Read(b.getAckExit().getRef())};
    case g::Envelope::Body::KILL_JOB: {
      auto k = b.getKillJob();
      return KillJob{k.getJob(), k.getAttempt(), k.getGraceMs()};
    }
    case g::Envelope::Body::PUT_QUEUE: {
      auto p = b.getPutQueue();
      return PutQueue{Read(p.getSpec()), p.getCreate(), p.getFields()};
    }
    case g::Envelope::Body::DELETE_QUEUE:
      return DeleteQueue{Str(b.getDeleteQueue().getName())};
    case g::Envelope::Body::LIST_QUEUES:
      return ListQueues{};
    case g::Envelope::Body::QUEUE_LIST: {
      auto l = b.getQueueList();
      QueueList m;
      for (auto q : l.getQueues())
        m.queues.push_back(
            {Read(q.getSpec()), q.getGpusUsed(), q.getPending(), q.getRunning(), q.getUsageGpuHours()});
      for (auto t : l.getTeams())
        m.teams.push_back({Str(t.getQueue()), Str(t.getTeam()), t.getGpusUsed(), t.getUsageGpuHours()});
      m.half_life_hours = l.getHalfLifeHours();
      return m;
    }
    case g::Envelope::Body::NODE_ACTION: {
      auto a = b.getNodeAction();
      return NodeAction{Str(a.getNode()), CheckedEnum<NodeOp>(a.getOp(), "node op")};
    }
    case g::Envelope::Body::JOB_ACTION: {
      auto a = b.getJobAction();
      return JobAction{a.getId(), CheckedEnum<JobOp>(a.getOp(), "job op"), a.getPriority()};
    }
    case g::Envelope::Body::RDZV_PUT: {
      auto p = b.getRdzvPut();
      return RdzvPut{p.getJob(), p.getAttempt(), Str(p.getKey()), Str(p.getValue())};
    }
    case g::Envelope::Body::RDZV_GET: {
      auto r = b.getRdzvGet();
      return RdzvGet{r.getJob(), r.getAttempt(), Str(r.getKey()), r.getWaitMs()};
    }
    case g::Envelope::Body::RDZV_VALUE: {
      auto v = b.getRdzvValue();
      return RdzvValue{v.getFound(), Str(v.getValue())};
    }
    case g::Envelope::Body::RDZV_BARRIER: {
      auto r = b.getRdzvBarrier();
      return RdzvBarrier{r.getJob(),  r.getAttempt(),   Str(r.getName()),
                         r.getRank(), r.getWorldSize(), r.getWaitMs()};
    }
    case g::Envelope::Body::PUT_MODEL: {
      auto p = b.getPutModel();
      return PutModel{Read(p.getSpec()), p.getCreate()};
    }
    case g::Envelope::Body::DELETE_MODEL:
      return DeleteModel{Str(b.getDeleteModel().getName())};
    case g::Envelope::Body::LIST_MODELS: {
      auto l = b.getListModels();
      return ListModels{Str(l.getName()), l.getTriggerLimit()};
    }
    case g::Envelope::Body::MODEL_LIST: {
      ModelList m;
      for (auto info : b.getModelList().getModels()) {
        ModelInfo out{Read(info.getModel()), {}, info.getCooldownEndUs()};
        for (auto t : info.getRecentTriggers()) out.recent_triggers.push_back(Read(t));
        m.models.push_back(std::move(out));
      }
      return m;
    }
    case g::Envelope::Body::TRIGGER_MODEL: {
      auto t = b.getTriggerModel();
      return TriggerModel{Str(t.getModel()), Str(t.getReason()), ReadEnvList(t.getMetrics()),
                          Str(t.getSource()), Str(t.getTeam())};
    }
    case g::Envelope::Body::LIST_EVENTS:
      return ListEvents{b.getListEvents().getJob()};
    case g::Envelope::Body::EVENT_LIST: {
      EventList m;
      for (auto e : b.getEventList().getEvents()) m.events.push_back(ReadJobEvent(e));
      return m;
    }
    case g::Envelope::Body::TRIGGER_REPLY: {
      auto t = b.getTriggerReply();
      return TriggerReply{CheckedEnum<TriggerOutcome>(t.getOutcome(), "trigger outcome"), t.getJob(),
                          t.getSeq(), t.getCooldownEndUs()};
    }
  }
  KJ_FAIL_REQUIRE("unknown message type");
}

std::string ToBytes(::capnp::MessageBuilder& mb) {
  auto words = ::capnp::messageToFlatArray(mb);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

::capnp::ReaderOptions Limits() {
  ::capnp::ReaderOptions o;
  o.traversalLimitInWords = kMaxFrameBytes / sizeof(::capnp::word) * 2;
  o.nestingLimit = 16;
  return o;
}

// Decodes `bytes` as a message whose root is T and hands its reader to `fn`.
// Every failure (truncated, misaligned, garbage, traversal limit, enum out of
// range) becomes a Corruption status: kj exceptions stop here.
template <typename T, typename Fn>
auto DecodeRoot(std::string_view bytes, const char* what, Fn&& fn)
    -> Result<decltype(fn(std::declval<typename T::Reader>()))> {
  if (bytes.size() > kMaxFrameBytes)
    return Status::ResourceExhausted(std::string(what) + " of " + std::to_string(bytes.size()) +
                                     " bytes is over the limit");
  if (bytes.empty() || bytes.size() % sizeof(::capnp::word) != 0)
    return Status::Corruption(std::string(what) + ": not a Cap'n Proto message (" +
                              std::to_string(bytes.size()) + " bytes)");
  // Copy into word-aligned storage: ZeroMQ and RocksDB give no alignment promise.
  kj::Array<::capnp::word> words = kj::heapArray<::capnp::word>(bytes.size() / sizeof(::capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  try {
    ::capnp::FlatArrayMessageReader reader(words.asPtr(), Limits());
    return fn(reader.getRoot<T>());
  } catch (const kj::Exception& e) {
    return Status::Corruption(std::string(what) + ": " + e.getDescription().cStr());
  }
}

}  // namespace

const char* BodyName(const Body& body) {
  static const char* kNames[] = {
      "Error",         "Ok",           "SubmitJob",    "SubmitReply", "ListJobs",    "JobList",
      "CancelJob",     "ListNodes",    "NodeList",     "ReadLog",     "LogChunk",    "Register",
      "RegisterReply", "Heartbeat",    "LaunchRanks",  "RankStarted", "RankExited",  "AckExit",
      "KillJob",       "PutQueue",     "DeleteQueue",  "ListQueues",  "QueueList",   "NodeAction",
      "JobAction",     "RdzvPut",      "RdzvGet",      "RdzvValue",   "RdzvBarrier", "ReserveRanks",
      "Reserved",      "CommitRanks",  "AbortRanks",   "PutModel",    "DeleteModel", "ListModels",
      "ModelList",     "TriggerModel", "TriggerReply", "ListEvents",  "EventList"};
  static_assert(std::size(kNames) == std::variant_size_v<Body>);
  return kNames[body.index()];
}

std::string Encode(const Envelope& env) {
  ::capnp::MallocMessageBuilder mb;
  auto root = mb.initRoot<g::Envelope>();
  root.setVersion(env.version);
  root.setRequestId(env.request_id);
  std::visit(BodyFiller{root.initBody()}, env.body);
  return ToBytes(mb);
}

Result<Envelope> Decode(std::string_view bytes) {
  auto r = DecodeRoot<g::Envelope>(bytes, "message", [](g::Envelope::Reader root) {
    Envelope env;
    env.version = root.getVersion();
    env.request_id = root.getRequestId();
    // Check the version before reading a body whose layout may differ.
    if (env.version == kProtocolVersion) env.body = ReadBody(root.getBody());
    return env;
  });
  if (r.ok() && r->version != kProtocolVersion)
    return Status(StatusCode::kVersionMismatch, "protocol version " + std::to_string(r->version) +
                                                    " (this side speaks " + std::to_string(kProtocolVersion) +
                                                    ")");
  return r;
}

std::string EncodeJob(const Job& job) {
  ::capnp::MallocMessageBuilder mb;
  Fill(mb.initRoot<g::Job>(), job);
  return ToBytes(mb);
}
Result<Job> DecodeJob(std::string_view bytes) {
  return DecodeRoot<g::Job>(bytes, "job record", [](g::Job::Reader r) { return Read(r); });
}
std::string EncodeQueue(const QueueSpec& q) {
  ::capnp::MallocMessageBuilder mb;
  Fill(mb.initRoot<g::QueueSpec>(), q);
  return ToBytes(mb);
}
Result<QueueSpec> DecodeQueue(std::string_view bytes) {
  return DecodeRoot<g::QueueSpec>(bytes, "queue record", [](g::QueueSpec::Reader r) { return Read(r); });
}
std::string EncodeNode(const Node& node) {
  ::capnp::MallocMessageBuilder mb;
  Fill(mb.initRoot<g::Node>(), node);
  return ToBytes(mb);
}
Result<Node> DecodeNode(std::string_view bytes) {
  return DecodeRoot<g::Node>(bytes, "node record", [](g::Node::Reader r) { return Read(r); });
}
std::string EncodeJobEvent(const JobEvent& ev) {
  ::capnp::MallocMessageBuilder mb;
  FillJobEvent(mb.initRoot<g::JobEvent>(), ev);
  return ToBytes(mb);
}
Result<JobEvent> DecodeJobEvent(std::string_view bytes) {
  return DecodeRoot<g::JobEvent>(bytes, "event record",
                                 [](g::JobEvent::Reader r) { return ReadJobEvent(r); });
}

std::string EncodeModel(const Model& model) {
  ::capnp::MallocMessageBuilder mb;
  Fill(mb.initRoot<g::Model>(), model);
  return ToBytes(mb);
}
Result<Model> DecodeModel(std::string_view bytes) {
  return DecodeRoot<g::Model>(bytes, "model record", [](g::Model::Reader r) { return Read(r); });
}
std::string EncodeTrigger(const TriggerRecord& t) {
  ::capnp::MallocMessageBuilder mb;
  Fill(mb.initRoot<g::TriggerRecord>(), t);
  return ToBytes(mb);
}
Result<TriggerRecord> DecodeTrigger(std::string_view bytes) {
  return DecodeRoot<g::TriggerRecord>(bytes, "trigger record",
                                      [](g::TriggerRecord::Reader r) { return Read(r); });
}

}  // namespace muster::wire
