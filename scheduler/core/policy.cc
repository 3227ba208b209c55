#include "scheduler/core/policy.h"

#include <algorithm>
#include <string>

#include "scheduler/core/placement.h"

namespace muster::core {

std::vector<const PendingJob*> OrderQueue(const QueueSnapshot& queue) {
  std::vector<const PendingJob*> order;
  order.reserve(queue.pending.size());
  for (const auto& j : queue.pending) order.push_back(&j);
  std::sort(order.begin(), order.end(), [](const PendingJob* a, const PendingJob* b) {
    if (a->priority != b->priority) return a->priority > b->priority;
    if (a->submit_time != b->submit_time) return a->submit_time < b->submit_time;
    return a->id < b->id;
  });
  return order;
}

namespace {

std::string DescribeNeed(const PendingJob& job) {
  if (job.nodes > 0)
    return std::to_string(job.nodes) + " node(s) x " + std::to_string(job.gpus_per_node) + " GPUs";
  return std::to_string(job.total_gpus) + " GPUs";
}

int32_t FreeGpus(const ClusterSnapshot& cluster) {
  int32_t free = 0;
  for (const auto& n : cluster.nodes)
    if (n.schedulable) free += static_cast<int32_t>(n.free_gpus.size());
  return free;
}

}  // namespace

Plan Decide(const ClusterSnapshot& cluster_in, const QueueSnapshot& queue, Time /*now*/) {
  Plan plan;
  ClusterSnapshot cluster = cluster_in;  // free lists shrink as jobs are placed
  for (const PendingJob* job : OrderQueue(queue)) {
    if (job->deps == DependencyState::kNeverSatisfied) {
      plan.never_runnable.push_back(job->id);
      continue;
    }
    if (job->deps == DependencyState::kWaiting) {
      plan.pending.push_back({job->id, PendingReason::kDependency, "waiting for afterok dependencies"});
      continue;
    }
    std::optional<std::vector<NodeAllocation>> alloc;
    auto shapes = CandidateShapes(*job, cluster);
    for (const Shape& shape : shapes) {
      alloc = SelectFirstFit(cluster, FeasibleNodes(cluster, shape.gpus_per_node), shape);
      if (alloc) break;
    }
    if (alloc) {
      Reserve(cluster, *alloc);
      plan.placements.push_back({job->id, std::move(*alloc)});
      continue;
    }
    std::string detail = "needs " + DescribeNeed(*job) + "; " + std::to_string(FreeGpus(cluster)) +
                         " GPUs free in no shape that fits";
    if (shapes.empty()) detail = "needs " + DescribeNeed(*job) + "; no node is large enough";
    plan.pending.push_back({job->id, PendingReason::kResources, std::move(detail)});
  }
  return plan;
}

}  // namespace muster::core
