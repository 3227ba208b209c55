// PendingFilter's claim, checked: on random clusters, running sets and
// queues, core::Decide returns the same placements and preemptions for the
// filtered pending list as for the full one, and never places anything when
// fewer GPUs are free than the smallest eligible job needs.
#include "scheduler/sim/pending_filter.h"

#include <gtest/gtest.h>

#include <random>

#include "scheduler/core/policy.h"

namespace muster::sim {
namespace {

constexpr Time kNow = 1'700'000'000LL * kSecond;

struct Case {
  core::ClusterSnapshot cluster;
  core::QueueSnapshot queue;
};

Case RandomCase(std::mt19937_64& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  Case c;
  const int gpn = std::vector<int>{2, 4, 8}[pick(3)];
  const int nodes = 2 + pick(6);
  for (int n = 0; n < nodes; ++n) {
    core::NodeView v;
    v.name = "n" + std::to_string(n);
    v.gpus_total = gpn;
    if (pick(2)) v.labels["switch"] = "s" + std::to_string(n / 2);
    c.cluster.nodes.push_back(v);
  }
  // Limits regime for the whole case: all from the queue default, all
  // explicit and different, or none at all.
  const int regime = pick(3);
  const Duration queue_default = regime == 0 ? (1 + pick(48)) * kHour : 0;
  // Running jobs fill GPUs at random.
  JobId next_id = 1;
  for (int n = 0; n < nodes; ++n) {
    int g = 0;
    while (g < gpn) {
      int take = 1 + pick(gpn - g);
      if (pick(3) == 0) {  // leave some free
        for (int k = 0; k < take; ++k) c.cluster.nodes[n].free_gpus.push_back(g + k);
      } else {
        core::RunningJob r;
        r.id = next_id++;
        r.start_time = kNow - pick(20) * kHour;
        r.ending = pick(10) == 0;
        Duration limit = regime == 0 ? queue_default : regime == 1 ? (1 + pick(40)) * kHour : 0;
        r.expected_end = limit > 0 ? r.start_time + limit : kNoTime;  // may be in the past: overran
        NodeAllocation a{c.cluster.nodes[n].name, {}};
        for (int k = 0; k < take; ++k) a.gpus.push_back(g + k);
        r.placement.push_back(a);
        c.cluster.running.push_back(r);
      }
      g += take;
    }
  }
  const int teams = 1 + pick(4);
  c.queue.teams.clear();
  for (int t = 0; t < teams; ++t)
    c.queue.teams.push_back({"t" + std::to_string(t), 0, static_cast<double>(pick(50))});
  c.queue.queues[0].default_time_limit = queue_default;
  c.queue.policy.backfill = pick(4) != 0;
  bool windows = pick(2);
  if (windows) {
    // Two windows ahead: one soon, one tomorrow.
    c.queue.policy.offpeak = {{kNow + pick(5) * kHour, kNow + 8 * kHour},
                              {kNow + 20 * kHour, kNow + 30 * kHour}};
    if (pick(2)) c.queue.policy.offpeak.front().begin = kNow - kHour;  // inside a window now
  }
  const int pending = pick(60);
  const int sizes[] = {1, 1, 1, 2, 3, 4, 8, 16};
  for (int i = 0; i < pending; ++i) {
    core::PendingJob p;
    p.id = next_id++;
    p.submit_time = kNow - (pending - i) * kMinute;  // id order is submit order
    p.total_gpus = std::min(sizes[pick(8)], gpn * nodes);
    p.team = pick(teams);
    p.time_limit = regime == 1 ? (1 + pick(40)) * kHour : 0;
    if (windows && pick(3) == 0) {
      p.window = Window::kOffpeakPreferred;
      p.deadline = kNow + pick(60) * kHour;
      p.window_may_overrun = pick(2);
    }
    c.queue.pending.push_back(p);
  }
  return c;
}

TEST(PendingFilter, SameDecisionsAsTheFullList) {
  std::mt19937_64 rng(20240601);
  PendingFilter filter;
  int pruned_something = 0, nonempty = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    Case c = RandomCase(rng);
    int32_t free = 0;
    for (const auto& n : c.cluster.nodes) free += static_cast<int32_t>(n.free_gpus.size());
    std::vector<const core::PendingJob*> order;
    for (const auto& p : c.queue.pending) order.push_back(&p);
    core::QueueSnapshot pruned = c.queue;
    pruned.pending.clear();
    SelectResult sel = filter.Select(order, c.queue, free, kNow, true, &pruned.pending);
    ASSERT_TRUE(sel.pruned);
    if (pruned.pending.size() < c.queue.pending.size()) ++pruned_something;
    core::Plan full = core::Decide(c.cluster, c.queue, kNow);
    core::Plan part = core::Decide(c.cluster, pruned, kNow);
    ASSERT_EQ(full.placements.size(), part.placements.size()) << "case " << iter;
    for (size_t i = 0; i < full.placements.size(); ++i) {
      EXPECT_EQ(full.placements[i].job, part.placements[i].job) << "case " << iter;
      EXPECT_EQ(full.placements[i].nodes, part.placements[i].nodes) << "case " << iter;
    }
    EXPECT_TRUE(full.preemptions.empty());
    EXPECT_TRUE(part.preemptions.empty());
    if (free < sel.min_eligible_need) {
      EXPECT_TRUE(full.placements.empty()) << "case " << iter;
    }
    nonempty += !full.placements.empty();
    // Unpruned, the filter passes everything (ineligible jobs included).
    std::vector<core::PendingJob> all;
    filter.Select(order, c.queue, free, kNow, false, &all);
    EXPECT_EQ(all.size(), c.queue.pending.size());
  }
  // The cases exercise both sides.
  EXPECT_GT(pruned_something, 300);
  EXPECT_GT(nonempty, 300);
}

TEST(PendingFilter, OutOfOrderListIsPassedWhole) {
  core::QueueSnapshot q;
  core::PendingJob a, b;
  a.id = 1;
  a.submit_time = 2 * kSecond;
  a.total_gpus = 1;
  b.id = 2;
  b.submit_time = 1 * kSecond;  // earlier than a, but after it in the list
  b.total_gpus = 1;
  std::vector<const core::PendingJob*> order = {&a, &b};
  std::vector<core::PendingJob> out;
  PendingFilter f;
  SelectResult r = f.Select(order, q, 0, kNow, true, &out);
  EXPECT_FALSE(r.pruned);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(r.min_eligible_need, 1);
}

}  // namespace
}  // namespace muster::sim
