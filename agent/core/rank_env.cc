#include "agent/core/rank_env.h"

#include <unordered_map>

namespace muster::agent {
namespace {

// Keeps first-definition order; a redefinition replaces the value in place.
class EnvBuilder {
 public:
  void Set(const std::string& name, const std::string& value) {
    if (name.empty() || name.find('=') != std::string::npos) return;  // not a variable
    auto [it, inserted] = index_.try_emplace(name, entries_.size());
    if (inserted) {
      entries_.push_back(name + "=" + value);
    } else {
      entries_[it->second] = name + "=" + value;
    }
  }
  void SetEntry(const std::string& entry) {
    auto eq = entry.find('=');
    if (eq == std::string::npos) return;
    Set(entry.substr(0, eq), entry.substr(eq + 1));
  }
  bool Has(const std::string& name) const { return index_.count(name) > 0; }
  std::vector<std::string> Take() { return std::move(entries_); }

 private:
  std::vector<std::string> entries_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace

std::string JoinGpuIndices(const std::vector<int32_t>& gpus) {
  std::string s;
  for (size_t i = 0; i < gpus.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(gpus[i]);
  }
  return s;
}

std::vector<std::string> RankEnvironment(const std::vector<std::string>& agent_env,
                                         const wire::LaunchRanks& launch, const wire::RankLaunch& rank) {
  EnvBuilder env;
  for (const auto& entry : agent_env) env.SetEntry(entry);
  for (const auto& var : launch.env) env.Set(var.name, var.value);
  const int32_t local_world_size =
      launch.local_world_size > 0 ? launch.local_world_size : static_cast<int32_t>(launch.ranks.size());
  env.Set("RANK", std::to_string(rank.rank));
  env.Set("LOCAL_RANK", std::to_string(rank.local_rank));
  env.Set("NODE_RANK", std::to_string(launch.node_rank));
  env.Set("LOCAL_WORLD_SIZE", std::to_string(local_world_size));
  env.Set("CUDA_VISIBLE_DEVICES", JoinGpuIndices(rank.gpus));
  if (!env.Has("CUDA_DEVICE_ORDER")) env.Set("CUDA_DEVICE_ORDER", "PCI_BUS_ID");
  return env.Take();
}

}  // namespace muster::agent
