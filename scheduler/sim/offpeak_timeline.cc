#include "scheduler/sim/offpeak_timeline.h"

#include <algorithm>

namespace muster::sim {

namespace {
constexpr Duration kChunk = 30 * kDay;
}

OffpeakTimeline::OffpeakTimeline(std::shared_ptr<const timewin::OffPeakCalendar> calendar, Time from)
    : calendar_(std::move(calendar)), from_(from - kDay), covered_until_(from - kDay) {}

void OffpeakTimeline::CoverUntil(Time t) {
  if (empty()) return;
  while (covered_until_ <= t) {
    Time next = covered_until_ + kChunk;
    for (const auto& w : calendar_->Windows(covered_until_, next)) {
      // Windows overlapping the chunk edge come back from both calls: merge.
      if (!windows_.empty() && w.begin <= windows_.back().end) {
        windows_.back().end = std::max(windows_.back().end, w.end);
      } else {
        windows_.push_back(w);
      }
    }
    covered_until_ = next;
  }
}

Duration OffpeakTimeline::Overlap(Time begin, Time end) {
  if (empty() || end <= begin) return 0;
  CoverUntil(end);
  auto it = std::upper_bound(windows_.begin(), windows_.end(), begin,
                             [](Time t, const TimeInterval& w) { return t < w.end; });
  Duration total = 0;
  for (; it != windows_.end() && it->begin < end; ++it)
    total += std::min(end, it->end) - std::max(begin, it->begin);
  return total;
}

Time OffpeakTimeline::NextBoundary(Time t) {
  if (empty()) return kNoTime;
  CoverUntil(t + 8 * kDay);
  auto it = std::upper_bound(windows_.begin(), windows_.end(), t,
                             [](Time x, const TimeInterval& w) { return x < w.end; });
  if (it == windows_.end()) return kNoTime;  // no window in the coming week
  return it->begin > t ? it->begin : it->end;
}

}  // namespace muster::sim
