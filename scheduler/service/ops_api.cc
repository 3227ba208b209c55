// Operator requests: queues, node drain/resume, holds, requeue, priority.
// (Authorisation by role comes with the security issue.)
#include "common/base/job_spec.h"
#include "common/base/log.h"
#include "scheduler/service/server.h"

namespace muster::service {

namespace {

Status ValidateQueue(const QueueSpec& q) {
  if (!IsValidName(q.name)) return Status::InvalidArgument("bad queue name '" + q.name + "': 1-64 of letters, digits, . _ -");
  if (!(q.weight > 0) || q.weight > 1e6) return Status::InvalidArgument("weight must be > 0");
  if (q.guaranteed_gpus < 0) return Status::InvalidArgument("guaranteed GPUs cannot be negative");
  if (q.max_gpus < -1) return Status::InvalidArgument("max GPUs must be -1 (no cap) or more");
  if (q.max_gpus >= 0 && q.max_gpus < q.guaranteed_gpus)
    return Status::InvalidArgument("max GPUs (" + std::to_string(q.max_gpus) + ") is below guaranteed (" +
                                   std::to_string(q.guaranteed_gpus) + ")");
  if (q.default_time_limit < 0) return Status::InvalidArgument("default time limit cannot be negative");
  return Status::Ok();
}

}  // namespace

void Server::OnPutQueue(const std::string& from, uint64_t rid, const wire::PutQueue& m) {
  auto it = queues_.find(m.spec.name);
  QueueSpec q;
  if (m.create) {
    if (it != queues_.end())
      return ReplyError(from, rid, wire::ErrorCode::kFailedPrecondition, "queue " + m.spec.name + " already exists");
    q = m.spec;
  } else {
    if (it == queues_.end())
      return ReplyError(from, rid, wire::ErrorCode::kNotFound, "no queue " + m.spec.name);
    q = it->second;
    if (m.fields & wire::kQueueWeight) q.weight = m.spec.weight;
    if (m.fields & wire::kQueueGuaranteed) q.guaranteed_gpus = m.spec.guaranteed_gpus;
    if (m.fields & wire::kQueueMax) q.max_gpus = m.spec.max_gpus;
    if (m.fields & wire::kQueueTier) q.tier = m.spec.tier;
    if (m.fields & wire::kQueueDefaultTimeLimit) q.default_time_limit = m.spec.default_time_limit;
    if (m.fields & wire::kQueueDefaultWindow) q.default_window = m.spec.default_window;
    if (m.fields & wire::kQueuePaused) q.paused = m.spec.paused;
  }
  Status st = ValidateQueue(q);
  if (!st.ok()) return ReplyError(from, rid, wire::ErrorCode::kInvalidSpec, st.message());
  queues_[q.name] = q;
  ws_.Put(q);
  schedule_needed_ = true;
  MLOG(Info) << (m.create ? "created" : "updated") << " queue " << q.name;
  Reply(from, rid, wire::Ok{});
}

void Server::OnDeleteQueue(const std::string& from, uint64_t rid, const wire::DeleteQueue& m) {
  if (!queues_.count(m.name)) return ReplyError(from, rid, wire::ErrorCode::kNotFound, "no queue " + m.name);
  if (m.name == "default")
    return ReplyError(from, rid, wire::ErrorCode::kFailedPrecondition, "the default queue cannot be deleted");
  size_t jobs = 0;
  for (const auto& [id, e] : active_)
    if (e.job.spec.queue == m.name) ++jobs;
  if (jobs)
    return ReplyError(from, rid, wire::ErrorCode::kFailedPrecondition,
                      "queue " + m.name + " still has " + std::to_string(jobs) + " active job(s)");
  for (const auto& [name, model] : models_)
    if (model.spec.job.queue == m.name)
      return ReplyError(from, rid, wire::ErrorCode::kFailedPrecondition,
                        "queue " + m.name + " is the queue of model '" + name + "' (update or delete the model first)");
  queues_.erase(m.name);
  ws_.DeleteQueueNamed(m.name);
  Reply(from, rid, wire::Ok{});
}

void Server::OnListQueues(const std::string& from, uint64_t rid) {
  AdvanceUsage(clock_.Now());
  wire::QueueList out;
  out.half_life_hours = static_cast<double>(options_.fair_share_half_life) / kHour;
  std::map<std::string, wire::QueueInfo> info;
  std::map<std::pair<std::string, std::string>, wire::TeamInfo> teams;
  for (const auto& [name, spec] : queues_) info[name] = {spec, 0, 0, 0, usage_.Queue(name)};
  for (const auto& [key, v] : usage_.teams()) teams[key] = {key.first, key.second, 0, v};
  for (const auto& [id, e] : active_) {
    auto it = info.find(e.job.spec.queue);
    if (it == info.end()) continue;
    auto& team = teams[{e.job.spec.queue, e.job.spec.team}];
    team.queue = e.job.spec.queue;
    team.team = e.job.spec.team;
    if (e.job.state == JobState::kPending) {
      ++it->second.pending;
      continue;
    }
    ++it->second.running;
    for (const auto& a : e.job.placement) {
      it->second.gpus_used += static_cast<int32_t>(a.gpus.size());
      team.gpus_used += static_cast<int32_t>(a.gpus.size());
    }
  }
  for (auto& [n, i] : info) out.queues.push_back(std::move(i));
  for (auto& [k, t] : teams) out.teams.push_back(std::move(t));
  Reply(from, rid, std::move(out));
}

void Server::OnNodeAction(const std::string& from, uint64_t rid, const wire::NodeAction& m) {
  auto it = nodes_.find(m.node);
  if (it == nodes_.end()) return ReplyError(from, rid, wire::ErrorCode::kNotFound, "no node " + m.node);
  Node& n = it->second.node;
  if (m.op == wire::NodeOp::kDrain) {
    // Running work finishes; nothing new starts. A DOWN node stays drained
    // when its agent comes back.
    n.drain = true;
    if (n.state == NodeState::kUp) n.state = NodeState::kDrain;
  } else {
    if (!n.drain)
      return ReplyError(from, rid, wire::ErrorCode::kFailedPrecondition, "node " + m.node + " is not drained");
    n.drain = false;
    if (n.state == NodeState::kDrain) n.state = NodeState::kUp;
  }
  ws_.Put(n);
  NodeChanged(m.node);
  schedule_needed_ = true;
  Reply(from, rid, wire::Ok{});
}

void Server::OnJobAction(const std::string& from, uint64_t rid, const wire::JobAction& m) {
  JobEntry* found = ActiveJobOrReply(from, rid, m.id);
  if (!found) return;
  JobEntry& e = *found;
  Job& j = e.job;
  switch (m.op) {
    case wire::JobOp::kHold:
      if (j.state != JobState::kPending)
        return ReplyError(from, rid, wire::ErrorCode::kFailedPrecondition,
                          "only a pending job can be held; " + JobName(j) + " is " + JobStateName(j.state));
      j.held = true;
      j.reason = PendingReason::kHeld;
      j.reason_detail = "held; `muster release` lets it run";
      break;
    case wire::JobOp::kRelease:
      if (!j.held)
        return ReplyError(from, rid, wire::ErrorCode::kFailedPrecondition, JobName(j) + " is not held");
      j.held = false;
      break;
    case wire::JobOp::kSetPriority:
      j.spec.priority = m.priority;
      break;
    case wire::JobOp::kRequeue:
      if (j.placement.empty())
        return ReplyError(from, rid, wire::ErrorCode::kFailedPrecondition,
                          JobName(j) + " is not running");
      // TearDown persists the job and may requeue it at once (e is then reused).
      TearDown(e, JobState::kPreempted, /*requeue=*/true, "requeued by an operator");
      schedule_needed_ = true;
      return Reply(from, rid, wire::Ok{});
  }
  IndexPending(j);  // held, released or reprioritised: its place in the order moved
  Persist(j);
  schedule_needed_ = true;
  Reply(from, rid, wire::Ok{});
}

}  // namespace muster::service
