#include "agent/gpu/fake_gpu_probe.h"

namespace muster::agent {

FakeGpuProbe::FakeGpuProbe(int count, std::string node_name)
    : count_(count), node_name_(std::move(node_name)) {}

Result<std::vector<GpuInfo>> FakeGpuProbe::Discover() {
  std::vector<GpuInfo> gpus;
  for (int i = 0; i < count_; ++i) {
    GpuInfo g;
    g.index = i;
    g.uuid = "GPU-fake-" + node_name_ + "-" + std::to_string(i);
    g.model = "Fake GPU";
    g.memory_bytes = kMemoryBytes;
    gpus.push_back(std::move(g));
  }
  return gpus;
}

}  // namespace muster::agent
