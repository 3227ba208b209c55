// musterd's whole service in one process (STYLE: Nomad's scheduler Harness,
// LevelDB's fault-injection Env): the real Server and all its parts, the
// real codec, an in-memory Router, a ManualClock, and the in-memory store
// behind a wrapper that can fail a chosen commit. The test decides when the
// loop turns and when time passes, so protocol cases that take seconds of
// real time (barrier timeouts, heartbeats, cooldowns) run in microseconds
// and never race.
//
// Fake agents speak the agent protocol through the router. By default they
// behave like a healthy muster-agent (answer reservations, start ranks on
// commit, report exits when told or when killed); a test turns that off to
// drive a node by hand.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/proto/messages.h"
#include "common/transport/inproc_router.h"
#include "scheduler/service/server.h"
#include "scheduler/store/state_store.h"

namespace muster::testing {

// Thursday 2026-11-26T16:00:00Z.
constexpr Time kHarnessStart = 1'795'708'800LL * kSecond;

// A StateStore that forwards to another one, and fails commits on request
// (a full disk, an I/O error): LevelDB's FaultInjectionTestEnv for musterd.
class FaultyStore final : public store::StateStore {
 public:
  explicit FaultyStore(store::StateStore& base) : base_(base) {}
  // The n-th commit from now fails (1: the next one), once.
  void FailCommitAfter(int n) { fail_at_ = commits_ + n; }
  int commits() const { return commits_; }

  Result<store::RecoveredState> Load(size_t limit) override { return base_.Load(limit); }
  Status Commit(const store::WriteSet& ws) override;
  Result<std::optional<Job>> GetJob(JobId id) override { return base_.GetJob(id); }
  Result<std::vector<Job>> ListFinished(const store::HistoryQuery& q) override {
    return base_.ListFinished(q);
  }
  Result<std::vector<JobEvent>> Events(JobId id) override { return base_.Events(id); }
  Result<std::vector<TriggerRecord>> Triggers(const std::string& model, size_t limit) override {
    return base_.Triggers(model, limit);
  }

 private:
  store::StateStore& base_;
  int fail_at_ = 0;  // 0: none
  int commits_ = 0;
};

class Harness;

class FakeAgent {
 public:
  struct Behaviour {
    bool answer_reserve = true;   // ReserveRanks -> Reserved{ok}
    bool start_on_commit = true;  // CommitRanks -> every rank started
    bool exit_on_kill = true;     // KillJob -> every rank of the attempt exits (SIGTERM)
    std::string refuse_reserve;   // non-empty: Reserved{ok = false, this reason}
    bool heartbeat = true;        // heartbeats while time passes (Harness::Advance)
  };

  const std::string& name() const { return name_; }
  transport::InProcRouter::Peer& peer() { return *peer_; }
  Behaviour& behaviour() { return behaviour_; }

  // Register as the node with `gpus` GPUs, reporting what it holds.
  void Register(std::vector<wire::RankRef> running = {}, std::vector<wire::RankExit> exited = {},
                std::vector<wire::GangRef> reserved = {});
  void Heartbeat(std::vector<wire::GpuStat> gpus = {});
  // Ranks of a job that this node runs now (started, not exited).
  std::vector<wire::RankRef> Running(JobId job = kNoJob) const;
  std::vector<wire::RankRef> AllRunning() const { return Running(kNoJob); }
  // Report rank(s) as exited; each rank this node runs for that job.
  void Exit(JobId job, int32_t code = 0, int32_t signal = 0);
  void ExitRank(const wire::RankRef& ref, int32_t code = 0, int32_t signal = 0);
  void Started(const wire::RankRef& ref);
  void Reserved(JobId job, int32_t attempt, bool ok = true, const std::string& reason = "");
  // Forget everything it runs and holds (a restarted agent that lost it all).
  void Forget();

  // Every message musterd sent it, in order, since the start (the fake's
  // automatic behaviour already ran over each).
  const std::vector<wire::Envelope>& received() const { return received_; }
  // Of those, the bodies of type T (in order).
  template <typename T>
  std::vector<T> Got() const {
    std::vector<T> out;
    for (const auto& e : received_)
      if (auto* m = std::get_if<T>(&e.body)) out.push_back(*m);
    return out;
  }
  void ClearReceived() { received_.clear(); }
  // The reservation (ReserveRanks' launch) it holds for a job attempt.
  const wire::LaunchRanks* Reservation(JobId job, int32_t attempt) const;
  const std::map<std::pair<JobId, int32_t>, wire::LaunchRanks>& launched() const { return launched_; }

