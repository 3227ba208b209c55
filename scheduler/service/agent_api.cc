#include "scheduler/service/agent_api.h"

#include "common/base/job_spec.h"
#include "common/base/log.h"

namespace muster::service {

void AgentApi::OnRegister(const Caller& from, const wire::Register& m) {
  const std::string& name = m.node.name;
  if (!IsValidName(name))
    return fx_.Error(from, wire::ErrorCode::kBadRequest,
                     "bad node name '" + name + "': 1-64 of letters, digits, . _ -");
  if (m.node.gpus.size() > static_cast<size_t>(kMaxGpusPerNode))
    return fx_.Error(from, wire::ErrorCode::kBadRequest, "too many GPUs on one node");
  for (size_t i = 0; i < m.node.gpus.size(); ++i)
    if (m.node.gpus[i].index != static_cast<int32_t>(i))
      return fx_.Error(from, wire::ErrorCode::kBadRequest, "GPU indices must be 0..N-1 in order");
  const bool known = nodes_.Find(name) != nullptr;
  NodeEntry& n = nodes_.Register(m.node, from.peer, clock_.Now(), clock_.MonotonicNow());
  MLOG(Info) << "node " << name << " registered: " << n.node.gpus.size() << " GPUs, " << m.running.size()
             << " running ranks, " << m.exited.size() << " unreported exits" << (known ? "" : " (new)");
  wire::RegisterReply reply;
  reply.heartbeat_interval_ms = options_.heartbeat_interval_ms;
  gangs_.Reconcile(n, from, m, std::move(reply));
}

void AgentApi::OnHeartbeat(const Caller& from, const wire::Heartbeat& m) {
  NodeEntry* n = nodes_.Find(m.node);
  if (!n || n->identity.empty() || n->node.state == NodeState::kDown)
    return fx_.Error(from, wire::ErrorCode::kNotRegistered, "register first");
  nodes_.Heartbeat(*n, from.peer, m.gpus, clock_.Now(), clock_.MonotonicNow());
}

void AgentApi::CheckLiveness() {
  const int64_t timeout_us = options_.heartbeat_timeout;
  for (const std::string& name : nodes_.Silent(clock_.MonotonicNow(), timeout_us)) {
    NodeEntry* n = nodes_.Find(name);
    std::string why = "no heartbeat for " + std::to_string(timeout_us / kSecond) + "s";
    MLOG(Warning) << "node " << name << " is DOWN: " << why;
    nodes_.MarkDown(*n);
    gangs_.NodeLost(name, why);
  }
}

}  // namespace muster::service
