#include "scheduler/sim/runner.h"

#include <chrono>

#include "scheduler/sim/fifo_policy.h"
#include "scheduler/sim/las_policy.h"
#include "scheduler/sim/muster_policy.h"
#include "scheduler/sim/sha256.h"
#include "scheduler/sim/srtf_policy.h"

namespace muster::sim {
namespace {

std::string BaseName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Result<SimInputs> PrepareInputs(const SimOptions& options, const std::string& bytes,
                                const std::string& name) {
  SimInputs in;
  in.options = options;
  in.trace_name = BaseName(name);
  in.trace_sha256 = Sha256Hex(bytes);
  in.trace_bytes = static_cast<int64_t>(bytes.size());
  auto table = ParseCsv(bytes, name);
  if (!table.ok()) return table.status();
  auto trace = ParseTrace(*table, name, options.workload.columns, options.skip_bad_rows);
  if (!trace.ok()) return trace.status();
  in.trace = std::move(*trace);
  if (!options.cluster_path.empty()) {
    auto cbytes = ReadFileBytes(options.cluster_path);
    if (!cbytes.ok()) return cbytes.status();
    in.cluster_name = BaseName(options.cluster_path);
    in.cluster_sha256 = Sha256Hex(*cbytes);
    auto nodes = LoadClusterFile(options.cluster_path);
    if (!nodes.ok()) return nodes.status();
    in.nodes = std::move(*nodes);
  } else {
    auto nodes = MakeCluster(options.cluster);
    if (!nodes.ok()) return nodes.status();
    in.nodes = std::move(*nodes);
  }
  auto w = BuildWorkload(in.trace, options.workload, in.nodes);
  if (!w.ok()) return w.status();
  in.workload = std::move(*w);
  for (const auto& p : options.policies) {
    auto policy = MakePolicy(p, in);
    if (!policy.ok()) return policy.status();
  }
  return in;
}

Result<SimInputs> LoadInputs(const SimOptions& options) {
  if (options.trace_path.empty()) return Status::InvalidArgument("--trace FILE is required");
  auto bytes = ReadFileBytes(options.trace_path);
  if (!bytes.ok()) return bytes.status();
  return PrepareInputs(options, *bytes, options.trace_path);
}

Result<std::unique_ptr<SimPolicy>> MakePolicy(const std::string& name, const SimInputs& in) {
  const SimOptions& o = in.options;
  if (name == "muster") return std::unique_ptr<SimPolicy>(new MusterPolicy(in.workload, o.muster));
  if (name == "fifo") return std::unique_ptr<SimPolicy>(new FifoPolicy(in.workload, o.muster));
  if (name == "las") {
    for (double t : o.las.thresholds_gpu_hours)
      if (!(t > 0)) return Status::InvalidArgument("--las-thresholds: each threshold must be > 0 GPU-hours");
    return std::unique_ptr<SimPolicy>(new LasPolicy(o.las));
  }
  if (name == "srtf") return std::unique_ptr<SimPolicy>(new SrtfPolicy());
  return Status::InvalidArgument("unknown policy '" + name + "' (known: muster, fifo, las, srtf)");
}

Result<std::vector<PolicyResult>> RunPolicies(const SimInputs& in, ProgressSink* progress, SimNotes* notes) {
  std::vector<PolicyResult> results;
  Engine engine(in.workload, in.nodes, in.options.engine);
  for (const auto& name : in.options.policies) {
    auto policy = MakePolicy(name, in);
    if (!policy.ok()) return policy.status();
    if (auto* m = dynamic_cast<MusterPolicy*>(policy->get()); m && notes)
      notes->muster_pruning = m->pruning_note();
    // Wall time for the speed figures only (stderr); results never read it.
    auto t0 = std::chrono::steady_clock::now();
    RunOutcome outcome = engine.Run(**policy, progress);
    auto t1 = std::chrono::steady_clock::now();
    PolicyResult r = Summarize(name, in.workload, outcome);
    r.wall_s = std::chrono::duration<double>(t1 - t0).count();
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace muster::sim
