// muster-agent's event loop (docs/protocol.md, "Agent <-> musterd"): one
// thread polls the DEALER to musterd, the launcher's child-exit fd and a stop
// fd, and runs its named timers (heartbeat, reservation expiry, the rank
// table's SIGKILL deadlines and exit re-sends) off the injected clock's
// monotonic reading (docs/architecture.md "Time").
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "agent/core/rank_table.h"
#include "agent/runtime/launcher.h"
#include "common/base/clock.h"
#include "common/base/timer_queue.h"
#include "common/proto/messages.h"
#include "common/transport/curve.h"
#include "muster/status.h"
#include "muster/types.h"

namespace muster::agent {

struct AgentOptions {
  std::string scheduler_endpoint = "tcp://127.0.0.1:7600";
  // This node's key and musterd's public key; nullopt only against
  // musterd --insecure.
  std::optional<transport::curve::ClientKeys> keys;
  // Ranks run as their job's user (the agent must be root); false: every
  // rank runs as the agent's own user.
  bool switch_user = false;
  // Variables of the agent's own environment that ranks get (--pass-env);
  // nothing else of it reaches them.
  std::vector<std::string> pass_env;
  std::string node_name;
  std::string address = "127.0.0.1";  // what other nodes reach this one at
  std::map<std::string, std::string> labels;
  std::string work_dir;  // logs/<job>/rank-<r>.log and jobs/<job>/ live here
  // > 0: heartbeat at this interval whatever musterd says (tests);
  // 0: use RegisterReply.heartbeat_interval_ms (1000 until the first reply).
  int heartbeat_ms = 0;
  int resend_ms = 2000;          // re-send of unacknowledged RankExited
  int kill_grace_ms = 2000;      // SIGTERM -> SIGKILL for RegisterReply.kill ranks
  int shutdown_grace_ms = 2000;  // SIGTERM -> SIGKILL for own ranks on shutdown
  // When readable, Run() kills the agent's ranks, reports their exits (best
  // effort) and returns. A signalfd for SIGTERM/SIGINT in the program; an
  // eventfd in tests. -1: none.
  int stop_fd = -1;
  // Called once, on the first RegisterReply (muster-agent prints its line).
  std::function<void()> on_registered;
  // Fresh GPU samples (utilization, memory in use, health), taken at most
  // every gpu_sample_ms; every heartbeat carries the latest. Unset: the
  // heartbeats carry what the service was created with.
  std::function<Result<std::vector<GpuInfo>>()> sample_gpus;
  int gpu_sample_ms = 5000;
  // A gang reservation (ReserveRanks) not committed or aborted this long is
  // dropped by the agent itself (musterd gone, or it forgot).
  int reserve_ttl_ms = 30000;
  // Time; null: the system clock.
  const Clock* clock = nullptr;
};

// Every deadline of the agent's loop, by name.
enum class AgentTimer : uint8_t {
  kHeartbeat,    // id 0: the next heartbeat (with a GPU sample when one is due)
  kReservation,  // id: the reservation's serial; it expires uncommitted
  kRankTable,    // id 0: the rank table's next SIGKILL or exit re-send
};

class AgentService {
 public:
  // `launcher` must outlive the service. Fails on an endpoint ZeroMQ rejects
  // or a work dir that cannot be created.
  static Result<std::unique_ptr<AgentService>> Create(AgentOptions options, std::vector<GpuInfo> gpus,
                                                      Launcher& launcher);
  ~AgentService();
  AgentService(const AgentService&) = delete;
  AgentService& operator=(const AgentService&) = delete;

  // Runs until stop_fd becomes readable. Not thread-safe: one thread runs it.
  Status Run();

 private:
  AgentService(AgentOptions options, std::vector<GpuInfo> gpus, Launcher& launcher);

  // Messages.
  void Send(wire::Body body, uint64_t request_id = 0);
  void HandleIncoming(const std::string& payload, bool extra_frames);
  void HandleRegisterReply(const wire::RegisterReply& m);
  void HandleError(const wire::Error& m);
  void HandleLaunch(const wire::LaunchRanks& m);
  // The two-phase gang start (docs/protocol.md "Gang start").
  void HandleReserve(uint64_t request_id, const wire::LaunchRanks& m);
  void HandleCommit(const wire::GangRef& g);
  void DropReservation(const wire::GangRef& g, const std::string& why);
  // Why `m` cannot be reserved here; empty when it can.
  std::string ReserveConflict(const wire::LaunchRanks& m);
  void HandleKill(const wire::KillJob& m);
  void HandleReadLog(uint64_t request_id, const wire::ReadLog& m);
  bool JobReservedHere(JobId job) const;  // reserved, not yet committed
  void SendRegister();

  // Processes and timers.
  void ReapExits();
  void ReportExit(const wire::RankExit& exit);
  // A rank that never ran: exit 127 with the reason, also in its log.
  void ReportFailedStart(const wire::RankRef& ref, const std::string& error);
  void OnTimer(AgentTimer kind, uint64_t id, int64_t now_ms);
  // The rank table's deadlines changed (a kill armed, an exit to re-send).
  void RearmRankTable();
  int64_t NowMs() const { return clock_.MonotonicNow() / 1000; }
  int64_t HeartbeatIntervalMs() const;
  wire::Heartbeat MakeHeartbeat(int64_t now_ms);
  void Shutdown();

  std::string LogPath(JobId job, int32_t rank) const;

  AgentOptions opt_;
  const Clock& clock_;
  std::vector<GpuInfo> gpus_;
  Launcher& launcher_;
  zmq::context_t ctx_{1};
  zmq::socket_t sock_;
  RankTable ranks_;
  using GangKey = std::pair<JobId, int32_t>;  // (job, attempt)
  struct Reservation {
    wire::LaunchRanks launch;
    uint64_t serial = 0;  // its timer's id
  };
  std::map<GangKey, Reservation> reservations_;
  std::map<uint64_t, GangKey> reservation_of_serial_;
  uint64_t next_reservation_serial_ = 1;
  std::map<GangKey, std::vector<int32_t>> committed_gpus_;  // while the job has ranks here
  TimerQueue<AgentTimer> timers_;                           // in ms of the monotonic clock

  bool ever_registered_ = false;
  std::string refused_;            // why musterd will not take this node (Run returns it)
  bool register_pending_ = false;  // a Register is out with no reply yet
  int64_t last_register_ms_ = 0;
  int musterd_heartbeat_ms_ = 1000;
  int64_t next_gpu_sample_ms_ = 0;
  uint64_t next_request_id_ = 1;
  uint64_t exits_reported_ = 0;
};

}  // namespace muster::agent
