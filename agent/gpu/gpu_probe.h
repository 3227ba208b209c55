// GPU discovery behind a narrow interface (docs/architecture.md principle 7): NVML on real nodes,
// a fake where there is no driver (tests, laptops, CI).
#pragma once

#include <vector>

#include "muster/status.h"
#include "muster/types.h"

namespace muster::agent {

class GpuProbe {
 public:
  virtual ~GpuProbe() = default;
  // The node's GPUs, indexed 0..n-1 in the order the probe enumerates them.
  // An error status explains why none can be listed (no driver, ...).
  virtual Result<std::vector<GpuInfo>> Discover() = 0;
  // The same GPUs with a fresh sample: utilization, memory in use, health
  // (docs/gpu.md). The agent calls it at most every few seconds.
  virtual Result<std::vector<GpuInfo>> Sample() { return Discover(); }
};

}  // namespace muster::agent
