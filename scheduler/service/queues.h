// musterd's queues and their fair-share usage (docs/policy.md "Queues and
// fair share"): the queue specs operators manage, and the decayed GPU-hours
// per queue and team, charged as placed jobs run and saved every minute.
#pragma once

#include <map>
#include <string>

#include "muster/status.h"
#include "muster/types.h"
#include "scheduler/core/fair_share.h"
#include "scheduler/service/effects.h"
#include "scheduler/service/job_table.h"

namespace muster::service {

class Queues {
 public:
  Queues(Duration half_life, Effects& fx) : usage_(half_life), fx_(fx) {}
  Queues(const Queues&) = delete;
  Queues& operator=(const Queues&) = delete;

  // Loads the queues (and creates `default`, which exists out of the box)
  // and the saved usage.
  void Recover(std::vector<QueueSpec> queues, const std::map<std::string, std::string>& meta);

  const std::map<std::string, QueueSpec>& specs() const { return specs_; }
  const QueueSpec* Find(const std::string& name) const;
  // "unknown queue 'x' (queues: a, b)"
  Status Unknown(const std::string& name) const;
  // `muster queue create|update`: validated, then persisted at the commit.
  Status Put(const QueueSpec& spec, bool create, uint32_t fields);
  // `muster queue delete`; the caller checks that nothing uses it.
  Status Delete(const std::string& name);

  // Charges the placed jobs for the time since the last call and saves the
  // usage once a minute.
  void AdvanceUsage(Time now, JobTable& jobs);
  const core::UsageLedger& usage() const { return usage_; }

 private:
  std::string SaveUsage() const;
  void LoadUsage(const std::string& text);

  std::map<std::string, QueueSpec> specs_;
  core::UsageLedger usage_;
  Time usage_saved_at_ = kNoTime;
  Effects& fx_;
};

}  // namespace muster::service
