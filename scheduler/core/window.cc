#include "scheduler/core/window.h"

namespace muster::core {
namespace {

bool Fits(const TimeInterval& w, Time start, Duration limit, bool may_overrun) {
  return may_overrun || limit <= 0 || start + limit <= w.end;
}

// The earliest start >= now inside a window that can hold the job.
Time NextStart(const PendingJob& job, Duration limit, Time now, const std::vector<TimeInterval>& windows) {
  for (const auto& w : windows) {
    if (w.end <= now) continue;
    Time start = std::max(w.begin, now);
    if (Fits(w, start, limit, job.window_may_overrun)) return start;
  }
  return kNoTime;
}

}  // namespace

WindowVerdict CheckWindow(const PendingJob& job, Duration limit, Time now,
                          const std::vector<TimeInterval>& windows) {
  if (job.window == Window::kAnytime) return {};
  if (job.window == Window::kOffpeakPreferred && windows.empty()) return {};
  Time start = NextStart(job, limit, now, windows);
  if (start == kNoTime && job.window == Window::kOffpeakPreferred) {
    // Preferred, not required: longer than every window, it starts with the
    // next one (now if inside one) instead of never.
    for (const auto& w : windows)
      if (w.end > now) {
        start = std::max(w.begin, now);
        break;
      }
  }
  if (start == now) return {};
  if (job.window == Window::kOffpeakPreferred && job.deadline != kNoTime) {
    // Waiting is only worth it if the job still meets its deadline then.
    if (start == kNoTime || start + std::max<Duration>(limit, 0) > job.deadline) return {};
  }
  if (start == kNoTime) {
    return {false, kNoTime,
            windows.empty() ? "no off-peak window is configured"
                            : "no off-peak window in the coming week is long enough for its time limit"};
  }
  return {false, start, ""};
}

}  // namespace muster::core
