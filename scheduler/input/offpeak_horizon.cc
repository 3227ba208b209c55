#include "scheduler/input/offpeak_horizon.h"

namespace muster::input {

const std::vector<TimeInterval>& OffpeakHorizon::Windows(Time now) {
  if (calendar_ && (until_ == kNoTime || now + kAhead - kDay > until_)) {
    until_ = now + kAhead;
    windows_ = calendar_->Windows(now - kDay, until_);
  }
  return windows_;
}

}  // namespace muster::input
