// musterd's nodes (docs/architecture.md "musterd's parts"): membership, the
// agent connection of each node, who holds which GPU and MASTER_PORT, GPU
// health, and the cluster as the policy core sees it, kept between cycles
// so that a cycle over 10,000 nodes rebuilds only the nodes that changed.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/proto/messages.h"
#include "muster/types.h"
#include "scheduler/core/snapshot.h"
#include "scheduler/service/effects.h"

namespace muster::service {

struct NodeEntry {
  Node node;
  std::string identity;           // the agent's transport identity; empty: not connected
  int64_t last_heartbeat_us = 0;  // monotonic
  std::vector<JobId> gpu_owner;   // by GPU index; kNoJob = free
  std::set<int32_t> ports;        // MASTER_PORTs in use on this node
};

class NodeRegistry {
 public:
  struct Options {
    int32_t port_range_begin = 29500;  // MASTER_PORT allocation, per node
    int32_t port_range_end = 30500;
  };
  NodeRegistry(Options options, Effects& fx) : options_(options), fx_(fx) {}
  NodeRegistry(const NodeRegistry&) = delete;
  NodeRegistry& operator=(const NodeRegistry&) = delete;

  // Known nodes from the store get one heartbeat timeout from `now_us` to
  // come back before they are declared DOWN.
  void Recover(std::vector<Node> nodes, int64_t now_us);
  // A placed job's GPUs and port, after a restart.
  void RecoverPlacement(const Job& job);

  NodeEntry* Find(const std::string& name);
  const NodeEntry* Find(const std::string& name) const;
  // The node whose agent is connected as `identity`, or null.
  NodeEntry* ByIdentity(const std::string& identity);
  const std::map<std::string, NodeEntry>& nodes() const { return nodes_; }

  // An agent registered: the node's record as it reports it (checked by the caller).
  NodeEntry& Register(const Node& reported, const std::string& identity, Time now, int64_t now_us);
  // A heartbeat of a registered node: liveness and GPU samples/health.
  void Heartbeat(NodeEntry& n, const std::string& identity, const std::vector<wire::GpuStat>& gpus, Time now,
                 int64_t now_us);
  // Nodes up or draining whose last heartbeat is older than `timeout_us`.
  std::vector<std::string> Silent(int64_t now_us, int64_t timeout_us) const;
  void MarkDown(NodeEntry& n);
  // `muster node drain|resume`: Ok or why not.
  Status SetDrain(const std::string& name, bool drain);

  // A placement's GPUs, and the MASTER_PORT on its first node.
  void Take(JobId job, const std::vector<NodeAllocation>& placement);
  void Release(JobId job, const std::vector<NodeAllocation>& placement, int32_t master_port);
  int32_t AllocatePort(const std::string& node);
  // Whether every GPU of `placement` is on an up, connected node and free
  // (the plan re-check before a launch).
  bool AllFree(const std::vector<NodeAllocation>& placement) const;

  // The cluster as the core sees it; `running` is left for the caller.
  core::ClusterSnapshot& Snapshot();
  // `muster nodes`, a page at a time.
  wire::NodeList List(const wire::ListNodes& m) const;

 private:
  void SetIdentity(NodeEntry& n, const std::string& identity);
  // Whatever the core's view of a node reads changed.
  void Changed(const std::string& name);
  static core::NodeView ViewOf(const NodeEntry& n);
  void ApplyGpuStats(NodeEntry& n, const std::vector<wire::GpuStat>& stats);

  Options options_;
  Effects& fx_;
  std::map<std::string, NodeEntry> nodes_;
  std::unordered_map<std::string, std::string> node_of_identity_;
  core::ClusterSnapshot cluster_;
  std::unordered_map<std::string, size_t> view_index_;  // node -> cluster_.nodes index
  std::vector<std::string> views_dirty_;
  bool views_rebuild_ = true;  // the set of nodes changed
};

}  // namespace muster::service
