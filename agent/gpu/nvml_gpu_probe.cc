#include "agent/gpu/nvml_gpu_probe.h"

#include <dlfcn.h>

#include "common/base/log.h"

namespace muster::agent {
namespace {

// The few NVML declarations we need (nvml.h is not required to build).
using nvmlReturn_t = int;  // an enum in nvml.h; 0 is NVML_SUCCESS
constexpr nvmlReturn_t kNvmlSuccess = 0;
struct nvmlDevice_st;
using nvmlDevice_t = nvmlDevice_st*;
struct nvmlMemory_t {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
constexpr unsigned kNameBufferSize = 256;  // NVML needs 96 (name) / 80 (uuid)

struct NvmlApi {
  nvmlReturn_t (*init)();
  nvmlReturn_t (*shutdown)();
  nvmlReturn_t (*get_count)(unsigned int*);
  nvmlReturn_t (*get_handle)(unsigned int, nvmlDevice_t*);
  nvmlReturn_t (*get_name)(nvmlDevice_t, char*, unsigned int);
  nvmlReturn_t (*get_uuid)(nvmlDevice_t, char*, unsigned int);
  nvmlReturn_t (*get_memory)(nvmlDevice_t, nvmlMemory_t*);
  const char* (*error_string)(nvmlReturn_t);  // optional
};

// Closes the library on every path out of Discover().
class DlHandle {
 public:
  explicit DlHandle(void* h) : h_(h) {}
  ~DlHandle() {
    if (h_) dlclose(h_);
  }
  DlHandle(const DlHandle&) = delete;
  DlHandle& operator=(const DlHandle&) = delete;
  void* get() const { return h_; }

 private:
  void* h_;
};

template <typename Fn>
bool Load(void* lib, const char* name, Fn& fn) {
  fn = reinterpret_cast<Fn>(dlsym(lib, name));
  return fn != nullptr;
}

std::string NvmlError(const NvmlApi& api, nvmlReturn_t rc) {
  std::string s = "NVML error " + std::to_string(rc);
  if (api.error_string) {
    const char* text = api.error_string(rc);
    if (text) s += " (" + std::string(text) + ")";
  }
  return s;
}

}  // namespace

NvmlGpuProbe::NvmlGpuProbe(std::string library) : library_(std::move(library)) {}

Result<std::vector<GpuInfo>> NvmlGpuProbe::Discover() {
  DlHandle lib(dlopen(library_.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!lib.get()) {
    const char* err = dlerror();
    MLOG(Debug) << "dlopen " << library_ << ": " << (err ? err : "unknown error");
    return Status::Unavailable("NVML " + library_ + " not available");
  }
  NvmlApi api{};
  if (!Load(lib.get(), "nvmlInit_v2", api.init) || !Load(lib.get(), "nvmlShutdown", api.shutdown) ||
      !Load(lib.get(), "nvmlDeviceGetCount_v2", api.get_count) ||
      !Load(lib.get(), "nvmlDeviceGetHandleByIndex_v2", api.get_handle) ||
      !Load(lib.get(), "nvmlDeviceGetName", api.get_name) ||
      !Load(lib.get(), "nvmlDeviceGetUUID", api.get_uuid) ||
      !Load(lib.get(), "nvmlDeviceGetMemoryInfo", api.get_memory)) {
    return Status::Unavailable("NVML " + library_ + " lacks a required symbol");
  }
  Load(lib.get(), "nvmlErrorString", api.error_string);

  nvmlReturn_t rc = api.init();
  if (rc != kNvmlSuccess) return Status::Unavailable("NVML init failed: " + NvmlError(api, rc));

  Result<std::vector<GpuInfo>> result = [&]() -> Result<std::vector<GpuInfo>> {
    unsigned int count = 0;
    nvmlReturn_t r = api.get_count(&count);
    if (r != kNvmlSuccess) return Status::Unavailable("NVML device count: " + NvmlError(api, r));
    std::vector<GpuInfo> gpus;
    for (unsigned int i = 0; i < count; ++i) {
      nvmlDevice_t dev = nullptr;
      r = api.get_handle(i, &dev);
      if (r != kNvmlSuccess)
        return Status::Unavailable("NVML device " + std::to_string(i) + ": " + NvmlError(api, r));
      char name[kNameBufferSize] = {0};
      char uuid[kNameBufferSize] = {0};
      nvmlMemory_t mem{};
      if ((r = api.get_name(dev, name, kNameBufferSize)) != kNvmlSuccess ||
          (r = api.get_uuid(dev, uuid, kNameBufferSize)) != kNvmlSuccess ||
          (r = api.get_memory(dev, &mem)) != kNvmlSuccess) {
        return Status::Unavailable("NVML device " + std::to_string(i) + ": " + NvmlError(api, r));
      }
      GpuInfo g;
      g.index = static_cast<int32_t>(i);
      g.uuid = uuid;
      g.model = name;
      g.memory_bytes = mem.total;
      gpus.push_back(std::move(g));
    }
    return gpus;
  }();
  api.shutdown();
  return result;
}

}  // namespace muster::agent
