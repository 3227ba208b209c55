#include "scheduler/service/gang_coordinator.h"

#include <algorithm>
#include <set>
#include <utility>

#include "common/base/check.h"
#include "common/base/log.h"
#include "common/base/strings.h"

namespace muster::service {
namespace {

// After a start-barrier teardown, how long past the job's grace period the
// ranks that never reported started may take to report their exit: the
// agent's SIGKILL escalation and its exit re-sends (every 2 s) fit in it.
constexpr int64_t kUnstartedExitMarginUs = 5'000'000;

int32_t NodeIndex(const Job& job, const std::string& node) {
  for (int32_t i = 0; i < job.NodeCount(); ++i)
    if (job.placement[i].node == node) return i;
  return -1;
}

RankOutcome OutcomeOf(const wire::RankExit& x) {
  RankOutcome o;
  o.failed = x.failed_to_start || x.signal != 0 || x.exit_code != 0;
  o.why = "rank " + std::to_string(x.ref.rank);
  if (x.failed_to_start)
    o.why += " failed to start: " + x.message;
  else if (x.signal)
    o.why += " was killed by signal " + std::to_string(x.signal);
  else
    o.why += " exited with code " + std::to_string(x.exit_code);
  o.exit_code = x.signal ? 128 + x.signal : (x.exit_code ? x.exit_code : 127);
  return o;
}

std::string Plural(const char* word, size_t n) { return std::string(word) + (n == 1 ? " " : "s "); }

}  // namespace

int32_t GangCoordinator::RanksPerNode(const Job& job) {
  if (job.spec.ranks_per_node == RanksPerNode::kOne) return 1;
  if (!job.placement.empty()) return static_cast<int32_t>(job.placement[0].gpus.size());
  return job.spec.nodes > 0 ? job.spec.gpus_per_node : job.spec.total_gpus;
}

int32_t GangCoordinator::WorldSize(const Job& job) {
  int32_t nodes = job.placement.empty() ? std::max(job.spec.nodes, 1) : job.NodeCount();
  return nodes * RanksPerNode(job);
}

void GangCoordinator::SendTo(const std::string& node, wire::Body body) {
  const NodeEntry* n = nodes_.Find(node);
  if (!n || n->identity.empty()) return;  // not connected; reconciliation at registration covers it
  fx_.Request(n->identity, std::move(body));
}

void GangCoordinator::ArmTimeLimit(const Job& job) {
  if (job.spec.time_limit <= 0) return;
  // The limit is wall time from the start; the timer runs on the monotonic clock.
  Duration left = job.start_time + job.spec.time_limit - clock_.Now();
  timers_.Arm(Timer::kTimeLimit, job.id, clock_.MonotonicNow() + std::max<Duration>(left, 0));
}

void GangCoordinator::Recover(JobEntry& e) {
  Job& j = e.job;
  if ((j.state != JobState::kStarting && j.state != JobState::kRunning) || j.placement.empty()) return;
  nodes_.RecoverPlacement(j);
  jobs_.SetPlaced(j.id, true);
  ArmTimeLimit(j);
  GangActions actions;
  e.gang = std::make_unique<GangAttempt>(GangAttempt::Recover(j.NodeCount(), RanksPerNode(j), j.state,
                                                              j.gang_phase, j.ending, j.requeue_on_end,
                                                              j.exit_code, &actions));
  Apply(e, actions);
}

void GangCoordinator::RollBackReservations() {
  std::vector<JobId> reserving;
  for (auto& [id, e] : jobs_.active())
    if (e.gang && e.gang->state() == GangState::kReserving) reserving.push_back(id);
  for (JobId id : reserving) {
    JobEntry* e = jobs_.Active(id);
    MLOG(Info) << "job " << id << " attempt " << e->job.attempt
               << ": rolling back its reservation (musterd restarted)";
    TearDown(*e, JobState::kNodeFail, /*requeue=*/true, "gang reservation interrupted by a musterd restart");
  }
}

wire::LaunchRanks GangCoordinator::LaunchMessage(const Job& j, int32_t k) const {
  const NodeEntry* head = nodes_.Find(j.placement[0].node);
  std::vector<EnvVar> env = j.spec.env;
  bool user_checkpoint_dir =
      std::any_of(env.begin(), env.end(), [](const EnvVar& v) { return v.name == "MUSTER_CHECKPOINT_DIR"; });
  const int32_t per_node = RanksPerNode(j);
  env.push_back({"WORLD_SIZE", std::to_string(WorldSize(j))});
  env.push_back({"NNODES", std::to_string(j.NodeCount())});
  env.push_back({"MASTER_ADDR", head ? head->node.address : "127.0.0.1"});
  env.push_back({"MASTER_PORT", std::to_string(j.master_port)});
  env.push_back({"MUSTER_JOB_ID", std::to_string(j.id)});
  env.push_back({"MUSTER_ATTEMPT", std::to_string(j.attempt)});
  env.push_back({"MUSTER_RDZV", options_.rdzv_endpoint});
  if (options_.access) {
    // The ranks' own key: it opens the rendezvous of this attempt and
    // nothing else (access.h), and is never stored.
    const transport::curve::KeyPair rank = options_.access->RankKeys(j.id, j.attempt);
    env.push_back({"MUSTER_RDZV_PUBLIC_KEY", transport::curve::Z85(rank.public_key)});
    env.push_back({"MUSTER_RDZV_SECRET_KEY", transport::curve::Z85(rank.secret_key)});
    env.push_back({"MUSTER_RDZV_SERVER_KEY", transport::curve::Z85(options_.access->server_public())});
  }
  if (!user_checkpoint_dir)
    env.push_back({"MUSTER_CHECKPOINT_DIR", options_.checkpoint_root + "/" + std::to_string(j.id)});

  const NodeAllocation& a = j.placement[k];
  wire::LaunchRanks m;
  m.job = j.id;
  m.attempt = j.attempt;
  m.argv = j.spec.argv;
  m.workdir = j.spec.workdir;
  m.env = std::move(env);
  m.node_rank = k;
  m.local_world_size = per_node;
  m.user = j.spec.user;
  m.allow_root = options_.allow_root_jobs;
  for (int32_t l = 0; l < per_node; ++l) {
    wire::RankLaunch r;
    r.rank = k * per_node + l;
    r.local_rank = l;
    if (j.spec.ranks_per_node == RanksPerNode::kOne)
      r.gpus = a.gpus;
    else
      r.gpus = {a.gpus[l]};
    m.ranks.push_back(std::move(r));
  }
  return m;
}

void GangCoordinator::Launch(JobEntry& e, std::vector<NodeAllocation> placement) {
  Job& j = e.job;
  if (options_.access) options_.access->ForgetRank(j.id, j.attempt);  // the last attempt's key
  j.attempt += 1;
  j.placement = std::move(placement);
  j.start_time = clock_.Now();
  j.end_time = kNoTime;
  j.reason = PendingReason::kNone;
  j.reason_detail.clear();
  j.ending.reset();
  j.requeue_on_end = false;
  j.exit_code = 0;
  jobs_.SetPlaced(j.id, true);
  nodes_.Take(j.id, j.placement);
  j.master_port = nodes_.AllocatePort(j.placement[0].node);
  ArmTimeLimit(j);
  GangActions actions;
  e.gang = std::make_unique<GangAttempt>(GangAttempt::Start(j.NodeCount(), RanksPerNode(j), &actions));
  std::vector<std::string> names;
  for (const auto& a : j.placement) names.push_back(a.node);
  jobs_.Transition(e, JobState::kStarting, "placed on " + Join(names, ","));
  Apply(e, actions);
}

void GangCoordinator::TearDown(JobEntry& e, JobState ending, bool requeue, const std::string& why) {
  if (!e.gang) {
    // A placed state with no attempt only comes from a record written by
    // another version: end it without waiting for ranks nobody tracks.
    MLOG(Warning) << "job " << e.job.id << " is " << JobStateName(e.job.state)
                  << " with no gang attempt; ending it";
    e.job.end_time = clock_.Now();
    jobs_.Transition(
        e, ending == JobState::kPreempted || ending == JobState::kNodeFail ? JobState::kFailed : ending, why);
    jobs_.Finish(e.job.id);
    return;
  }
  GangActions actions;
  e.gang->TearDown(ending, requeue, why, &actions);
  Apply(e, actions);
}

void GangCoordinator::Apply(JobEntry& e, const GangActions& actions) {
  Job& j = e.job;
  const GangAttempt& g = *e.gang;
  // The job record persists what a restarted musterd needs of the attempt.
  if (j.ending != g.ending() && g.ending())
    MLOG(Info) << "job " << j.id << " attempt " << j.attempt << ": tearing down the gang: " << g.failure();
  if (j.gang_phase != g.phase() || j.ending != g.ending() || j.requeue_on_end != g.requeue() ||
      j.exit_code != g.exit_code()) {
    j.gang_phase = g.phase();
    j.ending = g.ending();
    j.requeue_on_end = g.requeue();
    j.exit_code = g.exit_code();
    jobs_.Persist(j);
  }
  const int64_t now_us = clock_.MonotonicNow();
  bool ended = false;
  for (const GangAction& a : actions) {
    MUSTER_CHECK(!ended) << "job " << j.id << ": action " << GangActionName(a.kind)
                         << " after the attempt ended";
    const std::string* node = a.node >= 0 && a.node < j.NodeCount() ? &j.placement[a.node].node : nullptr;
    const wire::GangRef ref{j.id, j.attempt};
    switch (a.kind) {
      case GangAction::kReserve:
        if (node) SendTo(*node, wire::ReserveRanks{LaunchMessage(j, a.node)});
        break;
      case GangAction::kCommit:
        if (node) SendTo(*node, wire::CommitRanks{ref});
        break;
      case GangAction::kAbort:
        if (node) SendTo(*node, wire::AbortRanks{ref});
        break;
      case GangAction::kKill:
        if (node) SendTo(*node, wire::KillJob{j.id, j.attempt, j.spec.grace_seconds * 1000});
        break;
      case GangAction::kArmReserveTimer:
        timers_.Arm(Timer::kGangReserve, j.id, now_us + options_.reserve_timeout);
        break;
      case GangAction::kDisarmReserveTimer:
        timers_.Disarm(Timer::kGangReserve, j.id);
        break;
      case GangAction::kArmStartTimer:
        timers_.Arm(Timer::kStartBarrier, j.id, now_us + options_.start_timeout);
        break;
      case GangAction::kDisarmStartTimer:
        timers_.Disarm(Timer::kStartBarrier, j.id);
        break;
      case GangAction::kArmUnstartedTimer:
        timers_.Arm(Timer::kUnstartedExits, j.id,
                    now_us + int64_t{j.spec.grace_seconds} * kSecond + kUnstartedExitMarginUs);
        break;
      case GangAction::kRunning:
        jobs_.Transition(e, JobState::kRunning, "all " + std::to_string(g.world()) + " ranks started");
        break;
      case GangAction::kEnded:
        ended = true;
        break;
    }
  }
  if (ended) End(e);
}

void GangCoordinator::End(JobEntry& e) {
  Job& j = e.job;
  const GangEnd end = e.gang->end();
  e.gang.reset();
  timers_.Disarm(Timer::kUnstartedExits, j.id);
  timers_.Disarm(Timer::kTimeLimit, j.id);
  j.gang_phase = GangPhase::kNone;
  jobs_.SetPlaced(j.id, false);
  nodes_.Release(j.id, j.placement, j.master_port);
  rdzv_.Drop(j.id, "job attempt ended");
  JobState ending = end.state;
  std::string cause = end.cause;
  if (end.requeue) {
    jobs_.Transition(e, ending, cause);  // NODE_FAIL / PREEMPTED, kept in history
    if (j.restarts < j.spec.max_restarts) {
      j.restarts += 1;
      j.placement.clear();
      j.master_port = 0;
      j.start_time = kNoTime;
      j.ending.reset();
      j.requeue_on_end = false;
      j.reason = ending == JobState::kPreempted ? PendingReason::kPreempted : PendingReason::kNodeFail;
      j.reason_detail = cause;
      jobs_.Transition(e, JobState::kPending,
                       "requeued (restart " + std::to_string(j.restarts) + " of " +
                           std::to_string(j.spec.max_restarts) + ")");
      return;
    }
    ending = JobState::kFailed;
    cause += "; no restarts left";
  }
  j.end_time = clock_.Now();
  if (ending == JobState::kFailed && j.exit_code == 0) j.exit_code = 1;
  // Why it ended, where `muster show` shows it (the event keeps it too).
  j.reason = PendingReason::kNone;
  j.reason_detail = ending == JobState::kCompleted ? "" : cause;
  jobs_.Transition(e, ending, cause);
  jobs_.Finish(j.id);
}

void GangCoordinator::OnReserved(const std::string& from, const wire::Reserved& m) {
  NodeEntry* n = nodes_.ByIdentity(from);
  JobEntry* e = jobs_.Active(m.job);
  if (!e || !e->gang || e->job.attempt != m.attempt) {
    // An attempt that is over: whatever that node holds for it must go.
    if (m.ok) fx_.Send(from, 0, wire::AbortRanks{{m.job, m.attempt}});
    return;
  }
  GangAttempt& g = *e->gang;
  const int32_t idx = n ? NodeIndex(e->job, n->node.name) : -1;
  if (idx < 0) {
    // Not a node of this gang (or not a registered one): it holds nothing we want.
    if (m.ok && g.phase() != GangPhase::kCommitted) fx_.Send(from, 0, wire::AbortRanks{{m.job, m.attempt}});
    return;
  }
  GangActions actions;
  if (m.ok) {
    g.OnReserved(idx, &actions);  // a late duplicate is harmless
    if (g.state() == GangState::kCommitted && !actions.empty())
      MLOG(Info) << "job " << m.job << " attempt " << m.attempt << ": every node reserved; committing";
  } else if (g.state() == GangState::kReserving) {
    g.OnReserveRefused(idx, "node " + n->node.name + " refused the gang reservation: " + m.reason, &actions);
  } else {
    // The answer to a CommitRanks that found no reservation (it expired): that
    // node will not start its part.
    g.OnCommitRefused(idx, "node " + n->node.name + " could not start its ranks: " + m.reason, &actions);
  }
  Apply(*e, actions);
}

bool GangCoordinator::PlacedOn(const std::string& from, const Job& j, int32_t rank) const {
  const NodeEntry* n = nodes_.ByIdentity(from);
  const int32_t idx = n ? NodeIndex(j, n->node.name) : -1;
  if (idx >= 0 && rank / RanksPerNode(j) == idx) return true;
  MLOG(Warning) << "ignored a report about rank " << rank << " of job " << j.id << " from "
                << (n ? "node " + n->node.name : std::string("an unregistered peer"))
                << ": that rank is not placed there";
  return false;
}

void GangCoordinator::OnRankStarted(const std::string& from, const wire::RankStarted& m) {
  JobEntry* e = jobs_.Active(m.ref.job);
  if (!e || !e->gang || e->job.attempt != m.ref.attempt || m.ref.rank < 0 || m.ref.rank >= e->gang->world()) {
    // A rank of a job or attempt that is over: it must not keep GPUs busy.
    fx_.Send(from, 0, wire::KillJob{m.ref.job, m.ref.attempt, 0});
    return;
  }
  if (!PlacedOn(from, e->job, m.ref.rank)) return;
  GangActions actions;
  e->gang->OnRankStarted(m.ref.rank, &actions);
  Apply(*e, actions);
}

void GangCoordinator::OnRankExited(const std::string& from, const wire::RankExit& x) {
  fx_.Send(from, 0, wire::AckExit{x.ref});
  JobEntry* e = jobs_.Active(x.ref.job);
  if (!e || !e->gang || e->job.attempt != x.ref.attempt) return;  // an earlier attempt or a finished job
  if (!PlacedOn(from, e->job, x.ref.rank)) return;
  GangActions actions;
  e->gang->OnRankExited(x.ref.rank, OutcomeOf(x), &actions);
  Apply(*e, actions);
}

void GangCoordinator::NodeLost(const std::string& node, const std::string& why) {
  std::vector<JobId> touched;
  for (auto& [id, e] : jobs_.active())
    if (e.gang && NodeIndex(e.job, node) >= 0) touched.push_back(id);
  for (JobId id : touched) {
    JobEntry* e = jobs_.Active(id);
    if (!e || !e->gang) continue;
    GangActions actions;
    e->gang->OnNodeLost(NodeIndex(e->job, node), "node " + node + " is down (" + why + ")", &actions);
    Apply(*e, actions);
  }
}

void GangCoordinator::Reconcile(NodeEntry& n, const Caller& caller, const wire::Register& m,
                                wire::RegisterReply reply) {
  const std::string& name = n.node.name;
  const std::string from = n.identity;
  // Ranks the agent runs that we do not want are killed; ranks we expect
  // there that it neither runs nor reports as exited are lost.
  std::set<std::pair<JobId, int32_t>> accounted;
  for (const auto& r : m.running) {
    JobEntry* e = jobs_.Active(r.job);
    const GangAttempt* g = e && e->gang && e->job.attempt == r.attempt ? &*e->gang : nullptr;
    bool wanted =
        g && g->NodeOf(r.rank) >= 0 && e->job.placement[g->NodeOf(r.rank)].node == name && !g->exited(r.rank);
    if (!wanted) {
      reply.kill.push_back(r);
      continue;
    }
    accounted.insert({r.job, r.rank});
    if (!g->started(r.rank)) OnRankStarted(from, wire::RankStarted{r, 0});
  }
  for (const auto& x : m.exited) {
    accounted.insert({x.ref.job, x.ref.rank});
    OnRankExited(from, x);
  }
  // Reservations of two-phase gang starts (docs/protocol.md "Gang start").
  // Reserving in this process: still waited for. Committed: finish it, the
  // node starts the ranks now. Anything else is rolled back on the node.
  for (const auto& r : m.reserved) {
    JobEntry* e = jobs_.Active(r.job);
    bool here = e && e->gang && e->job.attempt == r.attempt && !e->job.ending && NodeIndex(e->job, name) >= 0;
    if (!here) {
      MLOG(Info) << "node " << name << ": aborting its reservation of job " << r.job << " attempt "
                 << r.attempt;
      fx_.Request(from, wire::AbortRanks{r});
      continue;
    }
    for (int32_t k = 0; k < e->gang->world(); ++k)
      if (e->job.placement[e->gang->NodeOf(k)].node == name) accounted.insert({r.job, k});
    if (e->gang->phase() == GangPhase::kCommitted) {
      MLOG(Info) << "node " << name << ": finishing the commit of job " << r.job << " attempt " << r.attempt;
      fx_.Request(from, wire::CommitRanks{r});
    }
  }
  std::vector<std::pair<JobId, int32_t>> lost;
  for (auto& [id, e] : jobs_.active()) {
    if (!e.gang) continue;
    for (int32_t r = 0; r < e.gang->world(); ++r)
      if (!e.gang->exited(r) && !accounted.count({id, r}) && e.job.placement[e.gang->NodeOf(r)].node == name)
        lost.push_back({id, r});
  }
  for (auto [id, r] : lost) {
    JobEntry* e = jobs_.Active(id);
    if (!e || !e->gang) continue;  // that attempt already ended with an earlier lost rank
    GangActions actions;
    e->gang->OnRankLost(r, "rank " + std::to_string(r) + " was lost on node " + name, &actions);
    Apply(*e, actions);
  }
  fx_.ScheduleSoon();
  fx_.Reply(caller, std::move(reply));
  // A teardown decided while the node was away (after a musterd restart,
  // before it re-registered) sent its KillJob nowhere: send it now.
  std::set<JobId> ending_here;
  for (const auto& r : m.running) {
    JobEntry* e = jobs_.Active(r.job);
    if (e && e->job.ending && accounted.count({r.job, r.rank})) ending_here.insert(r.job);
  }
  for (JobId id : ending_here) {
    const Job& job = jobs_.Active(id)->job;
    fx_.Request(from, wire::KillJob{id, job.attempt, job.spec.grace_seconds * 1000});
  }
}

void GangCoordinator::OnTimer(Timer kind, JobId id) {
  JobEntry* e = jobs_.Active(id);
  if (!e || !e->gang) return;
  GangActions actions;
  switch (kind) {
    case Timer::kTimeLimit:
      return TearDown(*e, JobState::kTimeout, /*requeue=*/false,
                      "time limit " + FormatDuration(e->job.spec.time_limit) + " reached");
    case Timer::kGangReserve: {
      std::vector<std::string> silent;
      for (int32_t n : e->gang->reserve_waiting()) silent.push_back(e->job.placement[n].node);
      e->gang->OnReserveTimeout("gang reservation timed out after " +
                                    FormatDuration(options_.reserve_timeout) + ": " +
                                    Plural("node", silent.size()) + Join(silent, ",") + " did not answer",
                                &actions);
      break;
    }
    case Timer::kStartBarrier: {
      std::vector<std::string> missing;
      for (int32_t r : e->gang->UnstartedRanks()) missing.push_back(std::to_string(r));
      e->gang->OnStartTimeout("start barrier timed out after " + FormatDuration(options_.start_timeout) +
                                  ": " + Plural("rank", missing.size()) + Join(missing, ",") +
                                  " never started",
                              &actions);
      break;
    }
    case Timer::kUnstartedExits:
      e->gang->OnUnstartedExitsTimeout(&actions);
      break;
    default:
      MUSTER_CHECK(false) << "not a gang timer: " << TimerName(kind);
  }
  Apply(*e, actions);
}

}  // namespace muster::service
