#include "scheduler/sim/cluster_spec.h"

#include <set>

#include "scheduler/sim/trace.h"

namespace muster::sim {
namespace {

std::string Numbered(const char* prefix, int32_t i, int width) {
  std::string digits = std::to_string(i);
  if (static_cast<int>(digits.size()) < width) digits.insert(0, width - digits.size(), '0');
  return prefix + digits;
}

int Width(int32_t count) {
  int w = 1;
  for (int32_t c = count - 1; c >= 10; c /= 10) ++w;
  return std::max(w, 2);
}

}  // namespace

Result<std::vector<NodeSpec>> MakeCluster(const ClusterFlags& f) {
  if (f.nodes < 1 || f.nodes > 100000) return Status::InvalidArgument("--nodes must be between 1 and 100000");
  if (f.gpus_per_node < 1 || f.gpus_per_node > 64)
    return Status::InvalidArgument("--gpus-per-node must be between 1 and 64");
  if (f.nodes_per_switch < 0 || f.switches_per_rack < 0)
    return Status::InvalidArgument("--nodes-per-switch and --switches-per-rack cannot be negative");
  if (f.switches_per_rack > 0 && f.nodes_per_switch == 0)
    return Status::InvalidArgument("--switches-per-rack needs --nodes-per-switch");
  std::vector<NodeSpec> nodes(f.nodes);
  int32_t switches = f.nodes_per_switch > 0 ? (f.nodes + f.nodes_per_switch - 1) / f.nodes_per_switch : 0;
  int32_t racks = f.switches_per_rack > 0 ? (switches + f.switches_per_rack - 1) / f.switches_per_rack : 0;
  for (int32_t i = 0; i < f.nodes; ++i) {
    nodes[i].name = Numbered("node-", i, std::max(Width(f.nodes), 4));
    nodes[i].gpus = f.gpus_per_node;
    if (f.nodes_per_switch > 0) {
      int32_t sw = i / f.nodes_per_switch;
      nodes[i].labels["switch"] = Numbered("s", sw, Width(switches));
      if (f.switches_per_rack > 0)
        nodes[i].labels["rack"] = Numbered("r", sw / f.switches_per_rack, Width(racks));
    }
  }
  return nodes;
}

Result<std::vector<NodeSpec>> LoadClusterFile(const std::string& path) {
  auto table = ReadCsvFile(path);
  if (!table.ok()) return table.status();
  int name = table->ColumnIndex("name"), gpus = table->ColumnIndex("gpus");
  if (name < 0 || gpus < 0)
    return Status::InvalidArgument(path +
                                   ": a cluster file needs columns name,gpus (and optionally rack,switch)");
  int rack = table->ColumnIndex("rack"), sw = table->ColumnIndex("switch");
  std::vector<NodeSpec> nodes;
  std::set<std::string> seen;
  for (const auto& row : table->rows) {
    auto where = path + ":" + std::to_string(row.line) + ": ";
    NodeSpec n;
    n.name = row.fields[name];
    if (n.name.empty()) return Status::InvalidArgument(where + "empty node name");
    if (!seen.insert(n.name).second)
      return Status::InvalidArgument(where + "node '" + n.name + "' listed twice");
    double g = 0;
    if (!ParseNonNegative(row.fields[gpus], &g) || g != static_cast<int32_t>(g) || g < 1 || g > 64)
      return Status::InvalidArgument(where + "gpus '" + row.fields[gpus] +
                                     "' must be a whole number from 1 to 64");
    n.gpus = static_cast<int32_t>(g);
    if (rack >= 0 && !row.fields[rack].empty()) n.labels["rack"] = row.fields[rack];
    if (sw >= 0 && !row.fields[sw].empty()) n.labels["switch"] = row.fields[sw];
    nodes.push_back(std::move(n));
  }
  if (nodes.empty()) return Status::InvalidArgument(path + ": no nodes");
  return nodes;
}

std::string DescribeCluster(const std::vector<NodeSpec>& nodes) {
  int64_t total = 0;
  std::set<int32_t> sizes;
  std::set<std::string> racks, switches;
  for (const auto& n : nodes) {
    total += n.gpus;
    sizes.insert(n.gpus);
    auto r = n.labels.find("rack");
    auto s = n.labels.find("switch");
    std::string rk = r != n.labels.end() ? r->second : "";
    if (!rk.empty()) racks.insert(rk);
    if (s != n.labels.end()) switches.insert(rk + "/" + s->second);
  }
  std::string out = std::to_string(nodes.size()) + " nodes";
  if (sizes.size() == 1) out += " x " + std::to_string(*sizes.begin()) + " GPUs";
  out += " (" + std::to_string(total) + " GPUs)";
  if (!switches.empty()) out += ", " + std::to_string(switches.size()) + " switches";
  if (!racks.empty()) out += ", " + std::to_string(racks.size()) + " racks";
  return out;
}

}  // namespace muster::sim
