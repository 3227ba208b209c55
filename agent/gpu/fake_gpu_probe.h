#pragma once

#include <set>
#include <string>

#include "agent/gpu/gpu_probe.h"

namespace muster::agent {

// `count` identical GPUs: uuid "GPU-fake-<node>-<i>", model "Fake GPU", 80 GiB,
// idle and healthy except the indices in `unhealthy` (reason
// kUnhealthyReason). Lets an agent run (and be scheduled onto) a machine
// without a driver.
class FakeGpuProbe final : public GpuProbe {
 public:
  static constexpr uint64_t kMemoryBytes = 80ull << 30;
  static constexpr const char* kUnhealthyReason = "fake: marked unhealthy";

  FakeGpuProbe(int count, std::string node_name, std::set<int> unhealthy = {});
  Result<std::vector<GpuInfo>> Discover() override;

 private:
  int count_;
  std::string node_name_;
  std::set<int> unhealthy_;
};

// "1,3" -> {1, 3}: GPU indices, each in [0, count). Empty text: none.
Result<std::set<int>> ParseGpuIndexList(const std::string& text, int count);

}  // namespace muster::agent
