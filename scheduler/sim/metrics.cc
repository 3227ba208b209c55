#include "scheduler/sim/metrics.h"

#include <algorithm>
#include <cmath>

namespace muster::sim {

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  if (p <= 0) return sorted.front();
  double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  size_t i = static_cast<size_t>(std::clamp(rank, 1.0, static_cast<double>(sorted.size()))) - 1;
  return sorted[i];
}

double JainIndex(const std::vector<double>& x) {
  double sum = 0, sq = 0;
  for (double v : x) {
    sum += v;
    sq += v * v;
  }
  if (x.empty() || sq == 0) return 1.0;
  return sum * sum / (static_cast<double>(x.size()) * sq);
}

PolicyResult Summarize(const std::string& name, const Workload& w, const RunOutcome& o) {
  PolicyResult r;
  r.name = name;
  r.preemptions = o.preemptions;
  r.timeouts = o.timeouts;
  r.unfinished = o.unfinished;
  r.stats = o.stats;
  constexpr double kUs = 1e6;
  std::vector<double> slow_sum(w.teams.size(), 0.0), jct_team(w.teams.size(), 0.0),
      gpu_h(w.teams.size(), 0.0);
  std::vector<int64_t> slow_n(w.teams.size(), 0);
  double jct_sum = 0, queue_sum = 0;
  r.job_rows.resize(w.jobs.size());
  for (size_t i = 0; i < w.jobs.size(); ++i) {
    const JobRun& run = o.runs[i];
    const SimJob& job = w.jobs[i];
    auto& row = r.job_rows[i];
    if (run.first_start != kNoTime) row.start_s = static_cast<double>(run.first_start - job.submit) / kUs;
    if (run.finish != kNoTime) row.finish_s = static_cast<double>(run.finish - job.submit) / kUs;
    row.queue_s = static_cast<double>(run.pending_total) / kUs;
    row.preemptions = run.preemptions;
    row.timed_out = run.timed_out;
    if (run.phase != Phase::kDone) continue;
    double jct = static_cast<double>(run.finish - job.submit) / kUs;
    r.jct_sorted_s.push_back(jct);
    jct_sum += jct;
    queue_sum += static_cast<double>(run.pending_total) / kUs;
    if (job.deadline != kNoTime && run.finish > job.deadline) ++r.deadline_misses;
    // Slowdown against the true run time (at least a second, so a 0 s job
    // cannot divide by zero).
    double run_s = std::max(1.0, static_cast<double>(job.duration) / kUs);
    slow_sum[job.team] += jct / run_s;
    jct_team[job.team] += jct;
    gpu_h[job.team] += static_cast<double>(job.duration) * job.gpus / kUs / 3600.0;
    ++slow_n[job.team];
  }
  r.jobs = static_cast<int64_t>(r.jct_sorted_s.size());
  std::sort(r.jct_sorted_s.begin(), r.jct_sorted_s.end());
  if (r.jobs > 0) {
    r.avg_jct_s = jct_sum / static_cast<double>(r.jobs);
    r.avg_queue_s = queue_sum / static_cast<double>(r.jobs);
    r.median_jct_s = Percentile(r.jct_sorted_s, 50);
    r.p95_jct_s = Percentile(r.jct_sorted_s, 95);
    r.p99_jct_s = Percentile(r.jct_sorted_s, 99);
  }
  std::vector<double> team_slowdown;
  for (size_t t = 0; t < slow_sum.size(); ++t) {
    if (slow_n[t] == 0) continue;
    double n = static_cast<double>(slow_n[t]);
    team_slowdown.push_back(slow_sum[t] / n);
    r.teams.push_back({w.teams[t], slow_n[t], gpu_h[t], jct_team[t] / n, slow_sum[t] / n});
  }
  r.fairness = JainIndex(team_slowdown);
  if (o.first_submit != kNoTime && o.last_finish > o.first_submit) {
    double span_us = static_cast<double>(o.last_finish - o.first_submit);
    r.makespan_s = span_us / kUs;
    if (o.total_gpus > 0) r.utilization = o.busy_gpu_us / (static_cast<double>(o.total_gpus) * span_us);
    r.bucket_s = static_cast<double>(o.bucket) / kUs;
    for (size_t b = 0;; ++b) {
      Time from = o.first_submit + static_cast<Time>(b) * o.bucket;
      Time to = std::min<Time>(from + o.bucket, o.last_finish);
      if (to <= from) break;
      double busy = b < o.busy_by_bucket.size() ? o.busy_by_bucket[b] : 0.0;
      r.util_series.push_back(busy / (static_cast<double>(o.total_gpus) * static_cast<double>(to - from)));
    }
  }
  if (o.deferrable_run_gpu_us > 0) r.offpeak_share = o.deferrable_offpeak_gpu_us / o.deferrable_run_gpu_us;
  return r;
}

}  // namespace muster::sim
