// Time is injected (docs/architecture.md "Time"): programs use SystemClock,
// tests and the simulator a ManualClock. A clock gives two readings: wall
// time (what is persisted and shown) and a monotonic one (what timeouts and
// timers run on, immune to the wall clock being set).
#pragma once

#include <chrono>

#include "muster/time.h"

namespace muster {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall time: µs since the Unix epoch.
  virtual Time Now() const = 0;
  // Monotonic µs from an arbitrary origin; never goes back.
  virtual int64_t MonotonicNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  Time Now() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t MonotonicNow() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

// Time moved by hand (Mesos' Clock::advance): both readings move together.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Time start = 0) : now_(start) {}
  Time Now() const override { return now_; }
  int64_t MonotonicNow() const override { return mono_; }
  // Sets the wall clock; the monotonic one moves forward by as much (never back).
  void Set(Time t) {
    if (t > now_) mono_ += t - now_;
    now_ = t;
  }
  void Advance(Duration d) {
    now_ += d;
    if (d > 0) mono_ += d;
  }

 private:
  Time now_;
  int64_t mono_ = 1'000'000'000;  // not 0: "0" must never look like "unset"
};

// Monotonic ms for code that has no Clock to hand (one-shot clients).
inline int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace muster
