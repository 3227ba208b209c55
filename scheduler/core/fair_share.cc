#include "scheduler/core/fair_share.h"

#include <cmath>

namespace muster::core {

void UsageLedger::Advance(Time now, const std::vector<Charge>& running) {
  if (last_ == kNoTime || now <= last_) {
    if (last_ == kNoTime) last_ = now;
    return;
  }
  double dt = static_cast<double>(now - last_);
  double factor = half_life_ > 0 ? std::exp2(-dt / static_cast<double>(half_life_)) : 0.0;
  for (auto& [k, v] : queues_) v *= factor;
  for (auto& [k, v] : teams_) v *= factor;
  // Usage accrued during the interval, decayed as if charged at its middle.
  double hours = dt / static_cast<double>(kHour);
  double mid = half_life_ > 0 ? std::exp2(-dt / 2.0 / static_cast<double>(half_life_)) : 0.0;
  for (const auto& c : running) {
    double add = c.gpus * hours * mid;
    queues_[c.queue] += add;
    teams_[{c.queue, c.team}] += add;
  }
  last_ = now;
}

double UsageLedger::Queue(const std::string& queue) const {
  auto it = queues_.find(queue);
  return it == queues_.end() ? 0.0 : it->second;
}

double UsageLedger::Team(const std::string& queue, const std::string& team) const {
  auto it = teams_.find({queue, team});
  return it == teams_.end() ? 0.0 : it->second;
}

void UsageLedger::Restore(Time last, std::map<std::string, double> queues,
                          std::map<std::pair<std::string, std::string>, double> teams) {
  last_ = last;
  queues_ = std::move(queues);
  teams_ = std::move(teams);
}

}  // namespace muster::core
