// Queues and fair-share usage as tables and JSON.
#include <algorithm>
#include <cstdio>
#include <map>

#include "common/base/strings.h"
#include "scheduler/cli/format.h"

namespace muster::cli {
namespace {

std::string WeightText(double w) { return FormatDouble("%g", w); }
std::string GpuHoursText(double h) { return FormatDouble("%.2f", h); }
std::string ShareText(double share) { return FormatDouble("%.1f%%", share * 100); }

double Fraction(double part, double total) { return total > 0 ? part / total : 0.0; }

void SortByName(std::vector<wire::QueueInfo>& queues) {
  std::sort(queues.begin(), queues.end(),
            [](const wire::QueueInfo& a, const wire::QueueInfo& b) { return a.spec.name < b.spec.name; });
}

// The queues by name, each with its teams by name; teams of a queue that is
// not in the list come last, grouped the same way.
struct UsageView {
  std::vector<wire::QueueInfo> queues;
  std::map<std::string, std::vector<wire::TeamInfo>> teams;  // by queue
  double queue_total = 0, team_total = 0;
};

UsageView ViewOf(const wire::QueueList& list) {
  UsageView v;
  v.queues = list.queues;
  SortByName(v.queues);
  for (const auto& q : v.queues) v.queue_total += q.usage_gpu_hours;
  for (const auto& t : list.teams) {
    v.teams[t.queue].push_back(t);
    v.team_total += t.usage_gpu_hours;
  }
  for (auto& [queue, teams] : v.teams)
    std::sort(teams.begin(), teams.end(),
              [](const wire::TeamInfo& a, const wire::TeamInfo& b) { return a.team < b.team; });
  return v;
}

}  // namespace

std::string FormatQueuesTable(std::vector<wire::QueueInfo> queues) {
  SortByName(queues);
  std::vector<std::vector<std::string>> rows;
  for (const auto& q : queues) {
    const QueueSpec& s = q.spec;
    rows.push_back({s.name, WeightText(s.weight), std::to_string(s.guaranteed_gpus),
                    s.max_gpus < 0 ? "-" : std::to_string(s.max_gpus), std::to_string(s.tier),
                    s.paused ? "yes" : "no", std::to_string(q.running), std::to_string(q.pending),
                    std::to_string(q.gpus_used), GpuHoursText(q.usage_gpu_hours)});
  }
  return RenderTable({"NAME", "WEIGHT", "GUARANTEED", "MAX", "TIER", "PAUSED", "RUNNING", "PENDING",
                      "GPUS_USED", "USAGE_GPU_H"},
                     rows);
}

nlohmann::json QueueToJson(const wire::QueueInfo& q) {
  using nlohmann::json;
  const QueueSpec& s = q.spec;
  return json{
      {"name", s.name},
      {"weight", s.weight},
      {"guaranteed", s.guaranteed_gpus},
      {"max", s.max_gpus < 0 ? json(nullptr) : json(s.max_gpus)},
      {"tier", s.tier},
      {"paused", s.paused},
      {"running", q.running},
      {"pending", q.pending},
      {"gpus_used", q.gpus_used},
      {"usage_gpu_h", q.usage_gpu_hours},
      {"default_time_limit_s", s.default_time_limit / kSecond},
      {"default_window", WindowName(s.default_window)},
  };
}

nlohmann::json QueuesToJson(std::vector<wire::QueueInfo> queues) {
  SortByName(queues);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& q : queues) out.push_back(QueueToJson(q));
  return out;
}

std::string FormatUsage(const wire::QueueList& list) {
  UsageView v = ViewOf(list);
  std::vector<std::vector<std::string>> rows;
  auto add_teams = [&](const std::vector<wire::TeamInfo>& teams) {
    for (const auto& t : teams)
      rows.push_back({t.queue, t.team, std::to_string(t.gpus_used), GpuHoursText(t.usage_gpu_hours),
                      ShareText(Fraction(t.usage_gpu_hours, v.team_total))});
  };
  for (const auto& q : v.queues) {
    rows.push_back({q.spec.name, "-", std::to_string(q.gpus_used), GpuHoursText(q.usage_gpu_hours),
                    ShareText(Fraction(q.usage_gpu_hours, v.queue_total))});
    if (auto it = v.teams.find(q.spec.name); it != v.teams.end()) {
      add_teams(it->second);
      v.teams.erase(it);
    }
  }
  for (const auto& [queue, teams] : v.teams) add_teams(teams);
  return "Usage in decayed GPU-hours, half-life " + FormatDouble("%g", list.half_life_hours) + "h\n" +
         RenderTable({"QUEUE", "TEAM", "GPUS_USED", "USAGE_GPU_H", "SHARE"}, rows);
}

nlohmann::json UsageToJson(const wire::QueueList& list) {
  using nlohmann::json;
  UsageView v = ViewOf(list);
  json queues = json::array(), teams = json::array();
  for (const auto& q : v.queues)
    queues.push_back({{"queue", q.spec.name},
                      {"gpus_used", q.gpus_used},
                      {"usage_gpu_h", q.usage_gpu_hours},
                      {"share", Fraction(q.usage_gpu_hours, v.queue_total)}});
  for (const auto& [queue, ts] : v.teams)
    for (const auto& t : ts)
      teams.push_back({{"queue", t.queue},
                       {"team", t.team},
                       {"gpus_used", t.gpus_used},
                       {"usage_gpu_h", t.usage_gpu_hours},
                       {"share", Fraction(t.usage_gpu_hours, v.team_total)}});
  return json{{"half_life_hours", list.half_life_hours}, {"queues", queues}, {"teams", teams}};
}

}  // namespace muster::cli
