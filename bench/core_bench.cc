// Policy-core benchmarks (issue 3): a full scheduling cycle at cluster scale
// and single-job placement throughput.
//
// Job sizes follow the GPU-count mix of the whole Philly trace (its 82,247
// jobs as Pollux pre-processed them; source in tests/sim/data/README.md):
// 1 GPU 93.2 %, 2 GPUs 2.2 %, 4 GPUs 2.3 %, 8 GPUs 2.0 %, more than 8 0.4 %,
// the last split over 16/32/64 as in the trace. Deterministic: fixed seed.
#include <benchmark/benchmark.h>

#include <random>

#include "scheduler/core/policy.h"

namespace muster::core {
namespace {

int32_t PhillyGpus(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 100);
  double x = u(rng);
  if (x < 93.2) return 1;
  if (x < 95.4) return 2;
  if (x < 97.7) return 4;
  if (x < 99.7) return 8;
  static const int32_t kBig[] = {16, 16, 16, 32, 32, 64};
  return kBig[rng() % 6];
}

// `nodes` x 8 GPUs in racks of 32 nodes, 8 per switch; `busy_fraction` of the
// GPUs held by running 1..8-GPU jobs with staggered expected ends.
ClusterSnapshot MakeCluster(int32_t nodes, double busy_fraction, Time now, std::mt19937_64& rng) {
  ClusterSnapshot c;
  c.nodes.resize(nodes);
  JobId next = 1'000'000'000;
  for (int32_t i = 0; i < nodes; ++i) {
    NodeView& n = c.nodes[i];
    n.name = "node-" + std::to_string(i);
    n.labels = {{"rack", "r" + std::to_string(i / 32)}, {"switch", "s" + std::to_string(i / 8)}};
    n.gpus_total = 8;
    int32_t busy = static_cast<int32_t>(8 * busy_fraction + (rng() % 100) / 100.0);
    busy = std::min(busy, 8);
    for (int32_t g = busy; g < 8; ++g) n.free_gpus.push_back(g);
    if (busy > 0) {
      RunningJob r;
      r.id = next++;
      r.start_time = now - kHour;
      r.expected_end = now + static_cast<Duration>(rng() % (24 * 3600)) * kSecond;
      r.preemptible = rng() % 4 == 0;
      std::vector<int32_t> gpus;
      for (int32_t g = 0; g < busy; ++g) gpus.push_back(g);
      r.placement.push_back({n.name, gpus});
      c.running.push_back(std::move(r));
    }
  }
  return c;
}

QueueSnapshot MakeQueue(int32_t pending, Time now, std::mt19937_64& rng) {
  QueueSnapshot q;
  q.queues = {QueueConfig{"default", 1, 0, -1, 0, 4 * kHour, false},
              QueueConfig{"research", 2, 0, -1, 0, 4 * kHour, false},
              QueueConfig{"prod", 1, 0, -1, 1, 4 * kHour, false}};
  q.queue_usage_gpu_hours = {100, 50, 10};
  for (int32_t t = 0; t < 15; ++t) q.teams.push_back({"team-" + std::to_string(t), t % 3, double(t * 10)});
  q.pending.reserve(pending);
  for (int32_t i = 0; i < pending; ++i) {
    PendingJob j;
    j.id = static_cast<JobId>(i + 1);
    j.priority = static_cast<int32_t>(rng() % 3);
    j.submit_time = now - static_cast<Duration>(pending - i) * kSecond;
    int32_t gpus = PhillyGpus(rng);
    if (gpus > 8) {
      j.nodes = gpus / 8;
      j.gpus_per_node = 8;
    } else {
      j.total_gpus = gpus;
    }
    j.team = static_cast<int32_t>(rng() % 15);
    j.queue = q.teams[j.team].queue;
    j.time_limit = static_cast<Duration>(600 + rng() % (12 * 3600)) * kSecond;
    q.pending.push_back(j);
  }
  return q;
}

// A full cycle: every pending job ordered, checked and placed or given a
// reason, on a cluster that is 90 % busy (the realistic, contended case).
void BM_FullCycle(benchmark::State& state) {
  const int32_t nodes = static_cast<int32_t>(state.range(0));
  const int32_t pending = static_cast<int32_t>(state.range(1));
  std::mt19937_64 rng(42);
  Time now = 1'800'000'000LL * kSecond;
  ClusterSnapshot cluster = MakeCluster(nodes, 0.9, now, rng);
  QueueSnapshot queue = MakeQueue(pending, now, rng);
  size_t placed = 0;
  for (auto _ : state) {
    Plan plan = Decide(cluster, queue, now);
    placed = plan.placements.size();
    benchmark::DoNotOptimize(plan);
  }
  state.counters["placed"] = static_cast<double>(placed);
  state.counters["decisions/s"] =
      benchmark::Counter(static_cast<double>(pending), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_FullCycle)
    ->ArgsProduct({{1000, 10000}, {10000, 100000}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Placement throughput: an idle cluster and 1-GPU jobs that all fit.
void BM_SingleJobPlacements(benchmark::State& state) {
  const int32_t nodes = static_cast<int32_t>(state.range(0));
  std::mt19937_64 rng(7);
  Time now = 1'800'000'000LL * kSecond;
  ClusterSnapshot cluster = MakeCluster(nodes, 0.0, now, rng);
  QueueSnapshot queue;
  const int32_t jobs = nodes * 8;
  for (int32_t i = 0; i < jobs; ++i) {
    PendingJob j;
    j.id = static_cast<JobId>(i + 1);
    j.submit_time = now - kSecond * (jobs - i);
    j.total_gpus = 1;
    j.time_limit = kHour;
    queue.pending.push_back(j);
  }
  size_t placed = 0;
  for (auto _ : state) {
    Plan plan = Decide(cluster, queue, now);
    placed = plan.placements.size();
  }
  state.counters["placed"] = static_cast<double>(placed);
  state.counters["placements/s"] =
      benchmark::Counter(static_cast<double>(placed), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SingleJobPlacements)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace muster::core

BENCHMARK_MAIN();
