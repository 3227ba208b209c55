// nccl_allreduce: a real NCCL job for Muster (docs/architecture.md "Gang jobs and NCCL").
//
// Every rank of a gang runs this program. It reads the environment Muster
// sets (RANK, WORLD_SIZE, LOCAL_RANK, CUDA_VISIBLE_DEVICES, MUSTER_RDZV, ...),
// picks its GPU, bootstraps NCCL through Muster's rendezvous (rank 0 creates
// the ncclUniqueId and publishes it as "nccl-id"; the others await it), runs
// warm-up and timed float sum all-reduces, checks the result on the device,
// and prints one line per rank:
//
//   nccl_allreduce rank R/W gpu <name> ok size <bytes> algbw X GB/s busbw Y GB/s
//
// (busbw = algbw * 2*(W-1)/W, as nccl-tests reports it). Exit status: 0 the
// result is correct on every rank; 1 wrong result, a CUDA/NCCL/rendezvous
// error or a timeout; 2 usage or environment error; 3 no usable GPU.
//
// Every wait is bounded (--timeout): the communicator is created non-blocking
// and polled, so a rank whose peer died fails with a message instead of
// hanging until the job's time limit.
//
// Run alone (WORLD_SIZE unset or 1, no MUSTER_RDZV) it is a one-GPU smoke test.
#include <cuda_runtime.h>
#include <nccl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <climits>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "muster/rendezvous.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNoGpu = 3;

constexpr const char* kProgram = "nccl_allreduce";
constexpr const char* kIdKey = "nccl-id";

// Values repeat with this period along the buffer, so a chunk that lands at
// the wrong offset is caught, and every sum stays an exact float integer
// (world * (world + 1) / 2 * kPattern < 2^24 for worlds up to ~1400 ranks).
constexpr uint32_t kPattern = 7;

struct Options {
  size_t bytes = size_t{64} << 20;
  int iters = 20;
  int warmup = 5;
  int timeout_s = 120;
  bool blocking = false;
};

struct Env {
  int rank = 0;
  int world = 1;
  int local_rank = 0;
  bool has_rdzv = false;
};

// What the error paths need to clean up: an abort must not leave a peer
// waiting on a half-made communicator.
struct State {
  int rank = -1;
  int world = 0;
  ncclComm_t comm = nullptr;
} g_state;

void Print(FILE* out, const char* fmt, va_list ap) {
  if (g_state.rank >= 0)
    std::fprintf(out, "%s rank %d/%d: ", kProgram, g_state.rank, g_state.world);
  else
    std::fprintf(out, "%s: ", kProgram);
  std::vfprintf(out, fmt, ap);
  std::fputc('\n', out);
  std::fflush(out);
}

