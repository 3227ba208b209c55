// agent/gpu: the fake, and NVML where there is no driver.
#include <gtest/gtest.h>

#include <iostream>

#include "agent/gpu/fake_gpu_probe.h"
#include "agent/gpu/nvml_gpu_probe.h"

namespace muster::agent {
namespace {

TEST(FakeGpuProbeTest, ListsNamedGpus) {
  FakeGpuProbe probe(3, "node-a");
  auto gpus = probe.Discover();
  ASSERT_TRUE(gpus.ok()) << gpus.status().ToString();
  ASSERT_EQ(gpus->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const GpuInfo& g = (*gpus)[i];
    EXPECT_EQ(g.index, i);
    EXPECT_EQ(g.uuid, "GPU-fake-node-a-" + std::to_string(i));
    EXPECT_EQ(g.model, "Fake GPU");
    EXPECT_EQ(g.memory_bytes, 80ull * 1024 * 1024 * 1024);
  }
  FakeGpuProbe none(0, "node-b");
  auto empty = none.Discover();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(FakeGpuProbeTest, IdleAndHealthyUnlessMarkedUnhealthy) {
  FakeGpuProbe probe(4, "node-a", {1, 3});
  auto gpus = probe.Sample();
  ASSERT_TRUE(gpus.ok()) << gpus.status().ToString();
  ASSERT_EQ(gpus->size(), 4u);
  for (int i = 0; i < 4; ++i) {
    const GpuInfo& g = (*gpus)[i];
    EXPECT_EQ(g.utilization_percent, 0);
    EXPECT_EQ(g.memory_used_bytes, 0u);
    EXPECT_TRUE(g.nvlink_peers.empty());
    bool marked = i == 1 || i == 3;
    EXPECT_EQ(g.healthy, !marked) << "GPU " << i;
    EXPECT_EQ(g.health_reason, marked ? "fake: marked unhealthy" : "") << "GPU " << i;
  }
}

TEST(FakeGpuProbeTest, ParsesTheUnhealthyGpuList) {
  auto none = ParseGpuIndexList("", 4);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto two = ParseGpuIndexList("3,1,3", 4);
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_EQ(*two, (std::set<int>{1, 3}));
  for (const char* bad : {"4", "-1", "1,", ",1", "a", "1 2", "99999"})
    EXPECT_FALSE(ParseGpuIndexList(bad, 4).ok()) << bad;
}

TEST(NvmlGpuProbeTest, NoDriverIsUnavailableNotACrash) {
  NvmlGpuProbe probe;
  auto gpus = probe.Discover();
  if (gpus.ok()) GTEST_SKIP() << "NVML is present here: " << gpus->size() << " GPUs";
  EXPECT_EQ(gpus.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(gpus.status().message().find("libnvidia-ml.so.1"), std::string::npos) << gpus.status().message();
  // Probing twice is fine (nothing was left initialised or loaded).
  EXPECT_FALSE(probe.Discover().ok());
}

TEST(NvmlGpuProbeTest, RealGpusHaveSaneFields) {
  auto gpus = NvmlGpuProbe().Discover();
  if (!gpus.ok()) GTEST_SKIP() << "no NVML here: " << gpus.status().message();
  ASSERT_FALSE(gpus->empty()) << "NVML initialised but lists no GPU";
  for (size_t i = 0; i < gpus->size(); ++i) {
    const GpuInfo& g = (*gpus)[i];
    std::cout << "GPU " << g.index << ": " << g.model << " " << g.uuid << " " << (g.memory_bytes >> 20)
              << " MiB\n";
    EXPECT_EQ(g.index, static_cast<int32_t>(i));
    EXPECT_EQ(g.uuid.rfind("GPU-", 0), 0u) << g.uuid;
    EXPECT_FALSE(g.model.empty());
    EXPECT_GT(g.memory_bytes, 1ull << 30);
  }
}

TEST(NvmlGpuProbeTest, MissingOrWrongLibraryIsUnavailable) {
  auto missing = NvmlGpuProbe("libmuster-no-such-library.so.1").Discover();
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kUnavailable);
  // A library that loads but is not NVML.
  auto wrong = NvmlGpuProbe("libm.so.6").Discover();
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(wrong.status().message().find("symbol"), std::string::npos) << wrong.status().message();
}

}  // namespace
}  // namespace muster::agent
