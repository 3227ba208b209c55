#include "scheduler/service/node_registry.h"

#include "common/base/log.h"
#include "common/base/strings.h"

namespace muster::service {

void NodeRegistry::Recover(std::vector<Node> nodes, int64_t now_us) {
  for (auto& n : nodes) {
    NodeEntry e;
    e.node = std::move(n);
    e.gpu_owner.assign(e.node.gpus.size(), kNoJob);
    e.last_heartbeat_us = now_us;
    nodes_.emplace(e.node.name, std::move(e));
  }
  views_rebuild_ = true;
}

void NodeRegistry::RecoverPlacement(const Job& job) {
  for (const auto& a : job.placement) {
    auto it = nodes_.find(a.node);
    if (it == nodes_.end()) continue;
    for (int32_t g : a.gpus)
      if (g >= 0 && g < static_cast<int32_t>(it->second.gpu_owner.size())) it->second.gpu_owner[g] = job.id;
    Changed(a.node);
  }
  if (!job.placement.empty() && job.master_port) {
    auto it = nodes_.find(job.placement[0].node);
    if (it != nodes_.end()) it->second.ports.insert(job.master_port);
  }
}

NodeEntry* NodeRegistry::Find(const std::string& name) {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : &it->second;
}

const NodeEntry* NodeRegistry::Find(const std::string& name) const {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : &it->second;
}

NodeEntry* NodeRegistry::ByIdentity(const std::string& identity) {
  auto it = node_of_identity_.find(identity);
  if (it == node_of_identity_.end()) return nullptr;
  auto nt = nodes_.find(it->second);
  return nt != nodes_.end() && nt->second.identity == identity ? &nt->second : nullptr;
}

void NodeRegistry::SetIdentity(NodeEntry& n, const std::string& identity) {
  if (n.identity == identity) return;
  if (!n.identity.empty()) {
    auto it = node_of_identity_.find(n.identity);
    if (it != node_of_identity_.end() && it->second == n.node.name) node_of_identity_.erase(it);
  }
  n.identity = identity;
  if (!identity.empty()) node_of_identity_[identity] = n.node.name;
  Changed(n.node.name);
}

void NodeRegistry::Changed(const std::string& name) {
  if (views_dirty_.size() > nodes_.size())
    views_rebuild_ = true;  // cheaper to rebuild all
  else
    views_dirty_.push_back(name);
}

NodeEntry& NodeRegistry::Register(const Node& reported, const std::string& identity, Time now,
                                  int64_t now_us) {
  auto [it, is_new] = nodes_.try_emplace(reported.name);
  NodeEntry& n = it->second;
  n.node.name = reported.name;
  n.node.address = reported.address.empty() ? "127.0.0.1" : reported.address;
  n.node.gpus = reported.gpus;
  n.node.labels = reported.labels;
  n.node.state = n.node.drain ? NodeState::kDrain : NodeState::kUp;
  n.node.last_heartbeat = now;
  n.gpu_owner.resize(n.node.gpus.size(), kNoJob);
  SetIdentity(n, identity);
  if (is_new)
    views_rebuild_ = true;
  else
    Changed(n.node.name);
  n.last_heartbeat_us = now_us;
  fx_.writes().Put(n.node);
  fx_.ScheduleSoon();
  return n;
}

void NodeRegistry::Heartbeat(NodeEntry& n, const std::string& identity,
                             const std::vector<wire::GpuStat>& gpus, Time now, int64_t now_us) {
  if (n.identity != identity) SetIdentity(n, identity);  // the agent reconnected
  n.last_heartbeat_us = now_us;
  n.node.last_heartbeat = now;  // shown, not persisted (docs/architecture.md)
  ApplyGpuStats(n, gpus);
}

void NodeRegistry::ApplyGpuStats(NodeEntry& n, const std::vector<wire::GpuStat>& stats) {
  for (const auto& s : stats) {
    if (s.index < 0 || s.index >= static_cast<int32_t>(n.node.gpus.size())) continue;
    GpuInfo& g = n.node.gpus[s.index];
    g.utilization_percent = s.utilization_percent;
    g.memory_used_bytes = s.memory_used_bytes;
    if (g.healthy != s.healthy || g.health_reason != s.health_reason) {
      if (s.healthy)
        MLOG(Info) << "node " << n.node.name << " GPU " << s.index << " is healthy again";
      else
        MLOG(Warning) << "node " << n.node.name << " GPU " << s.index
                      << " is out of service: " << s.health_reason;
      g.healthy = s.healthy;
      g.health_reason = s.health_reason;
      Changed(n.node.name);
      fx_.ScheduleSoon();  // capacity changed either way
    }
  }
}

std::vector<std::string> NodeRegistry::Silent(int64_t now_us, int64_t timeout_us) const {
  std::vector<std::string> out;
  for (const auto& [name, n] : nodes_)
    if (n.node.state != NodeState::kDown && now_us - n.last_heartbeat_us > timeout_us) out.push_back(name);
  return out;
}

void NodeRegistry::MarkDown(NodeEntry& n) {
  n.node.state = NodeState::kDown;
  SetIdentity(n, "");
  fx_.writes().Put(n.node);
  fx_.ScheduleSoon();
}

Status NodeRegistry::SetDrain(const std::string& name, bool drain) {
  NodeEntry* e = Find(name);
  if (!e) return Status::NotFound("no node " + name);
  Node& n = e->node;
  if (drain) {
    // Running work finishes; nothing new starts. A DOWN node stays drained
    // when its agent comes back.
    n.drain = true;
    if (n.state == NodeState::kUp) n.state = NodeState::kDrain;
  } else {
    if (!n.drain) return Status::FailedPrecondition("node " + name + " is not drained");
    n.drain = false;
    if (n.state == NodeState::kDrain) n.state = NodeState::kUp;
  }
  fx_.writes().Put(n);
  Changed(name);
  fx_.ScheduleSoon();
  return Status::Ok();
}

void NodeRegistry::Take(JobId job, const std::vector<NodeAllocation>& placement) {
  for (const auto& a : placement) {
    NodeEntry& n = nodes_.at(a.node);
    for (int32_t g : a.gpus) n.gpu_owner[g] = job;
    Changed(a.node);
  }
}

void NodeRegistry::Release(JobId job, const std::vector<NodeAllocation>& placement, int32_t master_port) {
  for (const auto& a : placement) {
    auto it = nodes_.find(a.node);
    if (it == nodes_.end()) continue;
    for (int32_t g : a.gpus)
      if (g >= 0 && g < static_cast<int32_t>(it->second.gpu_owner.size()) && it->second.gpu_owner[g] == job)
        it->second.gpu_owner[g] = kNoJob;
    Changed(a.node);
  }
  if (!placement.empty()) {
    auto it = nodes_.find(placement[0].node);
    if (it != nodes_.end()) it->second.ports.erase(master_port);
  }
  fx_.ScheduleSoon();
}

int32_t NodeRegistry::AllocatePort(const std::string& node) {
  NodeEntry& head = nodes_.at(node);
  int32_t port = options_.port_range_begin;
  while (head.ports.count(port) && port < options_.port_range_end) ++port;
  head.ports.insert(port);
  return port;
}

bool NodeRegistry::AllFree(const std::vector<NodeAllocation>& placement) const {
  for (const auto& a : placement) {
    const NodeEntry* n = Find(a.node);
    if (!n || n->identity.empty() || n->node.state != NodeState::kUp) return false;
    for (int32_t g : a.gpus)
      if (g < 0 || g >= static_cast<int32_t>(n->gpu_owner.size()) || n->gpu_owner[g] != kNoJob) return false;
  }
  return true;
}

core::NodeView NodeRegistry::ViewOf(const NodeEntry& n) {
  core::NodeView v;
  v.name = n.node.name;
  v.labels = n.node.labels;
  v.gpus_total = static_cast<int32_t>(n.gpu_owner.size());
  // An unhealthy GPU is out of service: never free, so never placed.
  for (int32_t g = 0; g < v.gpus_total; ++g)
    if (n.gpu_owner[g] == kNoJob && (g >= static_cast<int32_t>(n.node.gpus.size()) || n.node.gpus[g].healthy))
      v.free_gpus.push_back(g);
  v.schedulable = n.node.state == NodeState::kUp && !n.identity.empty();
  return v;
}

core::ClusterSnapshot& NodeRegistry::Snapshot() {
  if (views_rebuild_) {
    cluster_.nodes.clear();
    cluster_.nodes.reserve(nodes_.size());
    view_index_.clear();
    for (const auto& [name, n] : nodes_) {
      view_index_[name] = cluster_.nodes.size();
      cluster_.nodes.push_back(ViewOf(n));
    }
    views_rebuild_ = false;
  } else {
    for (const auto& name : views_dirty_) {
      auto it = view_index_.find(name);
      auto nt = nodes_.find(name);
      if (it == view_index_.end() || nt == nodes_.end())
        continue;  // gone since: rebuilt when the set changes
      cluster_.nodes[it->second] = ViewOf(nt->second);
    }
  }
  views_dirty_.clear();
  cluster_.running.clear();
  return cluster_;
}

wire::NodeList NodeRegistry::List(const wire::ListNodes& m) const {
  const size_t limit = m.limit == 0 ? wire::kNodePage : std::min(m.limit, wire::kNodePage);
  wire::NodeList out;
  for (auto it = m.after.empty() ? nodes_.begin() : nodes_.upper_bound(m.after); it != nodes_.end(); ++it) {
    if (out.nodes.size() == limit) {
      out.more = true;
      break;
    }
    const NodeEntry& n = it->second;
    wire::NodeStatus s;
    s.node = n.node;
    std::set<JobId> jobs;
    std::vector<std::string> problems;
    for (size_t g = 0; g < n.gpu_owner.size(); ++g) {
      bool healthy = g >= n.node.gpus.size() || n.node.gpus[g].healthy;
      if (!healthy)
        problems.push_back(
            "GPU " + std::to_string(g) + " unhealthy: " +
            (n.node.gpus[g].health_reason.empty() ? "no reason given" : n.node.gpus[g].health_reason));
      if (n.gpu_owner[g] != kNoJob)
        jobs.insert(n.gpu_owner[g]);
      else if (healthy)
        ++s.gpus_free;
    }
    s.problem = Join(problems, "; ");
    if (n.node.state != NodeState::kUp) s.gpus_free = 0;
    s.jobs.assign(jobs.begin(), jobs.end());
    out.nodes.push_back(std::move(s));
  }
  return out;
}

}  // namespace muster::service
