#pragma once

#include <memory>
#include <string>

#include "agent/gpu/gpu_probe.h"

namespace muster::agent {

struct NvmlLibrary;  // the dlopen()ed library and its functions

// Lists GPUs through NVML, loaded with dlopen() on the first Discover() so
// the agent builds and runs on machines without the NVIDIA driver; the
// library stays loaded and initialised for later samples (heartbeats) and is
// shut down with the probe. No library, or a driver that fails to
// initialise, is StatusCode::kUnavailable (and the next call tries again).
//
// Besides index, UUID, model and memory, each GPU carries its NVLink peers
// (nvmlDeviceGetP2PStatus with the NVLink capability between every pair:
// direct links and NVSwitch alike; empty where NVML cannot tell), its
// utilization and memory in use, and its health: a GPU NVML reports lost, or
// with uncorrectable volatile ECC errors, is unhealthy (docs/gpu.md).
class NvmlGpuProbe final : public GpuProbe {
 public:
  static constexpr const char* kDefaultLibrary = "libnvidia-ml.so.1";

  explicit NvmlGpuProbe(std::string library = kDefaultLibrary);
  ~NvmlGpuProbe() override;
  Result<std::vector<GpuInfo>> Discover() override;

 private:
  Status Open();

  std::string library_;
  std::unique_ptr<NvmlLibrary> nvml_;
};

}  // namespace muster::agent
