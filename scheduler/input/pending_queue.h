// The one pending-queue filter (docs/architecture.md "Scheduling cycle"):
// which pending jobs a scheduling cycle shows core::Decide. musterd and
// muster-sim both choose through it, so a deep queue is cut the same way in
// both.
//
// Plain jobs (anytime, no dependencies, not held) are ordered per (queue,
// team) in the core's own order (priority, submit time, id); a cycle sees
// the first `depth` of each, every other pending job, and once per
// `full_every` a full cycle looks `full_depth` deep plus as many again from
// further back, a different slice each time, so that a job stuck behind jobs
// that can never run (over a cap, wider than any node) is still seen within
// a few full cycles. Slurm's default_queue_depth and bf_max_job_test bound
// cycles the same way; without the bounds a cycle over 300,000 pending jobs
// held musterd's loop for ~280 ms.
//
// Entries are hints, not the truth: a job is added whenever it becomes
// pending or its order changes, and every entry is checked against the
// caller's current facts when it is met, and dropped when stale. Full
// cycles walk every entry, so stale ones do not pile up.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "muster/types.h"

namespace muster::input {

// What the filter knows of a pending job.
struct PendingEntry {
  std::string queue;
  std::string team;
  int32_t priority = 0;
  Time submit_time = kNoTime;
  JobId id = kNoJob;
  bool plain = true;  // anytime, no dependencies, not held
  bool operator==(const PendingEntry&) const = default;
};

class PendingQueue {
 public:
  struct Options {
    size_t depth = 1000;        // plain jobs per (queue, team) per cycle; 0: all
    size_t full_depth = 10000;  // the same in full cycles; 0: all
    int64_t full_every_us = 1'000'000;
  };
  // The job's current facts if it is still a pending job the core should
  // see; nullopt when it is not (ended, placed, an array job, ...).
  using Lookup = std::function<std::optional<PendingEntry>(JobId)>;
  // A job the cycle left out (past the depth), and why: full cycles only.
  using Behind = std::function<void(JobId, const std::string& why)>;

  struct Selection {
    std::vector<JobId> jobs;  // ascending ids
    bool full = false;        // this was a full cycle
    // Plain jobs were left unseen: the next full cycle should run when it
    // is due even if nothing else happens (see NextFullCycleUs).
    bool unseen = false;
  };

  explicit PendingQueue(Options options) : options_(options) {}

  // A job is pending (again) or its order changed.
  void Add(const PendingEntry& e);
  void Clear();
  // The jobs of one cycle at monotonic time `now_us`.
  Selection Select(int64_t now_us, const Lookup& lookup, const Behind& behind);
  // When the next full cycle is due (monotonic µs); -1 before the first.
  int64_t NextFullCycleUs() const { return last_full_us_ < 0 ? -1 : last_full_us_ + options_.full_every_us; }
  const Options& options() const { return options_; }
  size_t plain_entries() const;
  size_t other_entries() const { return other_.size(); }

 private:
  using Key = std::tuple<int32_t, Time, JobId>;  // (-priority, submit time, id): the core's order
  using Team = std::pair<std::string, std::string>;
  static Key KeyOf(const PendingEntry& e) { return {-e.priority, e.submit_time, e.id}; }

  Options options_;
  std::map<Team, std::set<Key>> plain_;
  std::set<JobId> other_;
  // Per queue and team, the last job of the slice past the depth that the
  // previous full cycle looked at.
  std::map<Team, Key> deep_cursor_;
  int64_t last_full_us_ = -1;
};

}  // namespace muster::input
