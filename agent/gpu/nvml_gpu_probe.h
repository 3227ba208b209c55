#pragma once

#include <string>

#include "agent/gpu/gpu_probe.h"

namespace muster::agent {

// Lists GPUs through NVML, loaded with dlopen() at each Discover() so the
// agent builds and runs on machines without the NVIDIA driver. No library,
// or a driver that fails to initialise, is StatusCode::kUnavailable.
class NvmlGpuProbe final : public GpuProbe {
 public:
  static constexpr const char* kDefaultLibrary = "libnvidia-ml.so.1";

  explicit NvmlGpuProbe(std::string library = kDefaultLibrary);
  Result<std::vector<GpuInfo>> Discover() override;

 private:
  std::string library_;
};

}  // namespace muster::agent
