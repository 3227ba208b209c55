#include "scheduler/core/planner.h"

#include <algorithm>

#include "scheduler/core/gang.h"

namespace muster::core {

std::optional<Reservation> PlanReservation(const FreeIndex& free_now, std::vector<Release> releases,
                                           const PendingJob& job, Time now) {
  releases.erase(std::remove_if(releases.begin(), releases.end(),
                                [](const Release& r) { return r.at == kNoTime || !r.placement; }),
                 releases.end());
  std::sort(releases.begin(), releases.end(), [](const Release& a, const Release& b) { return a.at < b.at; });
  FreeIndex future = free_now;
  for (size_t i = 0; i < releases.size();) {
    Time at = std::max(releases[i].at, now);
    // Everything that ends at the same instant frees together.
    for (; i < releases.size() && std::max(releases[i].at, now) == at; ++i)
      for (const auto& a : *releases[i].placement) {
        int32_t node = future.NodeIndex(a.node);
        if (node >= 0) future.Give(node, a.gpus);
      }
    if (auto alloc = PlaceGang(future, job)) return Reservation{job.id, at, std::move(*alloc)};
  }
  return std::nullopt;
}

}  // namespace muster::core
