// musterd's options and counters, with the defaults every entry point uses
// (musterd's flags take their defaults from here).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "muster/time.h"
#include "scheduler/input/pending_queue.h"

namespace muster::service {

struct ServerOptions {
  std::string listen = "tcp://127.0.0.1:7600";  // port 0 or * picks a free port
  // The endpoint ranks on other hosts use for the rendezvous (MUSTER_RDZV);
  // empty: the bound endpoint, with a wildcard host replaced by this host's name.
  std::string advertise;
  std::string state_dir;
  Duration heartbeat_timeout = 10 * kSecond;
  int32_t heartbeat_interval_ms = 1000;  // told to agents at registration
  size_t max_batch = 1024;               // messages applied per commit
  size_t recent_finished = 10000;        // finished jobs kept in memory
  std::string checkpoint_root;           // default <state_dir>/checkpoints
  int32_t port_range_begin = 29500;      // MASTER_PORT allocation, per node
  int32_t port_range_end = 30500;
  Duration log_forward_timeout = 5 * kSecond;
  // A placed gang not RUNNING (every rank reported started) this long after
  // its launch is torn down everywhere and requeued like a node failure.
  Duration start_timeout = 120 * kSecond;
  // A gang whose nodes have not all answered ReserveRanks this long after
  // the launch is aborted everywhere and requeued like a node failure.
  Duration reserve_timeout = 10 * kSecond;
  // Policy.
  std::vector<std::string> offpeak;  // "Mon-Fri 20:00-07:00", ...
  std::string timezone = "UTC";
  Duration fair_share_half_life = 7 * kDay;
  bool backfill = true;
  // Jobs whose user is root run as root on the nodes; refused otherwise.
  bool allow_root_jobs = false;
  // Per user (operators are not limited): unfinished jobs and array tasks
  // (Slurm's MaxSubmitJobs), and submits per second with a burst; 0: none.
  size_t max_jobs_per_user = 10000;
  double max_submits_per_user_per_s = 500;
  double submit_burst = 2000;
  // The core sees at most this many plain pending jobs per queue and team in
  // a cycle, and `full_queue_depth` in the full cycle once a second
  // (scheduler/input/pending_queue.h); 0: every job (queue_depth 0: every
  // cycle is full).
  size_t queue_depth = input::PendingQueue::Options{}.depth;
  size_t full_queue_depth = input::PendingQueue::Options{}.full_depth;
};

// Statistics for tests, the bench and `--log-level debug`.
struct ServerStats {
  uint64_t turns = 0;
  uint64_t commits = 0;
  uint64_t messages = 0;
  uint64_t max_commit_batch = 0;  // store ops in the largest commit
  // Group commit: messages drained in the turns that ended with a synced
  // commit (their sum / commits is the mean batch one sync carried), and the
  // most in one such turn.
  uint64_t committed_turn_messages = 0;
  uint64_t max_committed_turn_messages = 0;
  uint64_t commit_ops = 0;  // store ops over all commits
  uint64_t heartbeats = 0;
  uint64_t refused = 0;  // requests the permission check turned away (authz.h)
  uint64_t schedule_cycles = 0;
  // Time spent in scheduling cycles (Slurm's sdiag "Main schedule
  // statistics"), and in the full ones, which look deepest.
  uint64_t cycle_us_total = 0;
  uint64_t cycle_us_max = 0;
  uint64_t full_cycles = 0;
  uint64_t full_cycle_us_total = 0;
  uint64_t full_cycle_us_max = 0;
};

// One JSON object of the counters, for the stats file musterd writes at exit.
std::string StatsJson(const ServerStats& s);

}  // namespace muster::service
