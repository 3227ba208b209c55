// Gangs from placement to their end (docs/protocol.md "Gang start"): the
// launch with every rank's environment, the two-phase start, the start
// barrier, rank reports, teardown of whole gangs, time limits, the end of an
// attempt (requeue or a final state), and reconciliation when an agent
// registers. Each job's attempt is a GangAttempt state machine; this class
// turns its actions into messages, timers and job transitions.
#pragma once

#include <string>

#include "common/base/clock.h"
#include "common/proto/messages.h"
#include "scheduler/service/access.h"
#include "scheduler/service/effects.h"
#include "scheduler/service/job_table.h"
#include "scheduler/service/node_registry.h"
#include "scheduler/service/rendezvous.h"
#include "scheduler/service/timers.h"

namespace muster::service {

class GangCoordinator {
 public:
  struct Options {
    Duration start_timeout = 120 * kSecond;
    Duration reserve_timeout = 10 * kSecond;
    std::string checkpoint_root;  // MUSTER_CHECKPOINT_DIR is <root>/<job id>
    std::string rdzv_endpoint;    // MUSTER_RDZV
    // The rendezvous keys of each attempt (MUSTER_RDZV_*_KEY); null: --insecure.
    AccessTable* access = nullptr;
    bool allow_root_jobs = false;  // LaunchRanks::allow_root
  };
  GangCoordinator(Options options, JobTable& jobs, NodeRegistry& nodes, Rendezvous& rdzv, Effects& fx,
                  Timers& timers, const Clock& clock)
      : options_(std::move(options)),
        jobs_(jobs),
        nodes_(nodes),
        rdzv_(rdzv),
        fx_(fx),
        timers_(timers),
        clock_(clock) {}
  GangCoordinator(const GangCoordinator&) = delete;
  GangCoordinator& operator=(const GangCoordinator&) = delete;
  void set_rdzv_endpoint(std::string endpoint) { options_.rdzv_endpoint = std::move(endpoint); }

  // After a restart: the attempt of a placed job, its GPUs and timers. A
  // gang that was still reserving is rolled back by RollBackReservations.
  void Recover(JobEntry& e);
  void RollBackReservations();

  // A new attempt of a pending job on `placement` (re-checked by the caller).
  void Launch(JobEntry& e, std::vector<NodeAllocation> placement);
  // Tears the job's gang down; it ends as `ending` (or is requeued).
  void TearDown(JobEntry& e, JobState ending, bool requeue, const std::string& why);

  // Agent reports; `from` is the sender's identity.
  void OnReserved(const std::string& from, const wire::Reserved& m);
  void OnRankStarted(const std::string& from, const wire::RankStarted& m);
  void OnRankExited(const std::string& from, const wire::RankExit& x);
  // An agent registered: reconciles what it runs, has reserved and reports
  // as exited with what musterd expects there, and answers it with `reply`
  // (plus the ranks it must kill).
  void Reconcile(NodeEntry& n, const Caller& caller, const wire::Register& m, wire::RegisterReply reply);
  // The node is DOWN: every gang touching it is torn down and requeued.
  void NodeLost(const std::string& node, const std::string& why);

  // Timer::kTimeLimit, kGangReserve, kStartBarrier, kUnstartedExits.
  void OnTimer(Timer kind, JobId job);

  static int32_t RanksPerNode(const Job& job);
  static int32_t WorldSize(const Job& job);

 private:
  // Carries out what the attempt decided; the attempt's end comes last and
  // may remove the job from the active set: `e` is not used afterwards.
  void Apply(JobEntry& e, const GangActions& actions);
  void End(JobEntry& e);
  // Whether the peer `from` is the node that rank of `j` is placed on (a
  // report from anywhere else is ignored, and logged).
  bool PlacedOn(const std::string& from, const Job& j, int32_t rank) const;
  void SendTo(const std::string& node, wire::Body body);
  wire::LaunchRanks LaunchMessage(const Job& job, int32_t node_index) const;
  void ArmTimeLimit(const Job& job);

  Options options_;
  JobTable& jobs_;
  NodeRegistry& nodes_;
  Rendezvous& rdzv_;
  Effects& fx_;
  Timers& timers_;
  const Clock& clock_;
};

}  // namespace muster::service
