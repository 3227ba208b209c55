#include <cmath>
#include <nlohmann/json.hpp>

#include "common/base/strings.h"
#include "scheduler/sim/report.h"

namespace muster::sim {
namespace {

using Json = nlohmann::ordered_json;

// Fixed decimals keep the JSON short and stable to read; the values are
// already deterministic.
double Round(double x, int digits) {
  double f = std::pow(10.0, digits);
  double r = std::round(x * f) / f;
  return r == 0 ? 0.0 : r;  // no "-0"
}

double Seconds(Duration d) { return static_cast<double>(d) / static_cast<double>(kSecond); }

Json Inputs(const SimInputs& in) {
  const SimOptions& o = in.options;
  const WorkloadOptions& w = o.workload;
  Json j;
  Json trace;
  trace["file"] = in.trace_name;
  trace["sha256"] = in.trace_sha256;
  trace["bytes"] = in.trace_bytes;
  trace["rows"] = in.trace.rows;
  trace["skipped_rows"] = in.trace.skipped_rows;
  trace["filtered_out"] = in.workload.filtered_out;
  trace["unplaceable"] = in.workload.unplaceable;
  trace["jobs"] = in.workload.jobs.size();
  trace["deferrable"] = in.workload.deferrable;
  trace["teams"] = in.workload.teams.size();
  trace["queues"] = in.workload.queues.size();
  trace["columns"] = {{"id", w.columns.id},
                      {"submit", w.columns.submit},
                      {"gpus", w.columns.gpus},
                      {"duration", w.columns.duration},
                      {"team", in.trace.team_column},
                      {"queue", w.columns.queue},
                      {"timestamp", w.columns.timestamp}};
  j["trace"] = trace;
  Json cluster;
  if (!in.cluster_name.empty()) {
    cluster["file"] = in.cluster_name;
    cluster["sha256"] = in.cluster_sha256;
  } else {
    cluster["nodes_flag"] = o.cluster.nodes;
    cluster["gpus_per_node"] = o.cluster.gpus_per_node;
    cluster["nodes_per_switch"] = o.cluster.nodes_per_switch;
    cluster["switches_per_rack"] = o.cluster.switches_per_rack;
  }
  int64_t gpus = 0;
  for (const auto& n : in.nodes) gpus += n.gpus;
  cluster["nodes"] = in.nodes.size();
  cluster["gpus"] = gpus;
  cluster["description"] = DescribeCluster(in.nodes);
  j["cluster"] = cluster;
  j["policies"] = o.policies;
  j["trace_start"] = FormatRfc3339(in.workload.trace_start);
  j["start"] = w.start;
  j["end"] = w.end;
  j["max_jobs"] = w.max_jobs;
  j["seed"] = w.seed;
  j["default_time_limit_s"] = Seconds(w.default_time_limit);
  if (w.limit_factor > 0) {
    j["time_limit_from_duration"] = {{"factor", w.limit_factor}, {"noise", w.limit_noise}};
  } else {
    j["time_limit_from_duration"] = nullptr;
  }
  j["kill_at_time_limit"] = o.engine.kill_at_time_limit;
  j["restart_overhead_s"] = Seconds(o.engine.restart_overhead);
  j["grace_s"] = Seconds(o.engine.grace);
  j["offpeak"] = w.offpeak;
  j["timezone"] = w.timezone;
  j["deferrable_fraction"] = w.deferrable_fraction;
  j["deadline_slack_s"] = Seconds(w.deadline_slack);
  j["window_may_overrun"] = w.window_may_overrun;
  j["fair_share_half_life_s"] = Seconds(o.muster.fair_share_half_life);
  j["backfill"] = o.muster.backfill;
  j["prune"] = o.muster.prune;
  Json queues = Json::array();
  for (const auto& q : o.muster.queues)
    queues.push_back({{"name", q.name},
                      {"weight", q.weight},
                      {"guaranteed", q.guaranteed},
                      {"max", q.max},
                      {"tier", q.tier}});
  j["queues"] = queues;
  j["las_thresholds_gpu_hours"] = o.las.thresholds_gpu_hours;
  j["util_bucket_s"] = Seconds(o.engine.util_bucket);
  j["skip_bad_rows"] = o.skip_bad_rows;
  return j;
}

}  // namespace

std::string RenderJson(const SimInputs& in, const std::vector<PolicyResult>& results) {
  Json root;
  root["inputs"] = Inputs(in);
  Json policies = Json::array();
  for (const auto& r : results) {
    Json p;
    p["name"] = r.name;
    p["jobs"] = r.jobs;
    p["avg_jct_s"] = Round(r.avg_jct_s, 3);
    p["median_jct_s"] = Round(r.median_jct_s, 3);
    p["p95_jct_s"] = Round(r.p95_jct_s, 3);
    p["p99_jct_s"] = Round(r.p99_jct_s, 3);
    p["avg_queue_s"] = Round(r.avg_queue_s, 3);
    p["makespan_s"] = Round(r.makespan_s, 3);
    p["utilization"] = Round(r.utilization, 6);
    p["preemptions"] = r.preemptions;
    p["offpeak_share"] = Round(r.offpeak_share, 6);
    p["deadline_misses"] = r.deadline_misses;
    p["fairness"] = Round(r.fairness, 6);
    policies.push_back(p);
  }
  root["policies"] = policies;
  return root.dump(2) + "\n";
}

}  // namespace muster::sim
