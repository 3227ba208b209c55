// The stdout table, the CSV and the stderr speed note.
#include <cstdio>
#include <string>

#include "scheduler/sim/report.h"

namespace muster::sim {
namespace {

std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// 45s, 17.1m, 3.42h, 2.10d: readable at a glance; the JSON has the seconds.
std::string Human(double s) {
  if (s < 120) return Fmt("%.0fs", s);
  if (s < 2 * 3600) return Fmt("%.1fm", s / 60);
  if (s < 2 * 86400) return Fmt("%.2fh", s / 3600);
  return Fmt("%.2fd", s / 86400);
}

std::string Pad(const std::string& s, size_t w, bool left = false) {
  if (s.size() >= w) return s;
  return left ? s + std::string(w - s.size(), ' ') : std::string(w - s.size(), ' ') + s;
}

}  // namespace

std::string RenderTable(const SimInputs& in, const std::vector<PolicyResult>& results) {
  std::string out = "muster-sim: " + in.trace_name + ", " + std::to_string(in.workload.jobs.size()) + " jobs";
  if (in.workload.unplaceable)
    out += " (+" + std::to_string(in.workload.unplaceable) + " too large for the cluster)";
  out += ", " + DescribeCluster(in.nodes) + "\n\n";
  const std::vector<std::pair<std::string, size_t>> cols = {
      {"policy", 8},  {"jobs", 7},       {"avg JCT", 9},  {"median", 9}, {"p95", 9},
      {"p99", 9},     {"avg queue", 10}, {"makespan", 9}, {"util", 6},   {"preempt", 8},
      {"offpeak", 8}, {"dl-miss", 8},    {"fairness", 9}};
  for (size_t i = 0; i < cols.size(); ++i)
    out += Pad(cols[i].first, cols[i].second, i == 0) + (i + 1 < cols.size() ? " " : "\n");
  for (const auto& r : results) {
    std::vector<std::string> v = {r.name,
                                  std::to_string(r.jobs),
                                  Human(r.avg_jct_s),
                                  Human(r.median_jct_s),
                                  Human(r.p95_jct_s),
                                  Human(r.p99_jct_s),
                                  Human(r.avg_queue_s),
                                  Human(r.makespan_s),
                                  Fmt("%.3f", r.utilization),
                                  std::to_string(r.preemptions),
                                  Fmt("%.3f", r.offpeak_share),
                                  std::to_string(r.deadline_misses),
                                  Fmt("%.4f", r.fairness)};
    for (size_t i = 0; i < cols.size(); ++i)
      out += Pad(v[i], cols[i].second, i == 0) + (i + 1 < cols.size() ? " " : "\n");
  }
  for (const auto& r : results) {
    if (r.timeouts) out += r.name + ": " + std::to_string(r.timeouts) + " jobs killed at their time limit\n";
    if (r.unfinished)
      out += r.name + ": " + std::to_string(r.unfinished) + " jobs never finished (not in the figures)\n";
  }
  return out;
}

std::string RenderCsv(const std::vector<PolicyResult>& results) {
  std::string out =
      "name,jobs,avg_jct_s,median_jct_s,p95_jct_s,p99_jct_s,avg_queue_s,makespan_s,utilization,preemptions,"
      "offpeak_share,deadline_misses,fairness\n";
  for (const auto& r : results) {
    out += r.name + "," + std::to_string(r.jobs) + "," + Fmt("%.3f", r.avg_jct_s) + "," +
           Fmt("%.3f", r.median_jct_s) + "," + Fmt("%.3f", r.p95_jct_s) + "," + Fmt("%.3f", r.p99_jct_s) +
           "," + Fmt("%.3f", r.avg_queue_s) + "," + Fmt("%.3f", r.makespan_s) + "," +
           Fmt("%.6f", r.utilization) + "," + std::to_string(r.preemptions) + "," +
           Fmt("%.6f", r.offpeak_share) + "," + std::to_string(r.deadline_misses) + "," +
           Fmt("%.6f", r.fairness) + "\n";
  }
  return out;
}

std::string RenderTeamCsv(const std::vector<PolicyResult>& results) {
  std::string out = "policy,team,jobs,gpu_hours,avg_jct_s,avg_slowdown\n";
  for (const auto& r : results)
    for (const auto& t : r.teams)
      out += r.name + "," + t.team + "," + std::to_string(t.jobs) + "," + Fmt("%.3f", t.gpu_hours) + "," +
             Fmt("%.3f", t.avg_jct_s) + "," + Fmt("%.4f", t.avg_slowdown) + "\n";
  return out;
}

std::string RenderJobsCsv(const SimInputs& in, const std::vector<PolicyResult>& results) {
  std::string out =
      "policy,job,team,gpus,submit_s,duration_s,start_s,finish_s,queue_s,preemptions,timed_out\n";
  const Time origin = in.workload.jobs.empty() ? 0 : in.workload.jobs.front().submit;
  for (const auto& r : results)
    for (size_t i = 0; i < r.job_rows.size() && i < in.workload.jobs.size(); ++i) {
      const SimJob& j = in.workload.jobs[i];
      const auto& row = r.job_rows[i];
      out += r.name + "," + j.name + "," + in.workload.teams[j.team] + "," + std::to_string(j.gpus) + "," +
             Fmt("%.0f", static_cast<double>(j.submit - origin) / kSecond) + "," +
             Fmt("%.0f", static_cast<double>(j.duration) / kSecond) + "," + Fmt("%.0f", row.start_s) + "," +
             Fmt("%.0f", row.finish_s) + "," + Fmt("%.0f", row.queue_s) + "," +
             std::to_string(row.preemptions) + "," + (row.timed_out ? "1" : "0") + "\n";
    }
  return out;
}

std::string RenderSpeed(const SimInputs& in, const std::vector<PolicyResult>& results) {
  std::string out = "speed (wall clock on this machine; not part of the results):\n";
  double total = 0;
  for (const auto& r : results) {
    total += r.wall_s;
    double w = r.wall_s > 0 ? r.wall_s : 1e-9;
    char buf[256];
    std::snprintf(
        buf, sizeof buf,
        "  %-7s %8.3f s  %10.0f jobs/s  %11.0f events/s  %9lld events  %8lld decisions  %8lld batches\n",
        r.name.c_str(), r.wall_s, static_cast<double>(in.workload.jobs.size()) / w,
        static_cast<double>(r.stats.events) / w, static_cast<long long>(r.stats.events),
        static_cast<long long>(r.stats.decisions), static_cast<long long>(r.stats.batches));
    out += buf;
    if (r.stats.stale_starts)
      out +=
          "  " + r.name + ": " + std::to_string(r.stats.stale_starts) + " starts refused by the re-check\n";
  }
  out += Fmt("  all policies: %.3f s\n", total);
  return out;
}

}  // namespace muster::sim
