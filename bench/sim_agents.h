// Simulated agents for muster-bench: many nodes in one process, each its own
// DEALER socket (so its own ZeroMQ identity and TCP connection), speaking
// the real protocol through the real codec (docs/protocol.md "Agent <->
// musterd"): Register, heartbeats, ReserveRanks -> Reserved, CommitRanks ->
// RankStarted per rank, and RankExited when the job's time is up. Nothing is
// forked: a rank "runs" for the seconds of `sleep S` in its argv (anything
// else ends at once, like `true`).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/transport/curve.h"

namespace muster::bench {

struct SimAgentOptions {
  std::string endpoint;  // musterd
  // CURVE: musterd's public key, and the seed each node's key pair is
  // derived from by its name (curve::DeriveKeyPair); nullopt: --insecure.
  std::optional<transport::curve::Key> server_key;
  transport::curve::Key node_seed{};
  int first_index = 0;  // nodes are named sim-<index>
  int count = 1;
  int gpus_per_node = 8;
  int heartbeat_ms = 1000;
  // Called once, when every agent got its RegisterReply.
  std::function<void()> on_all_registered;
};

// What one node saw of one job attempt. Times are CLOCK_MONOTONIC in ns,
// comparable across the bench's processes; t0 is the client's send time of
// the Submit (the job's MUSTER_BENCH_T0), 0 when the job did not carry it.
struct SimJobRecord {
  int64_t job = 0;
  int32_t attempt = 0;
  int32_t ranks = 0;
  int64_t t0 = 0;
  int64_t t_commit = 0;   // CommitRanks (or a bare LaunchRanks) received
  int64_t t_started = 0;  // last RankStarted of this node sent
  int64_t t_exit = 0;     // RankExited sent (0: still running at the end)
};

struct SimAgentTotals {
  uint64_t heartbeats_sent = 0;
  uint64_t registrations = 0;
  uint64_t messages_in = 0;
  uint64_t kills = 0;
  std::map<int64_t, uint64_t> heartbeats_by_second;  // CLOCK_MONOTONIC second -> heartbeats sent
};

// Runs the agents until `stop`; returns what they saw.
std::vector<SimJobRecord> RunSimAgents(const SimAgentOptions& options, const std::atomic<bool>& stop,
                                       SimAgentTotals* totals);

// A monotonic clock in ns (CLOCK_MONOTONIC), shared by every bench process.
int64_t MonoNs();

}  // namespace muster::bench
