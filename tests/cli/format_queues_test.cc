// `queue list` and `usage`: tables and JSON.
#include <gtest/gtest.h>

#include "scheduler/cli/format.h"

namespace muster::cli {
namespace {

using nlohmann::json;

wire::QueueInfo Queue(std::string name, double usage) {
  wire::QueueInfo q;
  q.spec.name = std::move(name);
  q.usage_gpu_hours = usage;
  return q;
}

wire::QueueList Standing() {
  wire::QueueList list;
  list.half_life_hours = 168;
  auto batch = Queue("batch", 30);
  batch.gpus_used = 12;
  auto interactive = Queue("interactive", 10);
  interactive.gpus_used = 2;
  list.queues = {interactive, batch};
  list.teams = {{"batch", "vision", 8, 22.5}, {"batch", "nlp", 4, 7.5}, {"interactive", "vision", 2, 10}};
  return list;
}

TEST(FormatQueuesTable, HeaderAndRowsByName) {
  auto batch = Queue("batch", 123.456);
  batch.spec.weight = 2.5;
  batch.spec.guaranteed_gpus = 16;
  batch.spec.max_gpus = 64;
  batch.spec.tier = 1;
  batch.spec.paused = true;
  batch.running = 3;
  batch.pending = 40;
  batch.gpus_used = 24;
  EXPECT_EQ(FormatQueuesTable({Queue("default", 0), batch}),
            "NAME     WEIGHT  GUARANTEED  MAX  TIER  PAUSED  RUNNING  PENDING  GPUS_USED  USAGE_GPU_H\n"
            "batch    2.5     16          64   1     yes     3        40       24         123.46\n"
            "default  1       0           -    0     no      0        0        0          0.00\n");
}

TEST(QueueToJson, ExactKeys) {
  auto q = Queue("batch", 1.5);
  q.spec.weight = 2;
  q.spec.guaranteed_gpus = 8;
  q.spec.max_gpus = 32;
  q.spec.tier = 3;
  q.spec.default_time_limit = 4 * kHour;
  q.spec.default_window = Window::kOffpeakPreferred;
  q.running = 1;
  q.pending = 2;
  q.gpus_used = 8;
  EXPECT_EQ(QueueToJson(q), json::parse(R"({"name": "batch", "weight": 2.0, "guaranteed": 8, "max": 32,
      "tier": 3, "paused": false, "running": 1, "pending": 2, "gpus_used": 8, "usage_gpu_h": 1.5,
      "default_time_limit_s": 14400, "default_window": "offpeak-preferred"})"));
  EXPECT_TRUE(QueueToJson(Queue("open", 0))["max"].is_null());
}

TEST(QueuesToJson, ArraySortedByName) {
  json j = QueuesToJson({Queue("z", 0), Queue("a", 0)});
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["name"], "a");
  EXPECT_EQ(j[1]["name"], "z");
  EXPECT_EQ(QueuesToJson({}), json::array());
}

TEST(FormatUsage, HalfLifeThenQueuesEachWithItsTeams) {
  EXPECT_EQ(FormatUsage(Standing()),
            "Usage in decayed GPU-hours, half-life 168h\n"
            "QUEUE        TEAM    GPUS_USED  USAGE_GPU_H  SHARE\n"
            "batch        -       12         30.00        75.0%\n"
            "batch        nlp     4          7.50         18.8%\n"
            "batch        vision  8          22.50        56.2%\n"
            "interactive  -       2          10.00        25.0%\n"
            "interactive  vision  2          10.00        25.0%\n");
}

TEST(FormatUsage, NoUsageYetIsZeroShareAndTeamsOfUnlistedQueuesStillShow) {
  wire::QueueList list;
  list.half_life_hours = 0.5;
  list.queues = {Queue("default", 0)};
  list.teams = {{"gone", "t", 1, 0}};
  EXPECT_EQ(FormatUsage(list),
            "Usage in decayed GPU-hours, half-life 0.5h\n"
            "QUEUE    TEAM  GPUS_USED  USAGE_GPU_H  SHARE\n"
            "default  -     0          0.00         0.0%\n"
            "gone     t     1          0.00         0.0%\n");
}

TEST(UsageToJson, ExactKeys) {
  EXPECT_EQ(UsageToJson(Standing()), json::parse(R"({
      "half_life_hours": 168.0,
      "queues": [
        {"queue": "batch", "gpus_used": 12, "usage_gpu_h": 30.0, "share": 0.75},
        {"queue": "interactive", "gpus_used": 2, "usage_gpu_h": 10.0, "share": 0.25}],
      "teams": [
        {"queue": "batch", "team": "nlp", "gpus_used": 4, "usage_gpu_h": 7.5, "share": 0.1875},
        {"queue": "batch", "team": "vision", "gpus_used": 8, "usage_gpu_h": 22.5, "share": 0.5625},
        {"queue": "interactive", "team": "vision", "gpus_used": 2, "usage_gpu_h": 10.0, "share": 0.25}]})"));
  json empty = UsageToJson(wire::QueueList{});
  EXPECT_EQ(empty["queues"], json::array());
  EXPECT_EQ(empty["teams"], json::array());
  EXPECT_EQ(empty["half_life_hours"], 0.0);
}

}  // namespace
}  // namespace muster::cli
