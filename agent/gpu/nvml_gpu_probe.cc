#include "agent/gpu/nvml_gpu_probe.h"

#include <dlfcn.h>

#include "common/base/log.h"

namespace muster::agent {
namespace {

// The few NVML declarations we need (nvml.h is not required to build).
using nvmlReturn_t = int;  // an enum in nvml.h
constexpr nvmlReturn_t kNvmlSuccess = 0;
constexpr nvmlReturn_t kNvmlNotSupported = 3;
constexpr nvmlReturn_t kNvmlGpuIsLost = 15;
constexpr int kMemoryErrorUncorrected = 1;  // NVML_MEMORY_ERROR_TYPE_UNCORRECTED
constexpr int kVolatileEcc = 0;             // NVML_VOLATILE_ECC
constexpr int kP2pCapsNvlink = 2;           // NVML_P2P_CAPS_INDEX_NVLINK
constexpr int kP2pStatusOk = 0;             // NVML_P2P_STATUS_OK
struct nvmlDevice_st;
using nvmlDevice_t = nvmlDevice_st*;
struct nvmlMemory_t {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
struct nvmlUtilization_t {
  unsigned int gpu;
  unsigned int memory;
};
constexpr unsigned kNameBufferSize = 256;  // NVML needs 96 (name) / 80 (uuid)

template <typename Fn>
bool Load(void* lib, const char* name, Fn& fn) {
  fn = reinterpret_cast<Fn>(dlsym(lib, name));
  return fn != nullptr;
}

}  // namespace

struct NvmlLibrary {
  void* lib = nullptr;
  nvmlReturn_t (*init)() = nullptr;
  nvmlReturn_t (*shutdown)() = nullptr;
  nvmlReturn_t (*get_count)(unsigned int*) = nullptr;
  nvmlReturn_t (*get_handle)(unsigned int, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*get_name)(nvmlDevice_t, char*, unsigned int) = nullptr;
  nvmlReturn_t (*get_uuid)(nvmlDevice_t, char*, unsigned int) = nullptr;
  nvmlReturn_t (*get_memory)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
  // Optional: absent in old drivers; the field then stays at its default.
  const char* (*error_string)(nvmlReturn_t) = nullptr;
  nvmlReturn_t (*get_utilization)(nvmlDevice_t, nvmlUtilization_t*) = nullptr;
  nvmlReturn_t (*get_ecc)(nvmlDevice_t, int, int, unsigned long long*) = nullptr;
  nvmlReturn_t (*get_p2p)(nvmlDevice_t, nvmlDevice_t, int, int*) = nullptr;

