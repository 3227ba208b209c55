// Nodes as a table and JSON.
#include <algorithm>

#include "common/base/strings.h"
#include "scheduler/cli/format.h"

namespace muster::cli {
namespace {

void SortByName(std::vector<wire::NodeStatus>& nodes) {
  std::sort(nodes.begin(), nodes.end(),
            [](const wire::NodeStatus& a, const wire::NodeStatus& b) { return a.node.name < b.node.name; });
}

std::string LabelsText(const std::map<std::string, std::string>& labels) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : labels) parts.push_back(k + "=" + v);
  return parts.empty() ? "-" : Join(parts, ",");
}

std::string HeartbeatAge(Time last, Time now) {
  if (last == kNoTime) return "never";
  Duration age = std::max<Duration>(0, now - last);
  return FormatDuration(age / kSecond * kSecond) + " ago";
}

}  // namespace

std::string FormatNodesTable(std::vector<wire::NodeStatus> nodes, Time now) {
  SortByName(nodes);
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : nodes) {
    rows.push_back({n.node.name, NodeStateName(n.node.state), std::to_string(n.node.gpus.size()),
                    std::to_string(n.gpus_free), LabelsText(n.node.labels),
                    HeartbeatAge(n.node.last_heartbeat, now)});
  }
  return RenderTable({"NAME", "STATE", "GPUS", "FREE", "LABELS", "LAST_HEARTBEAT"}, rows);
}

nlohmann::json NodeToJson(const wire::NodeStatus& n) {
  using nlohmann::json;
  json gpus = json::array();
  for (const auto& g : n.node.gpus)
    gpus.push_back(
        {{"index", g.index}, {"uuid", g.uuid}, {"model", g.model}, {"memory_bytes", g.memory_bytes}});
  json labels = json::object();
  for (const auto& [k, v] : n.node.labels) labels[k] = v;
  return json{
      {"name", n.node.name},
      {"state", NodeStateName(n.node.state)},
      {"address", n.node.address},
      {"gpus_total", n.node.gpus.size()},
      {"gpus_free", n.gpus_free},
      {"labels", labels},
      {"last_heartbeat", TimeToJson(n.node.last_heartbeat)},
      {"gpus", gpus},
      {"jobs", n.jobs},
  };
}

nlohmann::json NodesToJson(std::vector<wire::NodeStatus> nodes) {
  SortByName(nodes);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& n : nodes) out.push_back(NodeToJson(n));
  return out;
}

}  // namespace muster::cli
