#include "scheduler/service/gang_attempt.h"

#include "common/base/check.h"

namespace muster::service {

const char* GangStateName(GangState s) {
  switch (s) {
    case GangState::kReserving:
      return "RESERVING";
    case GangState::kCommitted:
      return "COMMITTED";
    case GangState::kRunning:
      return "RUNNING";
    case GangState::kTearingDown:
      return "TEARING_DOWN";
    case GangState::kEnded:
      return "ENDED";
  }
  return "?";
}

const char* GangActionName(GangAction::Kind k) {
  switch (k) {
    case GangAction::kReserve:
      return "Reserve";
    case GangAction::kCommit:
      return "Commit";
    case GangAction::kAbort:
      return "Abort";
    case GangAction::kKill:
      return "Kill";
    case GangAction::kArmReserveTimer:
      return "ArmReserveTimer";
    case GangAction::kDisarmReserveTimer:
      return "DisarmReserveTimer";
    case GangAction::kArmStartTimer:
      return "ArmStartTimer";
    case GangAction::kDisarmStartTimer:
      return "DisarmStartTimer";
    case GangAction::kArmUnstartedTimer:
      return "ArmUnstartedTimer";
    case GangAction::kRunning:
      return "Running";
    case GangAction::kEnded:
      return "Ended";
  }
  return "?";
}

GangAttempt::GangAttempt(int32_t nodes, int32_t ranks_per_node)
    : nodes_(nodes), ranks_per_node_(ranks_per_node), ranks_(static_cast<size_t>(nodes * ranks_per_node)) {
  MUSTER_CHECK(nodes > 0 && ranks_per_node > 0) << nodes << " nodes x " << ranks_per_node << " ranks";
}

GangAttempt GangAttempt::Start(int32_t nodes, int32_t ranks_per_node, GangActions* out) {
  GangAttempt g(nodes, ranks_per_node);
  out->push_back({GangAction::kArmStartTimer});
  if (nodes == 1) {
    g.state_ = GangState::kCommitted;
    g.committed_ = true;
    out->push_back({GangAction::kReserve, 0});
    out->push_back({GangAction::kCommit, 0});
    return g;
  }
  for (int32_t n = 0; n < nodes; ++n) {
    g.reserve_waiting_.insert(n);
    out->push_back({GangAction::kReserve, n});
  }
  out->push_back({GangAction::kArmReserveTimer});
  return g;
}

GangAttempt GangAttempt::Recover(int32_t nodes, int32_t ranks_per_node, JobState state, GangPhase phase,
                                 std::optional<JobState> ending, bool requeue, int32_t exit_code,
                                 GangActions* out) {
  GangAttempt g(nodes, ranks_per_node);
  g.committed_ = phase != GangPhase::kReserving;
  g.ending_ = ending;
  g.requeue_ = requeue;
  g.exit_code_ = exit_code;
  if (state == JobState::kRunning)
    for (auto& r : g.ranks_) r.started = true;
  if (ending)
    g.state_ = GangState::kTearingDown;
  else if (state == JobState::kRunning)
    g.state_ = GangState::kRunning;
  else if (!g.committed_)
    g.state_ = GangState::kReserving;
  else
    g.state_ = GangState::kCommitted;
  if (g.state_ == GangState::kReserving)
    for (int32_t n = 0; n < nodes; ++n) g.reserve_waiting_.insert(n);
  // A gang still starting gets a whole start timeout from now.
  if (state == JobState::kStarting) out->push_back({GangAction::kArmStartTimer});
  return g;
}

int32_t GangAttempt::NodeOf(int32_t rank) const {
  if (!InRange(rank)) return -1;
  return rank / ranks_per_node_;
}

std::vector<int32_t> GangAttempt::UnstartedRanks() const {
  std::vector<int32_t> out;
  for (int32_t r = 0; r < world(); ++r)
    if (!ranks_[r].started) out.push_back(r);
  return out;
}

GangPhase GangAttempt::phase() const {
  if (state_ == GangState::kEnded) return GangPhase::kNone;
  return committed_ ? GangPhase::kCommitted : GangPhase::kReserving;
}

void GangAttempt::MarkExited(int32_t rank) {
  if (!InRange(rank) || ranks_[rank].exited) return;
  ranks_[rank].exited = true;
  ++ranks_exited_;
}

bool GangAttempt::OnReserved(int32_t node, GangActions* out) {
  if (state_ != GangState::kReserving || !reserve_waiting_.erase(node)) return false;
  if (!reserve_waiting_.empty()) return true;
  // Phase 2: every node holds its GPUs; now each may start its ranks.
  state_ = GangState::kCommitted;
  committed_ = true;
  out->push_back({GangAction::kDisarmReserveTimer});
  for (int32_t n = 0; n < nodes_; ++n) out->push_back({GangAction::kCommit, n});
  return true;
}

void GangAttempt::OnReserveRefused(int32_t node, const std::string& why, GangActions* out) {
  if (state_ != GangState::kReserving || !reserve_waiting_.count(node)) return;
  TearDown(JobState::kNodeFail, /*requeue=*/true, why, out);
}

void GangAttempt::OnCommitRefused(int32_t node, const std::string& why, GangActions* out) {
  if (!committed_ || ending_ || state_ == GangState::kEnded) return;
  std::vector<int32_t> here;
  for (int32_t r = node * ranks_per_node_; r < (node + 1) * ranks_per_node_ && r < world(); ++r) {
    if (ranks_[r].started || ranks_[r].exited) return;  // that node did start its part: a stale answer
    here.push_back(r);
  }
  if (here.empty()) return;
  // Its ranks will never start: tear down now rather than at the barrier.
  for (int32_t r : here) MarkExited(r);
  TearDown(JobState::kNodeFail, /*requeue=*/true, why, out);
}

void GangAttempt::OnRankStarted(int32_t rank, GangActions* out) {
  if (!InRange(rank)) return;
  ranks_[rank].started = true;
  if (state_ != GangState::kCommitted) return;  // a gang being torn down stays down
  for (const auto& r : ranks_)
    if (!r.started) return;
  state_ = GangState::kRunning;
  out->push_back({GangAction::kDisarmStartTimer});
  out->push_back({GangAction::kRunning});
}

void GangAttempt::OnRankExited(int32_t rank, const RankOutcome& outcome, GangActions* out) {
  if (!InRange(rank) || ranks_[rank].exited || state_ == GangState::kEnded) return;  // a resend
  MarkExited(rank);
  if (outcome.failed && !ending_) {
    exit_code_ = outcome.exit_code;
    TearDown(JobState::kFailed, /*requeue=*/false, outcome.why, out);
    return;
  }
  MaybeEnd(out);
}

void GangAttempt::OnNodeLost(int32_t node, const std::string& why, GangActions* out) {
  if (state_ == GangState::kEnded) return;
  for (int32_t r = 0; r < world(); ++r)
    if (NodeOf(r) == node) MarkExited(r);
  TearDown(JobState::kNodeFail, /*requeue=*/true, why, out);
}

void GangAttempt::OnRankLost(int32_t rank, const std::string& why, GangActions* out) {
  if (state_ == GangState::kEnded) return;
  MarkExited(rank);
  TearDown(JobState::kNodeFail, /*requeue=*/true, why, out);
}

void GangAttempt::TearDown(JobState ending, bool requeue, const std::string& why, GangActions* out) {
  if (state_ == GangState::kEnded) return;
  const bool first = !ending_.has_value();
  const bool decides = first || ending == JobState::kCancelled;
  if (decides) {
    ending_ = ending;
    requeue_ = requeue;
    failure_ = why;
  }
  if (state_ == GangState::kReserving) {
    // Nothing started anywhere: roll every reservation back; no rank of the
    // attempt will ever run.
    reserve_waiting_.clear();
    out->push_back({GangAction::kDisarmReserveTimer});
    for (int32_t n = 0; n < nodes_; ++n) out->push_back({GangAction::kAbort, n});
    for (int32_t r = 0; r < world(); ++r) MarkExited(r);
  }
  state_ = GangState::kTearingDown;
  if (decides) {
    // Every node that still has ranks of this attempt gets SIGTERM, then
    // SIGKILL after the job's grace period (the agent escalates).
    std::set<int32_t> live;
    for (int32_t r = 0; r < world(); ++r)
      if (!ranks_[r].exited) live.insert(NodeOf(r));
    for (int32_t n : live) out->push_back({GangAction::kKill, n});
  }
  MaybeEnd(out);
}

void GangAttempt::OnReserveTimeout(const std::string& why, GangActions* out) {
  if (state_ != GangState::kReserving) return;
  TearDown(JobState::kNodeFail, /*requeue=*/true, why, out);
}

void GangAttempt::OnStartTimeout(const std::string& why, GangActions* out) {
  if (state_ != GangState::kReserving && state_ != GangState::kCommitted) return;
  // A rank not reported started may still run (its report is late or lost)
  // and hold its GPU: the attempt ends once it reports its exit, or after a
  // bounded wait (kArmUnstartedTimer), so that the next attempt is not
  // refused by its node with "GPU in use".
  bool unstarted_live = false;
  for (const auto& r : ranks_) unstarted_live = unstarted_live || (!r.started && !r.exited);
  TearDown(JobState::kNodeFail, /*requeue=*/true, why, out);
  if (state_ == GangState::kEnded || !unstarted_live) return;
  awaiting_unstarted_exits_ = true;
  out->push_back({GangAction::kArmUnstartedTimer});
}

void GangAttempt::OnUnstartedExitsTimeout(GangActions* out) {
  if (!awaiting_unstarted_exits_ || state_ == GangState::kEnded) return;
  // Their node may be wedged or may never have launched them: stop waiting.
  // Should one start late, it reports an attempt that is over and is killed.
  awaiting_unstarted_exits_ = false;
  for (int32_t r = 0; r < world(); ++r)
    if (!ranks_[r].started) MarkExited(r);
  MaybeEnd(out);
}

void GangAttempt::MaybeEnd(GangActions* out) {
  if (ranks_exited_ < world() || state_ == GangState::kEnded) return;
  state_ = GangState::kEnded;
  end_.state = ending_.value_or(JobState::kCompleted);
  end_.requeue = requeue_;
  end_.cause = failure_.empty() ? "all ranks exited 0" : failure_;
  end_.exit_code = exit_code_;
  out->push_back({GangAction::kDisarmStartTimer});
  out->push_back({GangAction::kDisarmReserveTimer});
  out->push_back({GangAction::kEnded});
}

}  // namespace muster::service
