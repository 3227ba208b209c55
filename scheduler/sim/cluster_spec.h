// The simulated cluster: nodes with GPU counts and rack/switch labels, from
// flags (--nodes N --gpus-per-node G [--nodes-per-switch S
// --switches-per-rack R]) or a CSV file (name,gpus[,rack][,switch]).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "muster/status.h"

namespace muster::sim {

struct NodeSpec {
  std::string name;
  int32_t gpus = 0;
  std::map<std::string, std::string> labels;  // "rack", "switch"
};

struct ClusterFlags {
  int32_t nodes = 0;
  int32_t gpus_per_node = 8;
  int32_t nodes_per_switch = 0;   // 0: no switch labels
  int32_t switches_per_rack = 0;  // 0: no rack labels (needs nodes_per_switch)
};

// Nodes named node-0000.. in order; switch sNNN groups nodes_per_switch
// consecutive nodes, rack rNN groups switches_per_rack consecutive switches.
Result<std::vector<NodeSpec>> MakeCluster(const ClusterFlags& flags);

// A CSV with a header: name,gpus and optionally rack,switch columns.
Result<std::vector<NodeSpec>> LoadClusterFile(const std::string& path);

// "64 nodes x 8 GPUs (512 GPUs), 16 switches, 4 racks"
std::string DescribeCluster(const std::vector<NodeSpec>& nodes);

}  // namespace muster::sim
