// Fair share: weighted GPU-hours with exponential decay (half-life), per
// queue and per team. Pure: time is passed in.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "muster/time.h"

namespace muster::core {

class UsageLedger {
 public:
  explicit UsageLedger(Duration half_life = 7 * 24 * kHour) : half_life_(half_life) {}

  struct Charge {
    std::string queue;
    std::string team;
    int32_t gpus = 0;
  };
  // Decays everything to `now` and charges each running allocation for the
  // time since the last call.
  void Advance(Time now, const std::vector<Charge>& running);

  double Queue(const std::string& queue) const;
  double Team(const std::string& queue, const std::string& team) const;
  const std::map<std::string, double>& queues() const { return queues_; }
  const std::map<std::pair<std::string, std::string>, double>& teams() const { return teams_; }
  Time last() const { return last_; }
  Duration half_life() const { return half_life_; }

  // For persistence: the whole state as plain values.
  void Restore(Time last, std::map<std::string, double> queues,
               std::map<std::pair<std::string, std::string>, double> teams);

 private:
  Duration half_life_;
  Time last_ = kNoTime;
  std::map<std::string, double> queues_;
  std::map<std::pair<std::string, std::string>, double> teams_;
};

}  // namespace muster::core