  // Reads what musterd sent and reacts per the behaviour. Whether it read anything.
  bool Process();

 private:
  friend class Harness;
  FakeAgent(Harness& h, std::string name, int gpus, std::map<std::string, std::string> labels);

  Harness& h_;
  std::string name_;
  int gpus_;
  std::map<std::string, std::string> labels_;
  transport::InProcRouter::Peer* peer_ = nullptr;
  Behaviour behaviour_;
  std::vector<wire::Envelope> received_;
  std::map<std::pair<JobId, int32_t>, wire::LaunchRanks> reservations_;
  std::map<std::pair<JobId, int32_t>, wire::LaunchRanks> launched_;  // committed, by (job, attempt)
  std::set<std::tuple<JobId, int32_t, int32_t>> running_;            // (job, attempt, rank)
};

class Harness {
 public:
  struct Options {
    service::ServerOptions server;
    Time start = kHarnessStart;
    // musterd --insecure: no access table, every caller trusted.
    bool insecure = false;
  };
  // The CLI peer's principal: an operator (who may act for any user, as
  // the tests' specs do); other callers connect as themselves (AddUser).
  static constexpr const char* kOperator = "user:ops";
  Harness() : Harness(Options{}) {}
  explicit Harness(Options options);
  ~Harness();

  service::Server& server() { return *server_; }
  ManualClock& clock() { return clock_; }
  FaultyStore& store() { return faulty_; }
  transport::InProcRouter& router() { return *router_; }
  const service::ServerOptions& options() const { return options_.server; }

  // One turn of musterd's loop; its status (an error: a failed commit).
  Status Turn();
  // Turns, letting fake agents react, until nothing moves (bounded).
  void Settle(int max_turns = 100);
  // Moves the clock by `d` as time passes for a live cluster: in steps of at
  // most `step` (default: a fifth of the heartbeat timeout), after each of
  // which the fake agents heartbeat and the loop settles.
  void Advance(Duration d, Duration step = 0);
  // Restarts musterd on the same store (a crash: whatever the last commit
  // wrote is what the new one loads). The router and its peers stay;
  // agents must register again, as real ones do when musterd comes back.
  void Restart();

  // A fake agent, connected and registered (`register_now`).
  FakeAgent& AddAgent(const std::string& name, int gpus, std::map<std::string, std::string> labels = {},
                      bool register_now = true);
  FakeAgent& agent(const std::string& name) { return *agents_.at(name); }

  // A client request from the CLI peer, and musterd's answer (settles).
  wire::Body Call(wire::Body request);
  // Submit and return the id; fails the test (throws) when refused.
  JobId Submit(JobSpec spec);
  Result<JobId> TrySubmit(JobSpec spec);
  // The job as `muster show` sees it.
  Job Show(JobId id);
  std::vector<Job> Jobs();
  std::vector<JobEvent> History(JobId id);
  // A new client connection (e.g. a rank talking to the rendezvous),
  // authenticated as `principal` ("user:bob", "node:node-a", "rank:4:1";
  // empty: unauthenticated).
  transport::InProcRouter::Peer& Connect(const std::string& identity,
                                         const std::string& principal = kOperator) {
    return router_->Connect(identity, principal);
  }
  // Enrolls a user or node in musterd's access table; returns its principal id.
  std::string AddUser(const std::string& name, std::vector<std::string> teams = {},
                      std::set<std::string> admin_of = {}, bool is_operator = false);
  std::string AddNode(const std::string& name);
  service::AccessTable* access() { return access_.get(); }

 private:
  friend class FakeAgent;
  Options options_;
  ManualClock clock_;
  // The store and the router outlive each musterd (Restart); the server
  // gets forwarding handles to them.
  std::unique_ptr<store::StateStore> memory_;
  FaultyStore faulty_;
  std::unique_ptr<transport::InProcRouter> router_;
  std::shared_ptr<service::AccessTable> access_;  // null: insecure
  std::unique_ptr<service::Server> server_;
  std::map<std::string, std::unique_ptr<FakeAgent>> agents_;
  transport::InProcRouter::Peer* cli_ = nullptr;
};

// A plain job spec: `gpus` GPUs (flexible shape), team t, `true`.
JobSpec Spec(int32_t gpus = 1);
// A gang: nodes x gpus_per_node.
JobSpec GangSpec(int32_t nodes, int32_t gpus_per_node);

}  // namespace muster::testing