  ~NvmlLibrary() {
    if (lib) dlclose(lib);
  }
  std::string Error(nvmlReturn_t rc) const {
    std::string s = "NVML error " + std::to_string(rc);
    if (error_string) {
      const char* text = error_string(rc);
      if (text) s += " (" + std::string(text) + ")";
    }
    return s;
  }
};

NvmlGpuProbe::NvmlGpuProbe(std::string library) : library_(std::move(library)) {}

NvmlGpuProbe::~NvmlGpuProbe() {
  if (nvml_) nvml_->shutdown();
}

Status NvmlGpuProbe::Open() {
  auto n = std::make_unique<NvmlLibrary>();
  n->lib = dlopen(library_.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!n->lib) {
    const char* err = dlerror();
    MLOG(Debug) << "dlopen " << library_ << ": " << (err ? err : "unknown error");
    return Status::Unavailable("NVML " + library_ + " not available");
  }
  void* lib = n->lib;
  if (!Load(lib, "nvmlInit_v2", n->init) || !Load(lib, "nvmlShutdown", n->shutdown) ||
      !Load(lib, "nvmlDeviceGetCount_v2", n->get_count) ||
      !Load(lib, "nvmlDeviceGetHandleByIndex_v2", n->get_handle) ||
      !Load(lib, "nvmlDeviceGetName", n->get_name) || !Load(lib, "nvmlDeviceGetUUID", n->get_uuid) ||
      !Load(lib, "nvmlDeviceGetMemoryInfo", n->get_memory)) {
    return Status::Unavailable("NVML " + library_ + " lacks a required symbol");
  }
  Load(lib, "nvmlErrorString", n->error_string);
  Load(lib, "nvmlDeviceGetUtilizationRates", n->get_utilization);
  Load(lib, "nvmlDeviceGetTotalEccErrors", n->get_ecc);
  Load(lib, "nvmlDeviceGetP2PStatus", n->get_p2p);
  nvmlReturn_t rc = n->init();
  if (rc != kNvmlSuccess) return Status::Unavailable("NVML init failed: " + n->Error(rc));
  nvml_ = std::move(n);
  return Status::Ok();
}

Result<std::vector<GpuInfo>> NvmlGpuProbe::Discover() {
  if (!nvml_) MUSTER_RETURN_IF_ERROR(Open());
  const NvmlLibrary& api = *nvml_;
  unsigned int count = 0;
  nvmlReturn_t r = api.get_count(&count);
  if (r != kNvmlSuccess) return Status::Unavailable("NVML device count: " + api.Error(r));
  std::vector<GpuInfo> gpus;
  std::vector<nvmlDevice_t> devs(count, nullptr);
  for (unsigned int i = 0; i < count; ++i) {
    GpuInfo g;
    g.index = static_cast<int32_t>(i);
    r = api.get_handle(i, &devs[i]);
    if (r == kNvmlGpuIsLost) {  // listed, so indices stay 0..n-1, but out of service
      devs[i] = nullptr;
      g.healthy = false;
      g.health_reason = "NVML reports the GPU lost";
      gpus.push_back(std::move(g));
      continue;
    }
    if (r != kNvmlSuccess)
      return Status::Unavailable("NVML device " + std::to_string(i) + ": " + api.Error(r));
    nvmlDevice_t dev = devs[i];
    char name[kNameBufferSize] = {0};
    char uuid[kNameBufferSize] = {0};
    nvmlMemory_t mem{};
    if ((r = api.get_name(dev, name, kNameBufferSize)) != kNvmlSuccess ||
        (r = api.get_uuid(dev, uuid, kNameBufferSize)) != kNvmlSuccess ||
        (r = api.get_memory(dev, &mem)) != kNvmlSuccess) {
      if (r == kNvmlGpuIsLost) {
        g.healthy = false;
        g.health_reason = "NVML reports the GPU lost";
        g.uuid = uuid;
        g.model = name;
        gpus.push_back(std::move(g));
        continue;
      }
      return Status::Unavailable("NVML device " + std::to_string(i) + ": " + api.Error(r));
    }
    g.uuid = uuid;
    g.model = name;
    g.memory_bytes = mem.total;
    g.memory_used_bytes = mem.used;
    nvmlUtilization_t util{};
    if (api.get_utilization && api.get_utilization(dev, &util) == kNvmlSuccess)
      g.utilization_percent = static_cast<int32_t>(util.gpu);
    unsigned long long ecc = 0;
    // NOT_SUPPORTED (no ECC, e.g. consumer GPUs) counts as healthy.
    if (api.get_ecc && api.get_ecc(dev, kMemoryErrorUncorrected, kVolatileEcc, &ecc) == kNvmlSuccess &&
        ecc > 0) {
      g.healthy = false;
      g.health_reason = "uncorrectable ECC errors: " + std::to_string(ecc);
    }
    gpus.push_back(std::move(g));
  }
  if (api.get_p2p) {
    for (unsigned int i = 0; i < count; ++i) {
      for (unsigned int k = 0; k < count && devs[i]; ++k) {
        int status = -1;
        if (k == i || !devs[k]) continue;
        nvmlReturn_t pr = api.get_p2p(devs[i], devs[k], kP2pCapsNvlink, &status);
        if (pr == kNvmlSuccess && status == kP2pStatusOk)
          gpus[i].nvlink_peers.push_back(static_cast<int32_t>(k));
        else if (pr == kNvmlNotSupported)
          break;  // this GPU cannot tell
      }
    }
  }
  return gpus;
}

}  // namespace muster::agent
