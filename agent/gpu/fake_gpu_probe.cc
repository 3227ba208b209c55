#include "agent/gpu/fake_gpu_probe.h"

#include <cctype>

namespace muster::agent {

FakeGpuProbe::FakeGpuProbe(int count, std::string node_name, std::set<int> unhealthy)
    : count_(count), node_name_(std::move(node_name)), unhealthy_(std::move(unhealthy)) {}

Result<std::vector<GpuInfo>> FakeGpuProbe::Discover() {
  std::vector<GpuInfo> gpus;
  for (int i = 0; i < count_; ++i) {
    GpuInfo g;
    g.index = i;
    g.uuid = "GPU-fake-" + node_name_ + "-" + std::to_string(i);
    g.model = "Fake GPU";
    g.memory_bytes = kMemoryBytes;
    if (unhealthy_.count(i)) {
      g.healthy = false;
      g.health_reason = kUnhealthyReason;
    }
    gpus.push_back(std::move(g));
  }
  return gpus;
}

Result<std::set<int>> ParseGpuIndexList(const std::string& text, int count) {
  std::set<int> out;
  if (text.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    bool digits = !item.empty() && item.size() <= 4;
    for (char c : item) digits = digits && std::isdigit(static_cast<unsigned char>(c));
    if (!digits) return Status::InvalidArgument("'" + item + "' is not a GPU index");
    int index = std::stoi(item);
    if (index >= count)
      return Status::InvalidArgument("GPU " + item + " does not exist (" + std::to_string(count) + " GPUs)");
    out.insert(index);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace muster::agent
