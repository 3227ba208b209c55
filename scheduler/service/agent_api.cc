// Agents: registration and reconciliation, liveness, rank reports.
#include "common/base/job_spec.h"
#include "common/base/log.h"
#include "scheduler/service/server.h"

namespace muster::service {

Server::NodeEntry* Server::NodeByIdentity(const std::string& identity) {
  auto it = node_of_identity_.find(identity);
  if (it == node_of_identity_.end()) return nullptr;
  auto nt = nodes_.find(it->second);
  return nt != nodes_.end() && nt->second.identity == identity ? &nt->second : nullptr;
}

void Server::SetNodeIdentity(NodeEntry& n, const std::string& identity) {
  if (n.identity == identity) return;
  if (!n.identity.empty()) {
    auto it = node_of_identity_.find(n.identity);
    if (it != node_of_identity_.end() && it->second == n.node.name) node_of_identity_.erase(it);
  }
  n.identity = identity;
  if (!identity.empty()) node_of_identity_[identity] = n.node.name;
  NodeChanged(n.node.name);
}

void Server::OnRegister(const std::string& from, uint64_t rid, const wire::Register& m) {
  const std::string& name = m.node.name;
  if (!IsValidName(name))
    return ReplyError(from, rid, wire::ErrorCode::kBadRequest,
                      "bad node name '" + name + "': 1-64 of letters, digits, . _ -");
  if (m.node.gpus.size() > static_cast<size_t>(kMaxGpusPerNode))
    return ReplyError(from, rid, wire::ErrorCode::kBadRequest, "too many GPUs on one node");
  for (size_t i = 0; i < m.node.gpus.size(); ++i)
    if (m.node.gpus[i].index != static_cast<int32_t>(i))
      return ReplyError(from, rid, wire::ErrorCode::kBadRequest, "GPU indices must be 0..N-1 in order");

  auto [it, is_new] = nodes_.try_emplace(name);
  NodeEntry& n = it->second;
  n.node.name = name;
  n.node.address = m.node.address.empty() ? "127.0.0.1" : m.node.address;
  n.node.gpus = m.node.gpus;
  n.node.labels = m.node.labels;
  n.node.state = n.node.drain ? NodeState::kDrain : NodeState::kUp;
  n.node.last_heartbeat = clock_.Now();
  n.gpu_owner.resize(n.node.gpus.size(), kNoJob);
  SetNodeIdentity(n, from);
  if (is_new) views_rebuild_ = true;
  else NodeChanged(name);
  n.last_heartbeat_mono = MonotonicMs();
  ws_.Put(n.node);
  MLOG(Info) << "node " << name << " registered: " << n.node.gpus.size() << " GPUs, "
             << m.running.size() << " running ranks, " << m.exited.size() << " unreported exits"
             << (is_new ? " (new)" : "");

  // Reconcile: ranks the agent runs that we do not want are killed; ranks we
  // expect there that it neither runs nor reports as exited are lost.
  wire::RegisterReply reply;
  reply.heartbeat_interval_ms = options_.heartbeat_interval_ms;
  std::set<std::pair<JobId, int32_t>> accounted;
  for (const auto& r : m.running) {
    auto jt = active_.find(r.job);
    bool wanted = jt != active_.end() && jt->second.job.attempt == r.attempt &&
                  !jt->second.job.placement.empty() && r.rank >= 0 &&
                  r.rank < static_cast<int32_t>(jt->second.ranks.size()) &&
                  jt->second.job.placement[NodeIndexOfRank(jt->second.job, r.rank)].node == name &&
                  !jt->second.ranks[r.rank].exited;
    if (!wanted) {
      reply.kill.push_back(r);
      continue;
    }
    accounted.insert({r.job, r.rank});
    if (!jt->second.ranks[r.rank].started) {
      jt->second.ranks[r.rank].started = true;
      OnRankStarted(from, wire::RankStarted{r, 0});
    }
  }
  for (const auto& e : m.exited) {
    accounted.insert({e.ref.job, e.ref.rank});
    OnRankExited(from, e, /*ack=*/true);
  }
  // Reservations of two-phase gang starts (docs/protocol.md "Gang start").
  // Reserving in this process: still waited for. Committed: finish it, the
  // node starts the ranks now. Anything else is rolled back on the node.
  for (const auto& g : m.reserved) {
    auto jt = active_.find(g.job);
    bool here = false;
    if (jt != active_.end() && jt->second.job.attempt == g.attempt && !jt->second.job.ending)
      for (const auto& a : jt->second.job.placement) here = here || a.node == name;
    GangPhase phase = here ? jt->second.job.gang_phase : GangPhase::kNone;
    if (phase == GangPhase::kNone) {
      MLOG(Info) << "node " << name << ": aborting its reservation of job " << g.job << " attempt " << g.attempt;
      SendToNode(n, wire::AbortRanks{g});
      continue;
    }
    JobEntry& e = jt->second;
    for (int32_t r = 0; r < static_cast<int32_t>(e.ranks.size()); ++r)
      if (e.job.placement[NodeIndexOfRank(e.job, r)].node == name) accounted.insert({g.job, r});
    if (phase == GangPhase::kCommitted) {
      MLOG(Info) << "node " << name << ": finishing the commit of job " << g.job << " attempt " << g.attempt;
      SendToNode(n, wire::CommitRanks{g});
    }
  }
  std::vector<std::pair<JobId, int32_t>> lost;
  for (auto& [id, e] : active_) {
    if (e.job.state != JobState::kStarting && e.job.state != JobState::kRunning) continue;
    for (int32_t r = 0; r < static_cast<int32_t>(e.ranks.size()); ++r) {
      if (e.ranks[r].exited || accounted.count({id, r})) continue;
      if (e.job.placement[NodeIndexOfRank(e.job, r)].node == name) lost.push_back({id, r});
    }
  }
  for (auto [id, r] : lost) {
    auto jt = active_.find(id);
    if (jt == active_.end()) continue;
    MarkRankExited(jt->second, r);
    TearDown(jt->second, JobState::kNodeFail, /*requeue=*/true,
             "rank " + std::to_string(r) + " was lost on node " + name);
  }
  schedule_needed_ = true;
  Reply(from, rid, std::move(reply));
  // A teardown decided while the node was away (after a musterd restart,
  // before it re-registered) sent its KillJob nowhere: send it now.
  std::set<JobId> ending_here;
  for (const auto& r : m.running) {
    auto jt = active_.find(r.job);
    if (jt != active_.end() && jt->second.job.ending && accounted.count({r.job, r.rank})) ending_here.insert(r.job);
  }
  for (JobId id : ending_here) {
    const Job& job = active_.at(id).job;
    SendToNode(n, wire::KillJob{id, job.attempt, job.spec.grace_seconds * 1000});
  }
}

void Server::OnHeartbeat(const std::string& from, uint64_t rid, const wire::Heartbeat& m) {
  ++stats_.heartbeats;
  auto it = nodes_.find(m.node);
  if (it == nodes_.end() || it->second.identity.empty() || it->second.node.state == NodeState::kDown)
    return ReplyError(from, rid, wire::ErrorCode::kNotRegistered, "register first");
  NodeEntry& n = it->second;
  if (n.identity != from) SetNodeIdentity(n, from);  // the agent reconnected
  n.last_heartbeat_mono = MonotonicMs();
  n.node.last_heartbeat = clock_.Now();       // shown, not persisted (DESIGN.md)
  ApplyGpuStats(n, m.gpus);
}

void Server::ApplyGpuStats(NodeEntry& n, const std::vector<wire::GpuStat>& stats) {
  for (const auto& s : stats) {
    if (s.index < 0 || s.index >= static_cast<int32_t>(n.node.gpus.size())) continue;
    GpuInfo& g = n.node.gpus[s.index];
    g.utilization_percent = s.utilization_percent;
    g.memory_used_bytes = s.memory_used_bytes;
    if (g.healthy != s.healthy || g.health_reason != s.health_reason) {
      if (s.healthy) MLOG(Info) << "node " << n.node.name << " GPU " << s.index << " is healthy again";
      else MLOG(Warning) << "node " << n.node.name << " GPU " << s.index << " is out of service: " << s.health_reason;
      g.healthy = s.healthy;
      g.health_reason = s.health_reason;
      NodeChanged(n.node.name);
      schedule_needed_ = true;  // capacity changed either way
    }
  }
}

void Server::OnRankStarted(const std::string& from, const wire::RankStarted& m) {
  auto it = active_.find(m.ref.job);
  if (it == active_.end() || it->second.job.attempt != m.ref.attempt ||
      m.ref.rank < 0 || m.ref.rank >= static_cast<int32_t>(it->second.ranks.size())) {
    // A rank of a job or attempt that is over: it must not keep GPUs busy.
    Reply(from, 0, wire::KillJob{m.ref.job, m.ref.attempt, 0});
    return;
  }
  JobEntry& e = it->second;
  e.ranks[m.ref.rank].started = true;
  if (e.job.state != JobState::kStarting || e.job.ending) return;  // a gang being torn down stays down
  for (const auto& r : e.ranks)
    if (!r.started) return;
  DisarmStartDeadline(e);
  Transition(e, JobState::kRunning, "all " + std::to_string(e.ranks.size()) + " ranks started");
}

void Server::OnReserved(const std::string& from, const wire::Reserved& m) {
  NodeEntry* n = NodeByIdentity(from);
  auto it = active_.find(m.job);
  bool current = n && it != active_.end() && it->second.job.attempt == m.attempt &&
                 it->second.job.gang_phase == GangPhase::kReserving && !it->second.job.ending &&
                 it->second.reserve_waiting.count(n->node.name);
  if (!current) {
    bool committed = it != active_.end() && it->second.job.attempt == m.attempt &&
                     it->second.job.gang_phase == GangPhase::kCommitted;
    if (!m.ok && committed && n) return OnCommitRefused(it->second, *n, m.reason);
    // An attempt that is over (or a duplicate answer): whatever that node
    // holds for it must go. A committed gang's late duplicate is harmless.
    if (m.ok && !committed) Reply(from, 0, wire::AbortRanks{{m.job, m.attempt}});
    return;
  }
  JobEntry& e = it->second;
  if (!m.ok) {
    TearDown(e, JobState::kNodeFail, /*requeue=*/true,
             "node " + n->node.name + " refused the gang reservation: " + m.reason);
    return;
  }
  e.reserve_waiting.erase(n->node.name);
  if (e.reserve_waiting.empty()) CommitGang(e);
}

void Server::OnCommitRefused(JobEntry& e, NodeEntry& n, const std::string& reason) {
  // The node answered CommitRanks with Reserved{ok = false}: it no longer held
  // the reservation (it expired) and started nothing. Its ranks will never
  // start, so the gang is torn down and requeued now rather than at the end
  // of the start barrier. Only an attempt still starting there counts: once
  // a rank of that node started, the answer is stale.
  const std::string& name = n.node.name;
  if (e.job.ending || e.job.placement.empty()) return;
  std::vector<int32_t> here;
  for (int32_t r = 0; r < static_cast<int32_t>(e.ranks.size()); ++r) {
    if (e.job.placement[NodeIndexOfRank(e.job, r)].node != name) continue;
    if (e.ranks[r].started || e.ranks[r].exited) return;
    here.push_back(r);
  }
  if (here.empty()) return;  // not placed on that node
  for (int32_t r : here) MarkRankExited(e, r);
  TearDown(e, JobState::kNodeFail, /*requeue=*/true,
           "node " + name + " could not start its ranks: " + reason);
}

void Server::OnRankExited(const std::string& from, const wire::RankExit& x, bool ack) {
  if (ack) Reply(from, 0, wire::AckExit{x.ref});
  auto it = active_.find(x.ref.job);
  if (it == active_.end() || it->second.job.attempt != x.ref.attempt || x.ref.rank < 0 ||
      x.ref.rank >= static_cast<int32_t>(it->second.ranks.size()))
    return;  // an earlier attempt or a finished job: nothing to decide
  JobEntry& e = it->second;
  if (e.ranks[x.ref.rank].exited) return;  // a resend
  MarkRankExited(e, x.ref.rank);
  bool failed = x.failed_to_start || x.signal != 0 || x.exit_code != 0;
  if (failed && !e.job.ending) {
    std::string why = "rank " + std::to_string(x.ref.rank);
    if (x.failed_to_start) why += " failed to start: " + x.message;
    else if (x.signal) why += " was killed by signal " + std::to_string(x.signal);
    else why += " exited with code " + std::to_string(x.exit_code);
    e.job.exit_code = x.signal ? 128 + x.signal : (x.exit_code ? x.exit_code : 127);
    TearDown(e, JobState::kFailed, /*requeue=*/false, why);
    return;
  }
  MaybeFinish(e);
}

void Server::CheckHeartbeats(int64_t now_mono) {
  int64_t timeout_ms = options_.heartbeat_timeout / kMillisecond;
  for (auto& [name, n] : nodes_) {
    if (n.node.state == NodeState::kDown) continue;
    if (now_mono - n.last_heartbeat_mono > timeout_ms)
      MarkNodeDown(n, "no heartbeat for " + std::to_string(timeout_ms / 1000) + "s");
  }
}

void Server::MarkNodeDown(NodeEntry& n, const std::string& why) {
  MLOG(Warning) << "node " << n.node.name << " is DOWN: " << why;
  n.node.state = NodeState::kDown;
  SetNodeIdentity(n, "");
  ws_.Put(n.node);
  std::vector<JobId> touched;
  for (auto& [id, e] : active_) {
    if (e.job.state != JobState::kStarting && e.job.state != JobState::kRunning) continue;
    for (const auto& a : e.job.placement)
      if (a.node == n.node.name) touched.push_back(id);
  }
  for (JobId id : touched) {
    JobEntry& e = active_.at(id);
    for (int32_t r = 0; r < static_cast<int32_t>(e.ranks.size()); ++r)
      if (!e.ranks[r].exited && e.job.placement[NodeIndexOfRank(e.job, r)].node == n.node.name)
        MarkRankExited(e, r);
    TearDown(e, JobState::kNodeFail, /*requeue=*/true, "node " + n.node.name + " is down (" + why + ")");
  }
  schedule_needed_ = true;
}

}  // namespace muster::service