void Info(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void Info(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Print(stdout, fmt, ap);
  va_end(ap);
}

[[noreturn]] void Die(int code, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
[[noreturn]] void Die(int code, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Print(stderr, fmt, ap);
  va_end(ap);
  if (g_state.comm) {
    ncclCommAbort(g_state.comm);  // frees NCCL's resources; peers see a remote error
    g_state.comm = nullptr;
  }
  std::exit(code);
}

#define CUDA_CHECK(expr)                                                                            \
  do {                                                                                              \
    cudaError_t err_ = (expr);                                                                      \
    if (err_ != cudaSuccess)                                                                        \
      Die(kExitFailure, "CUDA error %d %s (%s) in %s at %s:%d", static_cast<int>(err_),             \
          cudaGetErrorName(err_), cudaGetErrorString(err_), #expr, __FILE__, __LINE__);             \
  } while (0)

std::string NcclErrorText(ncclResult_t r) {
  std::string s = std::to_string(static_cast<int>(r)) + " (" + ncclGetErrorString(r) + ")";
  const char* last = ncclGetLastError(g_state.comm);  // comm may be null: NCCL's last error
  if (last && *last) s += ": " + std::string(last);
  return s;
}

using Clock = std::chrono::steady_clock;

Clock::time_point Deadline(const Options& o) { return Clock::now() + std::chrono::seconds(o.timeout_s); }

// Waits until the communicator's pending operation (non-blocking init, a
// collective that had to set up connections, finalize) is done.
void WaitComm(ncclComm_t comm, Clock::time_point deadline, const char* what, const Options& o) {
  for (;;) {
    ncclResult_t state = ncclSuccess;
    ncclResult_t r = ncclCommGetAsyncError(comm, &state);
    if (r != ncclSuccess) Die(kExitFailure, "NCCL error %s polling %s", NcclErrorText(r).c_str(), what);
    if (state == ncclSuccess) return;
    if (state != ncclInProgress)
      Die(kExitFailure, "NCCL error %s in %s (did a peer rank fail?)", NcclErrorText(state).c_str(), what);
    if (Clock::now() > deadline)
      Die(kExitFailure, "timed out after %ds in %s (a peer rank missing or dead?)", o.timeout_s, what);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

// Checks an NCCL call on the global communicator; ncclInProgress (from a
// non-blocking communicator) means: wait for it, bounded.
#define NCCL_CHECK(expr, opts)                                                                      \
  do {                                                                                              \
    ncclResult_t r_ = (expr);                                                                       \
    if (r_ == ncclInProgress && g_state.comm)                                                             \
      WaitComm(g_state.comm, Deadline(opts), #expr, opts);                                                \
    else if (r_ != ncclSuccess)                                                                     \
      Die(kExitFailure, "NCCL error %s in %s at %s:%d", NcclErrorText(r_).c_str(), #expr, __FILE__, \
          __LINE__);                                                                                \
  } while (0)

// Waits for the stream's work to finish while watching the communicator for
// asynchronous errors (a peer that died shows up here, not as a CUDA error).
void WaitStream(cudaStream_t stream, const char* what, const Options& o) {
  const Clock::time_point deadline = Deadline(o);
  for (;;) {
    cudaError_t e = cudaStreamQuery(stream);
    if (e == cudaSuccess) return;
    if (e != cudaErrorNotReady)
      Die(kExitFailure, "CUDA error %d %s (%s) waiting for %s", static_cast<int>(e), cudaGetErrorName(e),
          cudaGetErrorString(e), what);
    if (g_state.comm) {
      ncclResult_t state = ncclSuccess;
      if (ncclCommGetAsyncError(g_state.comm, &state) == ncclSuccess && state != ncclSuccess &&
          state != ncclInProgress)
        Die(kExitFailure, "NCCL error %s while waiting for %s (did a peer rank fail?)",
            NcclErrorText(state).c_str(), what);
    }
    if (Clock::now() > deadline)
      Die(kExitFailure, "timed out after %ds waiting for %s (a peer rank missing or dead?)", o.timeout_s, what);
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

// ---- device code ------------------------------------------------------------

__global__ void FillKernel(float* buf, size_t n, float scale) {
  for (size_t i = blockIdx.x * size_t{blockDim.x} + threadIdx.x; i < n; i += size_t{gridDim.x} * blockDim.x)
    buf[i] = scale * static_cast<float>(1 + i % kPattern);
}

struct CheckResult {
  unsigned long long mismatches;
  unsigned long long first_bad;  // ULLONG_MAX: none
};

__global__ void CheckKernel(const float* buf, size_t n, float expected_scale, CheckResult* out) {
  unsigned long long local = 0;
  unsigned long long first = ULLONG_MAX;
  for (size_t i = blockIdx.x * size_t{blockDim.x} + threadIdx.x; i < n; i += size_t{gridDim.x} * blockDim.x) {
    if (buf[i] != expected_scale * static_cast<float>(1 + i % kPattern)) {
      ++local;
      if (first == ULLONG_MAX) first = i;
    }
  }
  if (local) {
    atomicAdd(&out->mismatches, local);
    atomicMin(&out->first_bad, first);
  }
}

unsigned Blocks(size_t n, unsigned threads) {
  return static_cast<unsigned>(std::min<size_t>((n + threads - 1) / threads, 8192));
}

// ---- command line and environment -----------------------------------------

void Usage() {
  std::printf(
      "usage: %s [--bytes N] [--iters N] [--warmup N] [--timeout SECONDS] [--blocking]\n"
      "  --bytes N     all-reduce size in bytes, suffixes K M G (binary): default 64M\n"
      "  --iters N     timed all-reduces (default 20)\n"
      "  --warmup N    untimed all-reduces first (default 5)\n"
      "  --timeout S   bound on every wait: rendezvous, NCCL init, each phase (default 120)\n"
      "  --blocking    blocking NCCL communicator (no timeouts inside NCCL)\n"
      "Reads RANK, WORLD_SIZE, LOCAL_RANK and MUSTER_RDZV (set by Muster).\n"
      "Exit: 0 correct on every rank, 1 failure, 2 usage, 3 no usable GPU.\n",
      kProgram);
}

bool ParseInt(const char* s, long long lo, long long hi, long long* out) {
  if (!s || !*s) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s, &end, 10);
  if (errno || *end || v < lo || v > hi) return false;
  *out = v;
  return true;
}

// "67108864", "64M", "64MiB", "1G", "512k".
bool ParseBytes(const char* s, size_t* out) {
  if (!s || !*s) return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno || end == s || s[0] == '-') return false;
  std::string suffix(end);
  unsigned shift = 0;
  if (!suffix.empty()) {
    switch (suffix[0]) {
      case 'k': case 'K': shift = 10; break;
      case 'm': case 'M': shift = 20; break;
      case 'g': case 'G': shift = 30; break;
      default: return false;
    }
    std::string rest = suffix.substr(1);
    if (!rest.empty() && rest != "B" && rest != "iB") return false;
  }
  if (v > (ULLONG_MAX >> shift)) return false;
  *out = static_cast<size_t>(v << shift);
  return true;
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string value;
    bool has_value = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    auto next = [&]() -> const char* {
      if (has_value) return value.c_str();
      if (i + 1 >= argc) Die(kExitUsage, "%s needs a value (try --help)", a.c_str());
      return argv[++i];
    };
    long long v = 0;
    if (a == "-h" || a == "--help") {
      Usage();
      std::exit(kExitOk);
    } else if (a == "--bytes") {
      const char* s = next();
      if (!ParseBytes(s, &o.bytes) || o.bytes < sizeof(float))
        Die(kExitUsage, "bad --bytes '%s': a size of at least 4 bytes, e.g. 67108864 or 64M", s);
    } else if (a == "--iters") {
      const char* s = next();
      if (!ParseInt(s, 1, 1000000, &v)) Die(kExitUsage, "bad --iters '%s': 1..1000000", s);
      o.iters = static_cast<int>(v);
    } else if (a == "--warmup") {
      const char* s = next();
      if (!ParseInt(s, 0, 1000000, &v)) Die(kExitUsage, "bad --warmup '%s': 0..1000000", s);
      o.warmup = static_cast<int>(v);
    } else if (a == "--timeout") {
      const char* s = next();
      if (!ParseInt(s, 1, 86400, &v)) Die(kExitUsage, "bad --timeout '%s': 1..86400 seconds", s);
      o.timeout_s = static_cast<int>(v);
    } else if (a == "--blocking" && !has_value) {
      o.blocking = true;
    } else {
      Die(kExitUsage, "unknown argument '%s' (try --help)", argv[i]);
    }
  }
  o.bytes -= o.bytes % sizeof(float);
  return o;
}

int EnvInt(const char* name, int fallback, long long lo, long long hi) {
  const char* s = std::getenv(name);
  if (!s || !*s) return fallback;
  long long v = 0;
  if (!ParseInt(s, lo, hi, &v)) Die(kExitUsage, "bad %s='%s' in the environment", name, s);
  return static_cast<int>(v);
}

Env ReadEnv() {
  Env e;
  e.world = EnvInt("WORLD_SIZE", 1, 1, INT_MAX);
  e.rank = EnvInt("RANK", 0, 0, INT_MAX);
  e.local_rank = EnvInt("LOCAL_RANK", 0, 0, INT_MAX);
  const char* rdzv = std::getenv("MUSTER_RDZV");
  e.has_rdzv = rdzv && *rdzv;
  if (e.rank >= e.world) Die(kExitUsage, "RANK=%d is not below WORLD_SIZE=%d", e.rank, e.world);
  if (e.world > 1 && !e.has_rdzv)
    Die(kExitUsage,
        "WORLD_SIZE=%d but MUSTER_RDZV is not set: run the ranks under Muster "
        "(muster submit --nodes N --gpus-per-node G -- %s)",
        e.world, kProgram);
  return e;
}

// ---- the job ----------------------------------------------------------------

// The GPU this rank uses: device 0 when the agent gave it one GPU, else its
// local rank modulo the visible count (e.g. --ranks-per-node 1 on a node).
int PickDevice(const Env& env, int* count) {
  cudaError_t e = cudaGetDeviceCount(count);
  if (e != cudaSuccess || *count <= 0) {
    const char* cvd = std::getenv("CUDA_VISIBLE_DEVICES");
    if (e != cudaSuccess)
      Die(kExitNoGpu, "no usable GPU: cudaGetDeviceCount failed with %d %s (%s); CUDA_VISIBLE_DEVICES=%s",
          static_cast<int>(e), cudaGetErrorName(e), cudaGetErrorString(e), cvd ? cvd : "(unset)");
    Die(kExitNoGpu, "no usable GPU: CUDA sees no device; CUDA_VISIBLE_DEVICES=%s", cvd ? cvd : "(unset)");
  }
  return *count == 1 ? 0 : env.local_rank % *count;
}

ncclUniqueId ExchangeId(const Env& env, const Options& o) {
  ncclUniqueId id;
  std::memset(&id, 0, sizeof id);
  if (!env.has_rdzv) {  // a world of one: nobody to share the id with
    NCCL_CHECK(ncclGetUniqueId(&id), o);
    return id;
  }
  auto rdzv = muster::Rendezvous::FromEnvironment();
  if (!rdzv.ok())
    Die(kExitFailure, "rendezvous at %s: %s", std::getenv("MUSTER_RDZV"), rdzv.status().ToString().c_str());
  const int32_t timeout_ms = o.timeout_s * 1000;
  if (env.rank == 0) {
    NCCL_CHECK(ncclGetUniqueId(&id), o);
    muster::Status st = (*rdzv)->Publish(kIdKey, std::string(id.internal, sizeof id.internal));
    if (!st.ok()) Die(kExitFailure, "rendezvous: publishing %s failed: %s", kIdKey, st.ToString().c_str());
  } else {
    muster::Result<std::string> value = (*rdzv)->Await(kIdKey, timeout_ms);
    if (!value.ok())
      Die(kExitFailure, "rendezvous: awaiting %s from rank 0 failed after up to %ds: %s", kIdKey, o.timeout_s,
          value.status().ToString().c_str());
    if (value->size() != sizeof id.internal)
      Die(kExitFailure, "rendezvous: %s has %zu bytes, expected %zu (not an ncclUniqueId)", kIdKey,
          value->size(), sizeof id.internal);
    std::memcpy(id.internal, value->data(), sizeof id.internal);
  }
  // Everyone holds the id before anyone blocks in NCCL's own bootstrap.
  muster::Status st = (*rdzv)->Barrier("nccl-id-received", timeout_ms);
  if (!st.ok()) Die(kExitFailure, "rendezvous: barrier failed: %s", st.ToString().c_str());
  return id;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  const Env env = ReadEnv();
  g_state.rank = env.rank;
  g_state.world = env.world;

  int device_count = 0;
  const int device = PickDevice(env, &device_count);
  CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  char bus_id[32] = "?";
  CUDA_CHECK(cudaDeviceGetPCIBusId(bus_id, sizeof bus_id, device));
  int nccl_version = 0;
  NCCL_CHECK(ncclGetVersion(&nccl_version), o);
  const char* cvd = std::getenv("CUDA_VISIBLE_DEVICES");
  Info("local rank %d, CUDA device %d of %d (%s, %s, %.1f GiB), CUDA_VISIBLE_DEVICES=%s, NCCL %d.%d.%d", env.local_rank,
       device, device_count, prop.name, bus_id, static_cast<double>(prop.totalGlobalMem) / (1 << 30),
       cvd ? cvd : "(unset)", nccl_version / 10000, nccl_version / 100 % 100, nccl_version % 100);

  const size_t count = o.bytes / sizeof(float);
  float* send = nullptr;
  float* recv = nullptr;
  CheckResult* check = nullptr;
  cudaStream_t stream = nullptr;
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  CUDA_CHECK(cudaMalloc(&send, count * sizeof(float)));
  CUDA_CHECK(cudaMalloc(&recv, count * sizeof(float)));
  CUDA_CHECK(cudaMalloc(&check, sizeof(CheckResult)));
  constexpr unsigned kThreads = 256;
  FillKernel<<<Blocks(count, kThreads), kThreads, 0, stream>>>(send, count, static_cast<float>(env.rank + 1));
  CUDA_CHECK(cudaGetLastError());
  WaitStream(stream, "filling the send buffer", o);

  const ncclUniqueId id = ExchangeId(env, o);
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = o.blocking ? 1 : 0;
  {
    ncclComm_t comm = nullptr;
    ncclResult_t r = ncclCommInitRankConfig(&comm, env.world, id, env.rank, &config);
    g_state.comm = comm;  // set even on failure so Die() aborts what was made
    if (r == ncclInProgress)
      WaitComm(comm, Deadline(o), "ncclCommInitRankConfig", o);
    else if (r != ncclSuccess)
      Die(kExitFailure, "NCCL error %s in ncclCommInitRankConfig (world %d)", NcclErrorText(r).c_str(), env.world);
  }

  // Warm-up: the first all-reduces set up NCCL's connections and channels.
  for (int i = 0; i < o.warmup; ++i)
    NCCL_CHECK(ncclAllReduce(send, recv, count, ncclFloat, ncclSum, g_state.comm, stream), o);
  WaitStream(stream, "the warm-up all-reduces", o);

  // Poison the output (0xff bytes are NaNs) so an all-reduce that writes
  // nothing cannot pass, then time `iters` back-to-back all-reduces.
  CUDA_CHECK(cudaMemsetAsync(recv, 0xff, count * sizeof(float), stream));
  cudaEvent_t start = nullptr, stop = nullptr;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  CUDA_CHECK(cudaEventRecord(start, stream));
  for (int i = 0; i < o.iters; ++i)
    NCCL_CHECK(ncclAllReduce(send, recv, count, ncclFloat, ncclSum, g_state.comm, stream), o);
  CUDA_CHECK(cudaEventRecord(stop, stream));
  WaitStream(stream, "the timed all-reduces", o);
  float ms = 0;
  CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));

  // Check on the device: every element must be sum_r (r+1) times its pattern.
  const double world_sum = static_cast<double>(env.world) * (env.world + 1) / 2;
  const CheckResult init{0, ULLONG_MAX};
  CUDA_CHECK(cudaMemcpyAsync(check, &init, sizeof init, cudaMemcpyHostToDevice, stream));
  CheckKernel<<<Blocks(count, kThreads), kThreads, 0, stream>>>(recv, count, static_cast<float>(world_sum), check);
  CUDA_CHECK(cudaGetLastError());
  CheckResult result{};
  CUDA_CHECK(cudaMemcpyAsync(&result, check, sizeof result, cudaMemcpyDeviceToHost, stream));
  WaitStream(stream, "the result check", o);
  float bad_value = 0;
  if (result.mismatches) {
    CUDA_CHECK(cudaMemcpy(&bad_value, recv + result.first_bad, sizeof bad_value, cudaMemcpyDeviceToHost));
  }

  // Agree on the verdict: a rank passes only when every rank's result is
  // right (the count is exact in a double sum for any realistic size).
  double* mismatches_dev = nullptr;
  CUDA_CHECK(cudaMalloc(&mismatches_dev, sizeof(double)));
  const double local_mismatches = static_cast<double>(result.mismatches);
  CUDA_CHECK(cudaMemcpyAsync(mismatches_dev, &local_mismatches, sizeof local_mismatches, cudaMemcpyHostToDevice,
                             stream));
  NCCL_CHECK(ncclAllReduce(mismatches_dev, mismatches_dev, 1, ncclDouble, ncclSum, g_state.comm, stream), o);
  double all_mismatches = 0;
  CUDA_CHECK(cudaMemcpyAsync(&all_mismatches, mismatches_dev, sizeof all_mismatches, cudaMemcpyDeviceToHost,
                             stream));
  WaitStream(stream, "the verdict all-reduce", o);

  const double seconds = ms / 1000.0 / o.iters;
  const double algbw = seconds > 0 ? static_cast<double>(o.bytes) / seconds / 1e9 : 0;
  const double busbw = algbw * 2.0 * (env.world - 1) / env.world;
  const bool ok = result.mismatches == 0 && all_mismatches == 0;
  if (ok) {
    std::printf("%s rank %d/%d gpu %s ok size %zu algbw %.2f GB/s busbw %.2f GB/s\n", kProgram, env.rank, env.world,
                prop.name, o.bytes, algbw, busbw);
    std::fflush(stdout);
  } else if (result.mismatches) {
    const size_t i = static_cast<size_t>(result.first_bad);
    std::fprintf(stderr,
                 "%s rank %d/%d gpu %s FAILED size %zu: %llu of %zu floats wrong here (%.0f over all ranks); "
                 "first at index %zu: got %g, expected %g\n",
                 kProgram, env.rank, env.world, prop.name, o.bytes, result.mismatches, count, all_mismatches, i,
                 static_cast<double>(bad_value), world_sum * static_cast<double>(1 + i % kPattern));
  } else {
    std::fprintf(stderr, "%s rank %d/%d gpu %s FAILED size %zu: correct here, but %.0f floats wrong on other ranks\n",
                 kProgram, env.rank, env.world, prop.name, o.bytes, all_mismatches);
  }

  // Orderly teardown: finalize (flushes, collective), then destroy.
  NCCL_CHECK(ncclCommFinalize(g_state.comm), o);
  WaitComm(g_state.comm, Deadline(o), "ncclCommFinalize", o);
  ncclComm_t comm = g_state.comm;
  g_state.comm = nullptr;
  ncclResult_t r = ncclCommDestroy(comm);
  if (r != ncclSuccess) Die(kExitFailure, "NCCL error %s in ncclCommDestroy", NcclErrorText(r).c_str());
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  CUDA_CHECK(cudaFree(mismatches_dev));
  CUDA_CHECK(cudaFree(check));
  CUDA_CHECK(cudaFree(recv));
  CUDA_CHECK(cudaFree(send));
  CUDA_CHECK(cudaStreamDestroy(stream));
  return ok ? kExitOk : kExitFailure;
}
