// Jobs from placement to their end: scheduling cycles, launch, teardown of
// whole gangs, time limits, requeue.
#include <algorithm>

#include "common/base/log.h"
#include "common/base/strings.h"
#include "scheduler/service/server.h"

namespace muster::service {
namespace {

// After a start-barrier teardown, how long past the job's grace period the
// ranks that never reported started may take to report their exit: the
// agent's SIGKILL escalation and its exit re-sends (every 2 s) fit in it.
constexpr int64_t kUnstartedExitMarginMs = 5000;

}  // namespace

int32_t Server::RanksPerNodeOf(const Job& job) const {
  if (job.spec.ranks_per_node == RanksPerNode::kOne) return 1;
  if (!job.placement.empty()) return static_cast<int32_t>(job.placement[0].gpus.size());
  return job.spec.nodes > 0 ? job.spec.gpus_per_node : job.spec.total_gpus;
}

int32_t Server::WorldSizeOf(const Job& job) const {
  int32_t nodes = job.placement.empty() ? std::max(job.spec.nodes, 1) : job.NodeCount();
  return nodes * RanksPerNodeOf(job);
}

int32_t Server::NodeIndexOfRank(const Job& job, int32_t rank) const {
  int32_t per_node = RanksPerNodeOf(job);
  if (per_node <= 0 || rank < 0) return -1;
  int32_t idx = rank / per_node;
  return idx < job.NodeCount() ? idx : -1;
}

void Server::Transition(JobEntry& e, JobState to, const std::string& cause) {
  ws_.Append({e.job.id, clock_.Now(), e.job.state, to, cause});
  MLOG(Debug) << "job " << e.job.id << " " << JobStateName(e.job.state) << " -> " << JobStateName(to)
              << ": " << cause;
  e.job.state = to;
  if (to == JobState::kPending) IndexPending(e.job);  // requeued
  Persist(e.job);
}

void Server::Launch(JobEntry& e, std::vector<NodeAllocation> placement) {
  Job& j = e.job;
  j.attempt += 1;
  j.placement = std::move(placement);
  j.start_time = clock_.Now();
  j.end_time = kNoTime;
  j.reason = PendingReason::kNone;
  j.reason_detail.clear();
  j.ending.reset();
  j.requeue_on_end = false;
  j.exit_code = 0;
  placed_.insert(j.id);
  for (const auto& a : j.placement) {
    NodeEntry& n = nodes_.at(a.node);
    for (int32_t g : a.gpus) n.gpu_owner[g] = j.id;
    NodeChanged(a.node);
  }
  NodeEntry& head = nodes_.at(j.placement[0].node);
  j.master_port = options_.port_range_begin;
  while (head.ports.count(j.master_port) && j.master_port < options_.port_range_end) ++j.master_port;
  head.ports.insert(j.master_port);

  int32_t per_node = RanksPerNodeOf(j);
  int32_t world = WorldSizeOf(j);
  e.ranks.assign(world, RankStatus{});
  e.ranks_exited = 0;
  e.failure.clear();
  e.awaiting_unstarted_exits = false;
  if (j.spec.time_limit > 0) time_limits_.insert({j.start_time + j.spec.time_limit, j.id});
  ArmStartDeadline(e);
  // Phase 1 of the gang start: every node reserves, nothing starts until all
  // did (CommitGang). The phase is persisted with STARTING at this commit.
  // A job on one node has nobody else to wait for: it is committed at once,
  // and its node gets the reservation and the commit together, so the node
  // still checks its GPUs first but no round trip (and no second synced
  // write) comes between placement and start.
  const bool one_node = j.placement.size() == 1;
  j.gang_phase = one_node ? GangPhase::kCommitted : GangPhase::kReserving;
  e.reserve_waiting.clear();
  DisarmReserveDeadline(e);
  if (!one_node) {
    for (const auto& a : j.placement) e.reserve_waiting.insert(a.node);
    e.reserve_deadline_mono = MonotonicMs() + options_.reserve_timeout / kMillisecond;
    reserve_deadlines_.insert({e.reserve_deadline_mono, j.id});
  }

  std::vector<std::string> names;
  for (const auto& a : j.placement) names.push_back(a.node);
  Transition(e, JobState::kStarting, "placed on " + Join(names, ","));

  std::vector<EnvVar> env = j.spec.env;
  bool user_checkpoint_dir = std::any_of(env.begin(), env.end(), [](const EnvVar& v) {
    return v.name == "MUSTER_CHECKPOINT_DIR";
  });
  env.push_back({"WORLD_SIZE", std::to_string(world)});
  env.push_back({"NNODES", std::to_string(j.NodeCount())});
  env.push_back({"MASTER_ADDR", head.node.address});
  env.push_back({"MASTER_PORT", std::to_string(j.master_port)});
  env.push_back({"MUSTER_JOB_ID", std::to_string(j.id)});
  env.push_back({"MUSTER_ATTEMPT", std::to_string(j.attempt)});
  env.push_back({"MUSTER_RDZV", advertised_});
  if (!user_checkpoint_dir)
    env.push_back({"MUSTER_CHECKPOINT_DIR", options_.checkpoint_root + "/" + std::to_string(j.id)});

  for (int32_t k = 0; k < j.NodeCount(); ++k) {
    const NodeAllocation& a = j.placement[k];
    wire::LaunchRanks m;
    m.job = j.id;
    m.attempt = j.attempt;
    m.argv = j.spec.argv;
    m.workdir = j.spec.workdir;
    m.env = env;
    m.node_rank = k;
    m.local_world_size = per_node;
    for (int32_t l = 0; l < per_node; ++l) {
      wire::RankLaunch r;
      r.rank = k * per_node + l;
      r.local_rank = l;
      if (j.spec.ranks_per_node == RanksPerNode::kOne) r.gpus = a.gpus;
      else r.gpus = {a.gpus[l]};
      m.ranks.push_back(std::move(r));
    }
    SendToNode(nodes_.at(a.node), wire::ReserveRanks{std::move(m)});
    if (one_node) SendToNode(nodes_.at(a.node), wire::CommitRanks{{j.id, j.attempt}});
  }
}

void Server::CommitGang(JobEntry& e) {
  Job& j = e.job;
  DisarmReserveDeadline(e);
  j.gang_phase = GangPhase::kCommitted;
  Persist(j);
  MLOG(Info) << "job " << j.id << " attempt " << j.attempt << ": every node reserved; committing";
  // Sent after this turn's commit: a restarted musterd finds the phase on
  // disk and finishes the commit (OnRegister).
  for (const auto& a : j.placement) {
    auto it = nodes_.find(a.node);
    if (it != nodes_.end()) SendToNode(it->second, wire::CommitRanks{{j.id, j.attempt}});
  }
}

void Server::AbortReservation(JobEntry& e) {
  Job& j = e.job;
  DisarmReserveDeadline(e);
  e.reserve_waiting.clear();
  for (const auto& a : j.placement) {
    auto it = nodes_.find(a.node);
    if (it != nodes_.end()) SendToNode(it->second, wire::AbortRanks{{j.id, j.attempt}});
  }
  // Nothing was started: every rank of the attempt is over.
  for (int32_t r = 0; r < static_cast<int32_t>(e.ranks.size()); ++r) MarkRankExited(e, r);
}

void Server::DisarmReserveDeadline(JobEntry& e) {
  if (e.reserve_deadline_mono == 0) return;
  reserve_deadlines_.erase({e.reserve_deadline_mono, e.job.id});
  e.reserve_deadline_mono = 0;
}

void Server::CheckReserveTimeouts(int64_t now_mono) {
  while (!reserve_deadlines_.empty() && reserve_deadlines_.begin()->first <= now_mono) {
    JobId id = reserve_deadlines_.begin()->second;
    reserve_deadlines_.erase(reserve_deadlines_.begin());
    auto it = active_.find(id);
    if (it == active_.end()) continue;
    JobEntry& e = it->second;
    e.reserve_deadline_mono = 0;
    if (e.job.gang_phase != GangPhase::kReserving || e.job.placement.empty() || e.job.ending) continue;
    std::vector<std::string> silent(e.reserve_waiting.begin(), e.reserve_waiting.end());
    TearDown(e, JobState::kNodeFail, /*requeue=*/true,
             "gang reservation timed out after " + FormatDuration(options_.reserve_timeout) + ": node" +
                 (silent.size() == 1 ? " " : "s ") + Join(silent, ",") + " did not answer");
  }
}

void Server::MarkRankExited(JobEntry& e, int32_t rank) {
  if (rank < 0 || rank >= static_cast<int32_t>(e.ranks.size()) || e.ranks[rank].exited) return;
  e.ranks[rank].exited = true;
  ++e.ranks_exited;
}

void Server::TearDown(JobEntry& e, JobState ending, bool requeue, const std::string& why) {
  bool first = !e.job.ending.has_value();
  // A user's cancel overrides any other ending; otherwise the first cause wins.
  if (first || ending == JobState::kCancelled) {
    e.job.ending = ending;
    e.job.requeue_on_end = requeue;
    e.failure = why;
    Persist(e.job);
  }
  // A gang still reserving started nothing: roll the reservation back.
  if (e.job.gang_phase == GangPhase::kReserving && !e.job.placement.empty()) AbortReservation(e);
  if (first || ending == JobState::kCancelled) {
    MLOG(Info) << "job " << e.job.id << ": tearing down the gang: " << why;
    // Every node that still has ranks of this attempt gets SIGTERM, then
    // SIGKILL after the job's grace period (the agent escalates).
    std::set<std::string> with_live_ranks;
    for (int32_t r = 0; r < static_cast<int32_t>(e.ranks.size()); ++r)
      if (!e.ranks[r].exited) with_live_ranks.insert(e.job.placement[NodeIndexOfRank(e.job, r)].node);
    for (const auto& name : with_live_ranks) {
      auto it = nodes_.find(name);
      if (it != nodes_.end())
        SendToNode(it->second, wire::KillJob{e.job.id, e.job.attempt, e.job.spec.grace_seconds * 1000});
    }
  }
  MaybeFinish(e);
}

void Server::ReleaseResources(const Job& job) {
  placed_.erase(job.id);
  for (const auto& a : job.placement) {
    auto it = nodes_.find(a.node);
    if (it == nodes_.end()) continue;
    for (int32_t g : a.gpus)
      if (g >= 0 && g < static_cast<int32_t>(it->second.gpu_owner.size()) && it->second.gpu_owner[g] == job.id)
        it->second.gpu_owner[g] = kNoJob;
    NodeChanged(a.node);
  }
  if (!job.placement.empty()) {
    auto it = nodes_.find(job.placement[0].node);
    if (it != nodes_.end()) it->second.ports.erase(job.master_port);
  }
  if (job.spec.time_limit > 0) time_limits_.erase({job.start_time + job.spec.time_limit, job.id});
  schedule_needed_ = true;
}

void Server::MaybeFinish(JobEntry& e) {
  if (e.ranks_exited < static_cast<int32_t>(e.ranks.size())) return;
  Job& j = e.job;
  DisarmStartDeadline(e);
  DisarmReserveDeadline(e);
  e.reserve_waiting.clear();
  j.gang_phase = GangPhase::kNone;
  ReleaseResources(j);
  DropRendezvous(j.id, "job attempt ended");
  JobState ending = j.ending.value_or(JobState::kCompleted);
  std::string cause = e.failure.empty() ? "all ranks exited 0" : e.failure;
  if (j.requeue_on_end) {
    Transition(e, ending, cause);  // NODE_FAIL / PREEMPTED, kept in history
    if (j.restarts < j.spec.max_restarts) {
      j.restarts += 1;
      j.placement.clear();
      j.master_port = 0;
      j.start_time = kNoTime;
      j.ending.reset();
      j.requeue_on_end = false;
      j.reason = ending == JobState::kPreempted ? PendingReason::kPreempted : PendingReason::kNodeFail;
      j.reason_detail = cause;
      e.ranks.clear();
      e.ranks_exited = 0;
      Transition(e, JobState::kPending,
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
  Transition(e, ending, cause);
  Finish(j.id);
}

void Server::CheckTimeLimits() {
  Time now = clock_.Now();
  while (!time_limits_.empty() && time_limits_.begin()->first <= now) {
    JobId id = time_limits_.begin()->second;
    time_limits_.erase(time_limits_.begin());
    auto it = active_.find(id);
    if (it == active_.end() || it->second.job.placement.empty()) continue;
    TearDown(it->second, JobState::kTimeout, /*requeue=*/false,
             "time limit " + FormatDuration(it->second.job.spec.time_limit) + " reached");
  }
}

void Server::ArmStartDeadline(JobEntry& e) {
  DisarmStartDeadline(e);
  e.start_deadline_mono = MonotonicMs() + options_.start_timeout / kMillisecond;
  start_deadlines_.insert({e.start_deadline_mono, e.job.id});
}

void Server::DisarmStartDeadline(JobEntry& e) {
  if (e.start_deadline_mono == 0) return;
  start_deadlines_.erase({e.start_deadline_mono, e.job.id});
  e.start_deadline_mono = 0;
}

void Server::CheckStartTimeouts(int64_t now_mono) {
  while (!start_deadlines_.empty() && start_deadlines_.begin()->first <= now_mono) {
    JobId id = start_deadlines_.begin()->second;
    start_deadlines_.erase(start_deadlines_.begin());
    auto it = active_.find(id);
    if (it == active_.end()) continue;
    JobEntry& e = it->second;
    e.start_deadline_mono = 0;
    if (e.job.state != JobState::kStarting || e.job.placement.empty()) continue;
    if (e.job.ending) {
      if (!e.awaiting_unstarted_exits) continue;
      // The ranks that never reported started had the grace period and a
      // margin to report their exit. Their node may be wedged or may never
      // have launched them: stop waiting. Should one start late, it reports
      // an attempt that is over and is killed (OnRankStarted).
      e.awaiting_unstarted_exits = false;
      for (int32_t r = 0; r < static_cast<int32_t>(e.ranks.size()); ++r)
        if (!e.ranks[r].started) MarkRankExited(e, r);
      MaybeFinish(e);  // may end the entry: `e` is not used after this
      continue;
    }
    std::vector<std::string> missing;
    bool unstarted_live = false;  // a rank not reported started and not reported gone either
    for (int32_t r = 0; r < static_cast<int32_t>(e.ranks.size()); ++r) {
      if (e.ranks[r].started) continue;
      missing.push_back(std::to_string(r));
      unstarted_live = unstarted_live || !e.ranks[r].exited;
    }
    // Never half a gang: every node with a rank of the attempt is told to
    // kill it, and the job is requeued like a node failure (counting a
    // restart). A rank not reported started may still run (its report is
    // late or lost) and hold its GPU: its GPUs are released only once it
    // reports its exit, or the grace period plus a margin passed, so that
    // the next attempt (or another job) is not refused by its node with
    // "GPU in use". The deadline is re-armed for that bound.
    TearDown(e, JobState::kNodeFail, /*requeue=*/true,
             "start barrier timed out after " + FormatDuration(options_.start_timeout) + ": rank" +
                 (missing.size() == 1 ? " " : "s ") + Join(missing, ",") + " never started");
    // With such a rank left the attempt cannot have ended in TearDown: `e` is valid.
    if (!unstarted_live) continue;
    e.awaiting_unstarted_exits = true;
    e.start_deadline_mono =
        MonotonicMs() + static_cast<int64_t>(e.job.spec.grace_seconds) * 1000 + kUnstartedExitMarginMs;
    start_deadlines_.insert({e.start_deadline_mono, id});
  }
}

void Server::FailNeverRunnable(JobId id) {
  auto it = active_.find(id);
  if (it == active_.end()) return;
  JobEntry& e = it->second;
  e.job.reason = PendingReason::kDependencyNeverSatisfied;
  e.job.reason_detail = "a job it depends on (afterok) did not complete";
  e.job.end_time = clock_.Now();
  e.job.exit_code = 1;
  Transition(e, JobState::kFailed, "DependencyNeverSatisfied");
  Finish(id);
  schedule_needed_ = true;  // its own dependents fail next
}

void Server::Finish(JobId id) {
  auto it = active_.find(id);
  if (it == active_.end()) return;
  Job job = std::move(it->second.job);
  active_.erase(it);
  ws_.Put(job);
  dirty_.erase(id);
  if (job.array_job != kNoJob) OnArrayTaskFinished(job);
  if (job.spec.kind == JobKind::kRetrain) OnRetrainEnded(job);
  recent_[id] = std::move(job);
  while (recent_.size() > options_.recent_finished) recent_.erase(recent_.begin());
  schedule_needed_ = true;
}

}  // namespace muster::service
