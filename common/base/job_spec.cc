#include "common/base/job_spec.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "common/base/strings.h"

namespace muster {

bool IsValidName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

namespace {

bool ParseIndex(std::string_view s, int32_t* out) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && *out <= kMaxArrayIndex;
}

}  // namespace

Result<std::vector<std::pair<int32_t, int32_t>>> ParseRanges(std::string_view text) {
  std::vector<std::pair<int32_t, int32_t>> ranges;
  if (text.empty()) return ranges;
  for (const auto& part : Split(text, ',')) {
    auto dash = part.find('-');
    int32_t a, b;
    if (dash == std::string::npos) {
      if (!ParseIndex(part, &a)) return Status::InvalidArgument("bad task index '" + part + "'");
      b = a;
    } else if (!ParseIndex(std::string_view(part).substr(0, dash), &a) ||
               !ParseIndex(std::string_view(part).substr(dash + 1), &b)) {
      return Status::InvalidArgument("bad task range '" + part + "' (use N or N-M, 0.." +
                                     std::to_string(kMaxArrayIndex) + ")");
    }
    if (b < a) return Status::InvalidArgument("task range '" + part + "' ends before it starts");
    ranges.push_back({a, b});
  }
  std::sort(ranges.begin(), ranges.end());
  std::vector<std::pair<int32_t, int32_t>> merged;
  for (const auto& r : ranges) {
    if (!merged.empty() && r.first <= merged.back().second + 1)
      merged.back().second = std::max(merged.back().second, r.second);
    else
      merged.push_back(r);
  }
  return merged;
}

std::string FormatRanges(const std::vector<std::pair<int32_t, int32_t>>& ranges) {
  std::string out;
  for (const auto& [a, b] : ranges) {
    if (!out.empty()) out += ',';
    out += std::to_string(a);
    if (b != a) out += "-" + std::to_string(b);
  }
  return out;
}

