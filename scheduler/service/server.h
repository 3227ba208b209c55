// musterd: one event loop that owns all scheduler state (docs/architecture.md
// "The loop"). Each turn: drain up to a bound of ready messages -> each is
// dispatched to the part that owns its state, which adds its store writes
// and messages to the turn's Effects -> due timers -> a scheduling cycle if
// anything changed -> commit the writes with one synced write -> only then
// send. A client told "accepted" has its job on disk; after a failed commit
// nothing of the turn is sent.
//
// The Server owns the parts (docs/architecture.md "musterd's parts") and is
// the one dispatch point for requests. It talks to a transport::Router and
// a Clock, so tests run it in one process on an in-memory router with a
// manual clock (tests/service/harness.h).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/base/token_bucket.h"
#include "common/proto/messages.h"
#include "common/transport/router.h"
#include "muster/status.h"
#include "scheduler/service/access.h"
#include "scheduler/service/agent_api.h"
#include "scheduler/service/arrays.h"
#include "scheduler/service/authz.h"
#include "scheduler/service/client_api.h"
#include "scheduler/service/effects.h"
#include "scheduler/service/gang_coordinator.h"
#include "scheduler/service/job_table.h"
#include "scheduler/service/log_relay.h"
#include "scheduler/service/models.h"
#include "scheduler/service/node_registry.h"
#include "scheduler/service/ops_api.h"
#include "scheduler/service/queues.h"
#include "scheduler/service/rendezvous.h"
#include "scheduler/service/scheduling_driver.h"
#include "scheduler/service/server_options.h"
#include "scheduler/service/timers.h"
#include "scheduler/store/state_store.h"

namespace muster::service {

class Server {
 public:
  // Loads the state from `store` and serves on `router`. Does not loop yet.
  // `access` says who each connection's principal is (access.h); null only
  // for musterd --insecure, where nobody is authenticated and every field of
  // a request is trusted.
  static Result<std::unique_ptr<Server>> Create(const ServerOptions& options,
                                                std::unique_ptr<store::StateStore> store,
                                                std::unique_ptr<transport::Router> router, const Clock& clock,
                                                std::shared_ptr<AccessTable> access);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The endpoint the router bound (with the real port).
  const std::string& endpoint() const { return router_->endpoint(); }
  // Runs turns until `stop` becomes true (checked at least every 100 ms),
  // or until a commit fails.
  Status Run(const std::atomic<bool>& stop);
  // One turn of the loop, without waiting: what Run does after each wait.
  // An error is a failed commit: nothing of the turn was sent, and the
  // process must stop (a restart recovers from what is durable).
  Status Turn();
  // How long Run may wait before the next turn is due.
  int64_t NextWaitMs() const;
  const ServerStats& stats() const { return stats_; }
  const Timers& timers() const { return timers_; }

 private:
  Server(const ServerOptions& options, std::unique_ptr<store::StateStore> store,
         std::unique_ptr<transport::Router> router, const Clock& clock,
         std::shared_ptr<const timewin::OffPeakCalendar> calendar, std::shared_ptr<AccessTable> access);
  Status Recover();
  void HandleFrame(const transport::Incoming& in);
  // The one dispatch point: every request type, the permission it needs
  // (authz.h) and the part that handles it.
  void Dispatch(const Caller& from, const Principal& who, wire::Envelope env);
  // What a request is about, for its permission check (authz.h).
  // `history`: also jobs only on disk (a store read).
  Subject JobSubject(JobId id, bool history);
  Subject ModelSubject(const std::string& name) const;
  // Fields the credential decides, whatever the request said (the user of
  // a submit, its team); an error when the caller may not use the value.
  Status FromCredential(const Principal& who, JobSpec& spec) const;
  // A user's share of musterd: unfinished jobs and submits per second.
  Status WithinLimits(const Principal& who, const JobSpec& spec);
  void Route(const Caller& from, wire::Body& body);
  // Hides what `who` may not see in the replies added to the outbox since
  // `first` (the values of other users' job environments).
  void RedactReplies(const std::string& peer, const Principal& who, size_t first);
  void OnTimer(Timer kind, uint64_t id);
  void MaybeCycle();
  Status CommitAndFlush();

  // Constant after construction.
  ServerOptions options_;
  std::unique_ptr<store::StateStore> store_;
  std::unique_ptr<transport::Router> router_;
  const Clock& clock_;
  std::shared_ptr<AccessTable> access_;  // null: --insecure

  // The current turn's effects, and every deadline.
  Effects fx_;
  Timers timers_;

  // The parts, each owning its state (construction order is dependency order).
  NodeRegistry nodes_;
  JobTable jobs_;
  Queues queues_;
  Rendezvous rdzv_;
  GangCoordinator gangs_;
  Arrays arrays_;
  Models models_;
  SchedulingDriver driver_;
  ClientApi client_;
  OpsApi ops_;
  AgentApi agents_;
  LogRelay logs_;

  // Per-user submit rates, and how often a refusal is logged.
  std::map<std::string, TokenBucket> submit_rate_;
  TokenBucket refusal_log_{10, 20};
  uint64_t refusals_unlogged_ = 0;

  ServerStats stats_;
  uint64_t turn_messages_ = 0;  // drained this turn
  int64_t next_cycle_us_ = 0;   // monotonic: no scheduling cycle before this
};

}  // namespace muster::service
