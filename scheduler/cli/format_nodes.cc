// Nodes as a table and JSON.
#include <algorithm>
#include <cstdio>

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

std::string Gib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fGiB", static_cast<double>(bytes) / (1ull << 30));
  return buf;
}

std::string PeersText(const std::vector<int32_t>& peers) {
  std::vector<std::string> parts;
  for (int32_t p : peers) parts.push_back(std::to_string(p));
  return parts.empty() ? "-" : Join(parts, ",");
}

}  // namespace

std::string FormatGpusTable(std::vector<wire::NodeStatus> nodes) {
  SortByName(nodes);
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : nodes) {
    for (const auto& g : n.node.gpus) {
      rows.push_back({n.node.name, std::to_string(g.index), g.model.empty() ? "-" : g.model,
                      Gib(g.memory_bytes), std::to_string(g.utilization_percent) + "%",
                      Gib(g.memory_used_bytes), g.healthy ? "ok" : "UNHEALTHY: " + g.health_reason,
                      PeersText(g.nvlink_peers)});
    }
  }
  return RenderTable({"NODE", "GPU", "MODEL", "MEMORY", "UTIL", "MEM_USED", "HEALTH", "NVLINK"}, rows);
}

std::string FormatNodesTable(std::vector<wire::NodeStatus> nodes, Time now) {
  SortByName(nodes);
  // A PROBLEM column only when some node has one (e.g. an unhealthy GPU).
  bool problems = std::any_of(nodes.begin(), nodes.end(), [](const auto& n) { return !n.problem.empty(); });
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : nodes) {
    rows.push_back({n.node.name, NodeStateName(n.node.state), std::to_string(n.node.gpus.size()),
                    std::to_string(n.gpus_free), LabelsText(n.node.labels),
                    HeartbeatAge(n.node.last_heartbeat, now)});
    if (problems) rows.back().push_back(n.problem.empty() ? "-" : n.problem);
  }
  std::vector<std::string> header = {"NAME", "STATE", "GPUS", "FREE", "LABELS", "LAST_HEARTBEAT"};
  if (problems) header.push_back("PROBLEM");
  return RenderTable(header, rows);
}

nlohmann::json NodeToJson(const wire::NodeStatus& n) {
  using nlohmann::json;
  json gpus = json::array();
  for (const auto& g : n.node.gpus)
    gpus.push_back({{"index", g.index},
                    {"uuid", g.uuid},
                    {"model", g.model},
                    {"memory_bytes", g.memory_bytes},
                    {"nvlink_peers", g.nvlink_peers},
                    {"healthy", g.healthy},
                    {"health_reason", g.health_reason},
                    {"utilization_percent", g.utilization_percent},
                    {"memory_used_bytes", g.memory_used_bytes}});
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
      {"problem", n.problem},
  };
}

nlohmann::json NodesToJson(std::vector<wire::NodeStatus> nodes) {
  SortByName(nodes);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& n : nodes) out.push_back(NodeToJson(n));
  return out;
}

}  // namespace muster::cli