Result<ArraySpec> ParseArraySpec(std::string_view text) {
  ArraySpec spec;
  std::string_view ranges = text;
  if (auto pct = text.find('%'); pct != std::string_view::npos) {
    ranges = text.substr(0, pct);
    int32_t cap;
    if (!ParseIndex(text.substr(pct + 1), &cap) || cap < 1)
      return Status::InvalidArgument("bad --array '" + std::string(text) +
                                     "': the limit after % must be 1 or more");
    spec.max_running = cap;
  }
  if (ranges.empty())
    return Status::InvalidArgument("bad --array '" + std::string(text) + "': no task indices");
  auto r = ParseRanges(ranges);
  if (!r.ok())
    return Status::InvalidArgument("bad --array '" + std::string(text) + "': " + r.status().message());
  spec.ranges = std::move(*r);
  for (const auto& [a, b] : spec.ranges) spec.count += int64_t{b} - a + 1;
  if (spec.count > kMaxArrayTasks)
    return Status::InvalidArgument("--array '" + std::string(text) + "' has " + std::to_string(spec.count) +
                                   " tasks (at most " + std::to_string(kMaxArrayTasks) + ")");
  return spec;
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
    if (has_nul(e.name) || has_nul(e.value))
      return bad("environment variable '" + e.name.substr(0, e.name.find('\0')) + "' contains a NUL byte");
  if (has_nul(spec.name) || has_nul(spec.workdir) || has_nul(spec.user) || has_nul(spec.model))
    return bad("name, workdir, user and model cannot contain NUL bytes");
  for (const auto& e : spec.env) {
    if (e.name.empty() || e.name.find('=') != std::string::npos)
      return bad("bad environment variable name '" + e.name + "'");
    if (e.name.size() + e.value.size() > kMaxStringBytes)
      return bad("an environment variable is longer than 64 KiB");
  }
  if (!spec.name.empty() && spec.name.size() > 256) return bad("job name is longer than 256 bytes");
  size_t bytes =
      spec.name.size() + spec.workdir.size() + spec.user.size() + spec.model.size() + spec.array.size();
  for (const auto& a : spec.argv) bytes += a.size() + 1;
  for (const auto& e : spec.env) bytes += e.name.size() + e.value.size() + 2;
  if (bytes > kMaxSpecBytes)
    return bad("the job's command, environment and names come to " + std::to_string(bytes / 1024) +
               " KiB (at most " + std::to_string(kMaxSpecBytes / 1024) + " KiB; put large inputs in files)");
  // An empty team is musterd's to fill (the submitter's default team).
  if (!spec.team.empty() && !IsValidName(spec.team))
    return bad("bad team '" + spec.team + "': 1-64 of letters, digits, . _ -");
  if (!IsValidName(spec.queue)) return bad("bad queue '" + spec.queue + "': 1-64 of letters, digits, . _ -");
  if (spec.nodes < 0 || spec.gpus_per_node < 0 || spec.total_gpus < 0)
    return bad("GPU and node counts cannot be negative");
  if (spec.nodes > 0) {
    if (spec.total_gpus != 0) return bad("give either --gpus or --nodes with --gpus-per-node, not both");
    if (spec.gpus_per_node < 1) return bad("--nodes needs --gpus-per-node of at least 1");
    if (spec.nodes > kMaxNodesPerJob)
      return bad("too many nodes (max " + std::to_string(kMaxNodesPerJob) + ")");
    if (spec.gpus_per_node > kMaxGpusPerNode)
      return bad("too many GPUs per node (max " + std::to_string(kMaxGpusPerNode) + ")");
  } else {
    if (spec.gpus_per_node != 0) return bad("--gpus-per-node needs --nodes");
    if (spec.total_gpus < 1)
      return bad("a job needs at least 1 GPU (--gpus G or --nodes N --gpus-per-node G)");
    if (spec.total_gpus > kMaxNodesPerJob * kMaxGpusPerNode) return bad("too many GPUs");
  }
  if (spec.time_limit < 0) return bad("time limit cannot be negative");
  if (spec.max_restarts < 0 || spec.max_restarts > 1000) return bad("max restarts must be 0..1000");
  if (spec.grace_seconds < 0 || spec.grace_seconds > 3600) return bad("grace must be 0..3600 seconds");
  if (spec.after.size() > 1024) return bad("too many dependencies");
  for (JobId d : spec.after)
    if (d == kNoJob) return bad("dependency on job 0, which cannot exist");
  if (spec.kind == JobKind::kRetrain && spec.model.empty()) return bad("a retrain job names its model");
  if (!spec.array.empty()) {
    auto a = ParseArraySpec(spec.array);
    if (!a.ok()) return a.status();
  }
  return Status::Ok();
}

Status ValidateModelSpec(const ModelSpec& spec) {
  auto bad = [](std::string m) { return Status::InvalidArgument(std::move(m)); };
  if (!IsValidName(spec.name))
    return bad("bad model name '" + spec.name + "': 1-64 of letters, digits, . _ -");
  if (!spec.job.array.empty()) return bad("a retraining template cannot be an array job");
  if (!spec.job.after.empty()) return bad("a retraining template cannot depend on other jobs");
  if (spec.job.hold) return bad("a retraining template cannot be held");
  // Times are added to "now": keep them far from overflow.
  constexpr Duration kMaxSpan = 100LL * 366 * kDay;
  if (spec.deadline < 0 || spec.deadline > kMaxSpan) return bad("deadline must be 0..100 years");
  if (spec.cooldown < 0 || spec.cooldown > kMaxSpan) return bad("cooldown must be 0..100 years");
  // Room for what each retrain adds: its metrics and the retrain variables.
  if (spec.job.env.size() + 256 + 8 > kMaxEnv) return bad("too many environment variables for a template");
  if (spec.checkpoint_dir.size() > 4096 || spec.checkpoint_dir.find('\0') != std::string::npos)
    return bad("bad checkpoint directory");
  if (!spec.checkpoint_dir.empty() && spec.checkpoint_dir.front() != '/')
    return bad("checkpoint directory must be an absolute path (agents resolve it on their nodes)");
  JobSpec job = spec.job;
  job.kind = JobKind::kRetrain;
  job.model = spec.name;
  return ValidateJobSpec(job);
}

}  // namespace muster
