// How long the agent is busy starting a node's ranks (ProcessLauncher), and
// how long until they have all run: the part of a gang's start that is the
// agent's own. `--benchmark_filter=StartAll/8` is one 8-GPU node's gang share.
#include <benchmark/benchmark.h>
#include <poll.h>
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/runtime/process_launcher.h"

namespace muster::agent {
namespace {

std::vector<ProcessSpec> Specs(int n, const std::string& dir) {
  std::vector<ProcessSpec> specs;
  for (int i = 0; i < n; ++i)
    specs.push_back(
        ProcessSpec{{"true"}, {"PATH=/usr/bin:/bin"}, dir, dir + "/rank-" + std::to_string(i) + ".log"});
  return specs;
}

// Ballast: a bigger parent makes fork copy more page tables, as a real
// agent's heap and ZeroMQ's threads do.
void* Ballast(size_t mib) {
  if (mib == 0) return nullptr;
  void* p = mmap(nullptr, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  std::memset(p, 1, mib << 20);
  return p;
}

void BM_StartAll(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const size_t ballast_mib = static_cast<size_t>(state.range(1));
  void* ballast = Ballast(ballast_mib);
  auto launcher = ProcessLauncher::Create();
  if (!launcher.ok()) {
    state.SkipWithError(launcher.status().message().c_str());
    return;
  }
  const std::string dir =
      std::filesystem::temp_directory_path() / ("muster-launch-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto specs = Specs(n, dir);
  for (auto _ : state) {
    auto pids = (*launcher)->StartAll(specs);
    for (auto& p : pids)
      if (!p.ok()) state.SkipWithError(p.status().message().c_str());
    // Until every rank has run and been reaped: the next round starts clean.
    state.PauseTiming();
    size_t reaped = 0;
    while (reaped < pids.size()) {
      pollfd pfd{(*launcher)->wake_fd(), POLLIN, 0};
      poll(&pfd, 1, 100);
      reaped += (*launcher)->Reap().size();
    }
    state.ResumeTiming();
  }
  state.counters["ranks/s"] =
      benchmark::Counter(static_cast<double>(n) * state.iterations(), benchmark::Counter::kIsRate);
  std::filesystem::remove_all(dir);
  if (ballast) munmap(ballast, ballast_mib << 20);
}
BENCHMARK(BM_StartAll)
    ->Args({1, 0})
    ->Args({8, 0})
    ->Args({8, 256})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace muster::agent

BENCHMARK_MAIN();
