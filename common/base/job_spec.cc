#include "common/base/job_spec.h"

#include <cctype>
#include <string>

namespace muster {

bool IsValidName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

Status ValidateJobSpec(const JobSpec& spec) {
  auto bad = [](std::string m) { return Status::InvalidArgument(std::move(m)); };
  if (spec.argv.empty() || spec.argv[0].empty()) return bad("the job has no command (give it after --)");
  if (spec.argv.size() > kMaxArgv) return bad("too many arguments (max " + std::to_string(kMaxArgv) + ")");
  if (spec.env.size() > kMaxEnv) return bad("too many environment variables");
  auto has_nul = [](const std::string& v) { return v.find('\0') != std::string::npos; };
  for (const auto& a : spec.argv) {
    if (a.size() > kMaxStringBytes) return bad("an argument is longer than 64 KiB");
    if (has_nul(a)) return bad("an argument contains a NUL byte");
  }
  for (const auto& e : spec.env)
    if (has_nul(e.name) || has_nul(e.value)) return bad("environment variable '" + e.name.substr(0, e.name.find('\0')) + "' contains a NUL byte");
  if (has_nul(spec.name) || has_nul(spec.workdir) || has_nul(spec.user) || has_nul(spec.model))
    return bad("name, workdir, user and model cannot contain NUL bytes");
  for (const auto& e : spec.env) {
    if (e.name.empty() || e.name.find('=') != std::string::npos)
      return bad("bad environment variable name '" + e.name + "'");
    if (e.name.size() + e.value.size() > kMaxStringBytes) return bad("an environment variable is longer than 64 KiB");
  }
  if (!spec.name.empty() && spec.name.size() > 256) return bad("job name is longer than 256 bytes");
  if (!IsValidName(spec.team)) return bad("bad team '" + spec.team + "': 1-64 of letters, digits, . _ -");
  if (!IsValidName(spec.queue)) return bad("bad queue '" + spec.queue + "': 1-64 of letters, digits, . _ -");
  if (spec.nodes < 0 || spec.gpus_per_node < 0 || spec.total_gpus < 0) return bad("GPU and node counts cannot be negative");
  if (spec.nodes > 0) {
    if (spec.total_gpus != 0) return bad("give either --gpus or --nodes with --gpus-per-node, not both");
    if (spec.gpus_per_node < 1) return bad("--nodes needs --gpus-per-node of at least 1");
    if (spec.nodes > kMaxNodesPerJob) return bad("too many nodes (max " + std::to_string(kMaxNodesPerJob) + ")");
    if (spec.gpus_per_node > kMaxGpusPerNode) return bad("too many GPUs per node (max " + std::to_string(kMaxGpusPerNode) + ")");
  } else {
    if (spec.gpus_per_node != 0) return bad("--gpus-per-node needs --nodes");
    if (spec.total_gpus < 1) return bad("a job needs at least 1 GPU (--gpus G or --nodes N --gpus-per-node G)");
    if (spec.total_gpus > kMaxNodesPerJob * kMaxGpusPerNode) return bad("too many GPUs");
  }
  if (spec.time_limit < 0) return bad("time limit cannot be negative");
  if (spec.max_restarts < 0 || spec.max_restarts > 1000) return bad("max restarts must be 0..1000");
  if (spec.grace_seconds < 0 || spec.grace_seconds > 3600) return bad("grace must be 0..3600 seconds");
  if (spec.after.size() > 1024) return bad("too many dependencies");
  for (JobId d : spec.after)
    if (d == kNoJob) return bad("dependency on job 0, which cannot exist");
  if (spec.kind == JobKind::kRetrain && spec.model.empty()) return bad("a retrain job names its model");
  return Status::Ok();
}

}  // namespace muster
