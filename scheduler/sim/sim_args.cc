#include "scheduler/sim/sim_args.h"

#include <boost/program_options.hpp>
#include <charconv>
#include <cmath>
#include <iostream>

#include "common/base/strings.h"
#include "common/config/options.h"

namespace muster::sim {
namespace po = boost::program_options;

namespace {

bool ToDouble(const std::string& s, double* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(*out);
}

bool ToInt(const std::string& s, int32_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

Result<QueueOption> ParseQueueOption(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("bad queue '" + text + "': " + why +
                                   " (e.g. \"prod:weight=2,guaranteed=64,max=128,tier=1\")");
  };
  QueueOption q;
  size_t colon = text.find(':');
  q.name = text.substr(0, colon);
  if (q.name.empty()) return bad("no name");
  if (colon == std::string::npos) return q;
  auto kv = ParseKeyValues(text.substr(colon + 1));
  if (!kv.ok()) return bad(kv.status().message());
  for (const auto& [k, v] : *kv) {
    bool ok = true;
    if (k == "weight") {
      ok = ToDouble(v, &q.weight) && q.weight > 0;
    } else if (k == "guaranteed") {
      ok = ToInt(v, &q.guaranteed) && q.guaranteed >= 0;
    } else if (k == "max") {
      ok = ToInt(v, &q.max) && q.max >= -1;
    } else if (k == "tier") {
      ok = ToInt(v, &q.tier);
    } else {
      return bad("unknown key '" + k + "'");
    }
    if (!ok) return bad("bad value for " + k + ": '" + v + "'");
  }
  return q;
}

Result<std::pair<double, double>> ParseFactorNoise(const std::string& text) {
  auto parts = Split(text, ',');
  double f = 0, n = 0;
  if (parts.size() > 2 || !ToDouble(parts[0], &f) || f <= 0 ||
      (parts.size() == 2 && (!ToDouble(parts[1], &n) || n < 0)))
    return Status::InvalidArgument(
        "--time-limit-from-duration: expected FACTOR[,NOISE] with FACTOR > 0, NOISE >= 0 "
        "(e.g. 1.5,0.3), got '" +
        text + "'");
  return std::make_pair(f, n);
}

Result<std::vector<double>> ParseNumberList(const std::string& text) {
  std::vector<double> out;
  for (const auto& p : Split(text, ',')) {
    double v;
    if (!ToDouble(p, &v)) return Status::InvalidArgument("'" + p + "' is not a number");
    out.push_back(v);
  }
  return out;
}

ArgsOutcome ParseSimArgs(int argc, char** argv, SimOptions* o, OutputOptions* out) {
  // One option per line reads as a table.
  // clang-format off
  po::options_description io("input and output");
  io.add_options()
      ("help,h", "show this help")
      ("config", po::value<std::string>(), "config file (key = value lines; the command line wins)")
      ("trace", po::value<std::string>(), "the job trace (CSV with a header: job_id,submit_time_s,num_gpus,duration_s,...)")
      ("policy", po::value<std::string>()->default_value("muster,fifo,las,srtf"),
       "policies to compare, comma-separated: muster, fifo, las, srtf")
      ("json", po::value<std::string>(), "write the results as JSON")
      ("csv", po::value<std::string>(), "write one CSV row per policy")
      ("svg", po::value<std::string>(), "write a chart: JCT CDF per policy, utilisation over time")
      ("team-csv", po::value<std::string>(), "write per-team rows: jobs, GPU-hours, mean JCT and slowdown")
      ("jobs-csv", po::value<std::string>(), "write one row per policy and job: start, finish, queueing, preemptions")
      ("progress", po::value<std::string>()->default_value("auto"), "progress bar on stderr: auto | always | never")
      ("quiet,q", po::bool_switch(), "no table on stdout");
  po::options_description cl("cluster");
  cl.add_options()
      ("nodes", po::value<int32_t>(), "number of nodes")
      ("gpus-per-node", po::value<int32_t>()->default_value(8), "GPUs per node")
      ("nodes-per-switch", po::value<int32_t>()->default_value(0), "label nodes with a switch every N nodes (0: none)")
      ("switches-per-rack", po::value<int32_t>()->default_value(0), "label switches with a rack every N switches (0: none)")
      ("cluster", po::value<std::string>(), "a cluster file instead: CSV name,gpus[,rack][,switch]");
  po::options_description wl("workload");
  wl.add_options()
      ("team-column", po::value<std::string>()->default_value("auto"),
       "trace column giving the team (auto: 'vc' when present; 'none': one team)")
      ("queue-column", po::value<std::string>()->default_value(""), "trace column giving the queue (default: one queue)")
      ("trace-start", po::value<std::string>()->default_value("auto"),
       "wall-clock time of submit_time_s 0, RFC 3339 (auto: the submit_timestamp column as UTC)")
      ("start", po::value<std::string>()->default_value(""), "keep jobs submitted at/after this (30d since the start, or RFC 3339)")
      ("end", po::value<std::string>()->default_value(""), "keep jobs submitted before this")
      ("max-jobs", po::value<int64_t>()->default_value(0), "keep at most this many jobs (0: all)")
      ("seed", po::value<uint64_t>()->default_value(1), "seed for deferrable jobs and time-limit noise")
      ("default-time-limit", po::value<std::string>()->default_value("24h"),
       "time limit every job gets from its queue (users do not estimate); 0: none")
      ("time-limit-from-duration", po::value<std::string>(),
       "study knob: time limit = duration x FACTOR x (1 +- NOISE uniform), e.g. 1.5,0.3")
      ("kill-at-time-limit", po::bool_switch(), "end jobs at their time limit (TIMEOUT) in every policy; default: run to completion")
      ("offpeak", po::value<std::vector<std::string>>()->composing(), "an off-peak window, repeatable: \"Mon-Fri 20:00-07:00\"")
      ("timezone", po::value<std::string>()->default_value("UTC"), "time zone of the off-peak windows (IANA name)")
      ("deferrable-fraction", po::value<double>()->default_value(0.0),
       "share of jobs (seeded) marked offpeak-preferred with a deadline")
      ("deadline-slack", po::value<std::string>()->default_value("48h"), "deferrable deadline = submit + duration + slack")
      ("window-may-overrun", po::value<bool>()->default_value(true), "deferrable jobs may start in a window they outlast")
      ("skip-bad-rows", po::bool_switch(), "skip (and count) malformed trace rows instead of failing");
  po::options_description pol("policies and mechanics");
  pol.add_options()
      ("queue", po::value<std::vector<std::string>>()->composing(),
       "muster queue config, repeatable: NAME:weight=W,guaranteed=G,max=M,tier=T")
      ("backfill", po::value<bool>()->default_value(true), "muster: EASY backfill")
      ("fair-share-half-life", po::value<std::string>()->default_value("7d"), "muster: decay half-life of fair-share usage")
      ("no-prune", po::bool_switch(), "muster: give core::Decide every pending job (slower; same results)")
      ("las-thresholds", po::value<std::string>()->default_value("1,10"), "las: queue thresholds in GPU-hours of attained service")
      ("restart-overhead", po::value<std::string>()->default_value("60s"), "work a preempted job loses (back to its checkpoint)")
      ("grace", po::value<std::string>()->default_value("30s"), "a preempted job's GPUs stay busy this long")
      ("util-bucket", po::value<std::string>()->default_value("1h"), "width of the utilisation-over-time series");
  // clang-format on
  po::options_description all("muster-sim options");
  all.add(io).add(cl).add(wl).add(pol);
  po::variables_map vm;
  switch (config::ParseCommandLine(
      argc, argv, "muster-sim",
      "--trace FILE (--nodes N [--gpus-per-node G] | --cluster FILE) [--policy LIST] "
      "[--json FILE] [--csv FILE] [--svg FILE]",
      all, vm)) {
    case config::ParseOutcome::kExitOk:
      return ArgsOutcome::kExitOk;
    case config::ParseOutcome::kUsageError:
      return ArgsOutcome::kUsageError;
    case config::ParseOutcome::kRun:
      break;
  }
  auto fail = [](const std::string& msg) {
    std::cerr << "muster-sim: " << msg << "\n(try muster-sim --help)\n";
    return ArgsOutcome::kUsageError;
  };
  auto str = [&](const char* k) { return vm[k].as<std::string>(); };
  auto duration = [&](const char* k, Duration* d, bool allow_zero) -> bool {
    auto v = ParseDuration(str(k));
    if (!v.ok() || *v < 0 || (!allow_zero && *v == 0)) return false;
    *d = *v;
    return true;
  };

  if (!vm.count("trace")) return fail("--trace FILE is required");
  o->trace_path = str("trace");
  o->policies.clear();
  for (const auto& p : Split(str("policy"), ','))
    if (!p.empty()) o->policies.push_back(p);
  if (o->policies.empty()) return fail("--policy: name at least one of muster, fifo, las, srtf");
  if (vm.count("cluster")) {
    o->cluster_path = str("cluster");
    if (vm.count("nodes")) return fail("give --cluster FILE or --nodes N, not both");
  } else if (!vm.count("nodes")) {
    return fail("give --nodes N (with --gpus-per-node G) or --cluster FILE");
  } else {
    o->cluster.nodes = vm["nodes"].as<int32_t>();
  }
  o->cluster.gpus_per_node = vm["gpus-per-node"].as<int32_t>();
  o->cluster.nodes_per_switch = vm["nodes-per-switch"].as<int32_t>();
  o->cluster.switches_per_rack = vm["switches-per-rack"].as<int32_t>();

  WorkloadOptions& w = o->workload;
  std::string team = str("team-column");
  w.columns.team = team == "auto" || team == "none" ? "" : team;
  w.columns.team_auto = team == "auto";
  w.columns.queue = str("queue-column");
  w.trace_start = str("trace-start");
  w.start = str("start");
  w.end = str("end");
  w.max_jobs = vm["max-jobs"].as<int64_t>();
  if (w.max_jobs < 0) return fail("--max-jobs cannot be negative");
  w.seed = vm["seed"].as<uint64_t>();
  if (!duration("default-time-limit", &w.default_time_limit, true))
    return fail("--default-time-limit: use e.g. 24h, 7d or 0 for none");
  if (vm.count("time-limit-from-duration")) {
    auto fn = ParseFactorNoise(str("time-limit-from-duration"));
    if (!fn.ok()) return fail(fn.status().message());
    w.limit_factor = fn->first;
    w.limit_noise = fn->second;
  }
  o->engine.kill_at_time_limit = vm["kill-at-time-limit"].as<bool>();
  if (vm.count("offpeak")) w.offpeak = vm["offpeak"].as<std::vector<std::string>>();
  w.timezone = str("timezone");
  w.deferrable_fraction = vm["deferrable-fraction"].as<double>();
  if (!(w.deferrable_fraction >= 0 && w.deferrable_fraction <= 1))
    return fail("--deferrable-fraction must be in [0, 1]");
  if (w.deferrable_fraction > 0 && w.offpeak.empty())
    return fail("--deferrable-fraction needs at least one --offpeak window");
  if (!duration("deadline-slack", &w.deadline_slack, true)) return fail("--deadline-slack: use e.g. 48h");
  w.window_may_overrun = vm["window-may-overrun"].as<bool>();
  o->skip_bad_rows = vm["skip-bad-rows"].as<bool>();

  if (vm.count("queue"))
    for (const auto& text : vm["queue"].as<std::vector<std::string>>()) {
      auto q = ParseQueueOption(text);
      if (!q.ok()) return fail("--queue: " + q.status().message());
      o->muster.queues.push_back(*q);
    }
  o->muster.backfill = vm["backfill"].as<bool>();
  if (!duration("fair-share-half-life", &o->muster.fair_share_half_life, false))
    return fail("--fair-share-half-life: use e.g. 7d");
  o->muster.prune = !vm["no-prune"].as<bool>();
  auto th = ParseNumberList(str("las-thresholds"));
  if (!th.ok()) return fail("--las-thresholds: " + th.status().message());
  o->las.thresholds_gpu_hours = *th;
  if (!duration("restart-overhead", &o->engine.restart_overhead, true))
    return fail("--restart-overhead: use e.g. 60s");
  if (!duration("grace", &o->engine.grace, true)) return fail("--grace: use e.g. 30s");
  if (!duration("util-bucket", &o->engine.util_bucket, false)) return fail("--util-bucket: use e.g. 1h");

  if (vm.count("json")) out->json = str("json");
  if (vm.count("csv")) out->csv = str("csv");
  if (vm.count("svg")) out->svg = str("svg");
  if (vm.count("team-csv")) out->team_csv = str("team-csv");
  if (vm.count("jobs-csv")) out->jobs_csv = str("jobs-csv");
  out->progress = str("progress");
  if (out->progress != "auto" && out->progress != "always" && out->progress != "never")
    return fail("--progress must be auto, always or never");
  out->quiet = vm["quiet"].as<bool>();
  return ArgsOutcome::kRun;
}

}  // namespace muster::sim
