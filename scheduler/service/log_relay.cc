#include "scheduler/service/log_relay.h"

#include <algorithm>

#include "scheduler/service/gang_coordinator.h"

namespace muster::service {

void LogRelay::OnReadLog(const Caller& from, const wire::ReadLog& m) {
  auto job = jobs_.Find(m.job);
  if (!job) return fx_.Error(from, wire::ErrorCode::kNotFound, "no job " + std::to_string(m.job));
  if (job->placement.empty()) {
    if (IsFinal(job->state))  // ended without ever starting: there never will be a log
      return fx_.Error(from, wire::ErrorCode::kNotFound,
                       "job " + std::to_string(m.job) + " ended " + JobStateName(job->state) +
                           " without starting: no log");
    // Not started yet: an empty chunk, so `logs -f` waits for it.
    return fx_.Reply(from, wire::LogChunk{"", m.offset, true, false});
  }
  int32_t world = GangCoordinator::WorldSize(*job);
  if (m.rank < 0 || m.rank >= world)
    return fx_.Error(from, wire::ErrorCode::kNotFound,
                     "job " + std::to_string(m.job) + " has ranks 0.." + std::to_string(world - 1));
  const int32_t per_node = GangCoordinator::RanksPerNode(*job);
  const int32_t index = per_node > 0 ? std::min(m.rank / per_node, job->NodeCount() - 1) : 0;
  const std::string& node_name = job->placement[index].node;
  const NodeEntry* n = nodes_.Find(node_name);
  if (!n || n->identity.empty() || n->node.state == NodeState::kDown)
    return fx_.Error(from, wire::ErrorCode::kUnavailable,
                     "node " + node_name + ", which holds the log, is not connected");
  wire::ReadLog fwd = m;
  fwd.max_bytes = std::min<uint32_t>(m.max_bytes ? m.max_bytes : 64 * 1024, 1024 * 1024);
  uint64_t request = fx_.Request(n->identity, fwd);
  reads_[request] = {from, m.job, m.offset, n->identity};
  timers_.Arm(Timer::kLogRead, request, clock_.MonotonicNow() + timeout_);
}

bool LogRelay::OnAnswer(const std::string& from, uint64_t request, wire::Body body) {
  auto it = reads_.find(request);
  if (it == reads_.end()) return false;            // late: the reader already got a timeout
  if (it->second.node_peer != from) return false;  // not the node asked: another node's forgery
  Read r = it->second;
  reads_.erase(it);
  timers_.Disarm(Timer::kLogRead, request);
  if (auto* chunk = std::get_if<wire::LogChunk>(&body)) {
    // "finished" for the reader means no more output will ever come: the job
    // is over, not merely absent from this node (it may be requeued).
    auto job = jobs_.Find(r.job);
    chunk->job_finished = chunk->job_finished && job && IsFinal(job->state);
  } else if (auto* err = std::get_if<wire::Error>(&body); err && err->code == wire::ErrorCode::kNotFound) {
    // No log on the node yet, for a job that is not over: its node refused
    // or lost the start and the job is being requeued, so output may still
    // come. `logs -f` waits for it rather than failing.
    auto job = jobs_.Find(r.job);
    if (job && !IsFinal(job->state)) body = wire::LogChunk{"", r.offset, true, false};
  }
  fx_.Reply(r.reader, std::move(body));
  return true;
}

void LogRelay::OnTimeout(uint64_t request) {
  auto it = reads_.find(request);
  if (it == reads_.end()) return;
  fx_.Error(it->second.reader, wire::ErrorCode::kUnavailable, "the node holding the log did not answer");
  reads_.erase(it);
}

}  // namespace muster::service
