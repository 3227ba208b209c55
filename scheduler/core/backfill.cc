#include "scheduler/core/backfill.h"

#include <algorithm>
#include <utility>

#include "scheduler/core/gang.h"

namespace muster::core {

Backfill::Backfill(const ClusterSnapshot& cluster, const QueueSnapshot& q, FreeIndex& index, Time now)
    : cluster_(cluster), q_(q), index_(index), now_(now) {}

std::optional<std::vector<NodeAllocation>> Backfill::PlaceOnHeldBack(const PendingJob& j) {
  for (const auto& a : reserved_free_) index_.Give(index_.NodeIndex(a.node), a.gpus);
  auto alloc = PlaceGang(index_, j);
  for (auto& a : reserved_free_) {
    int32_t node = index_.NodeIndex(a.node);
    if (alloc) {  // what the short job takes is no longer held back
      for (const auto& b : *alloc)
        if (b.node == a.node)
          a.gpus.erase(std::remove_if(a.gpus.begin(), a.gpus.end(),
                                      [&](int32_t g) {
                                        return std::find(b.gpus.begin(), b.gpus.end(), g) != b.gpus.end();
                                      }),
                       a.gpus.end());
    }
    // Take back what is still reserved, minus what the short job will take
    // on commit (it takes its own GPUs there).
    std::vector<int32_t> back;
    for (int32_t g : a.gpus)
      if (std::binary_search(index_.free(node).begin(), index_.free(node).end(), g)) back.push_back(g);
    index_.Take(node, back);
  }
  return alloc;
}

void Backfill::Reserve(const PendingJob& j, const std::vector<Placement>& placed) {
  std::vector<Release> releases;
  for (const auto& r : cluster_.running) releases.push_back({r.ending ? now_ : r.expected_end, &r.placement});
  for (size_t i = 0; i < placed.size(); ++i) releases.push_back({placed_ends_[i], &placed[i].nodes});
  auto res = PlanReservation(index_, std::move(releases), j, now_);
  if (!res) return;
  reservation_ = std::move(*res);
  // Hold back the reserved GPUs that are free now; the rest are busy until
  // jobs that end by the reservation's start release them.
  for (const auto& a : reservation_->gpus) {
    int32_t node = index_.NodeIndex(a.node);
    NodeAllocation held{a.node, {}};
    for (int32_t g : a.gpus)
      if (std::binary_search(index_.free(node).begin(), index_.free(node).end(), g)) held.gpus.push_back(g);
    if (held.gpus.empty()) continue;
    index_.Take(node, held.gpus);
    reserved_free_.push_back(std::move(held));
  }
}

}  // namespace muster::core
