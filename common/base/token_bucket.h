// A token bucket: at most `burst` events at once, refilled at `rate` per
// second. For per-user submit limits and for logging a flood of refused
// requests without flooding the log.
#pragma once

#include <algorithm>
#include <cstdint>

namespace muster {

class TokenBucket {
 public:
  TokenBucket(double rate_per_s, double burst) : rate_(rate_per_s), burst_(burst), tokens_(burst) {}
  // Takes one token at monotonic time `now_us`; false when none is left.
  bool Take(int64_t now_us) {
    if (last_us_ >= 0 && now_us > last_us_)
      tokens_ = std::min(burst_, tokens_ + (now_us - last_us_) * rate_ / 1e6);
    last_us_ = std::max(last_us_, now_us);
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  int64_t last_us_ = -1;
};

}  // namespace muster
