#pragma once

#include <string>

#include "agent/gpu/gpu_probe.h"

namespace muster::agent {

// `count` identical GPUs: uuid "GPU-fake-<node>-<i>", model "Fake GPU", 80 GiB.
// Lets an agent run (and be scheduled onto) a machine without a driver.
class FakeGpuProbe final : public GpuProbe {
 public:
  static constexpr uint64_t kMemoryBytes = 80ull << 30;

  FakeGpuProbe(int count, std::string node_name);
  Result<std::vector<GpuInfo>> Discover() override;

 private:
  int count_;
  std::string node_name_;
};

}  // namespace muster::agent
