// One attempt of a job's gang, from placement to its end, as an explicit
// state machine (docs/protocol.md "Gang start", docs/architecture.md "Gang
// attempts"). Pure: no clock, no I/O. Every event returns the actions it
// implies (messages to the gang's nodes, timers, the job becoming RUNNING,
// the attempt's end); the GangCoordinator carries them out.
//
//            all reserved              every rank started
//  RESERVING ------------> COMMITTED ---------------------> RUNNING
//      |       (one node: COMMITTED at once)  |                 |
//      |                                      |  teardown       |  teardown, or a rank failed
//      +--------------------------------------+---> TEARING_DOWN <-+
//                                                       |
//             every rank exited (or is given up)        v
//  RUNNING, TEARING_DOWN ------------------------------> ENDED
//
// "Never half a gang": a rank that fails, a node that refuses or is lost,
// a barrier that times out, each tears the whole attempt down. Nodes are
// named by their index in the placement, ranks by their global rank.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "muster/types.h"

namespace muster::service {

enum class GangState : uint8_t { kReserving, kCommitted, kRunning, kTearingDown, kEnded };
const char* GangStateName(GangState s);

struct GangAction {
  enum Kind : uint8_t {
    kReserve,          // node: ReserveRanks, the launch of its ranks
    kCommit,           // node: CommitRanks
    kAbort,            // node: AbortRanks (a reservation rolled back)
    kKill,             // node: KillJob for this attempt (SIGTERM, SIGKILL after the grace period)
    kArmReserveTimer,  // every node must answer the reservation by the reserve timeout
    kDisarmReserveTimer,
    kArmStartTimer,  // every rank must report started by the start timeout
    kDisarmStartTimer,
    kArmUnstartedTimer,  // ranks never reported started get the grace period + a margin to exit
    kRunning,            // every rank started: the job is RUNNING
    kEnded,              // every rank is over; always the last action (end())
  };
  Kind kind;
  int32_t node = -1;  // for the node messages: index into the placement
  bool operator==(const GangAction&) const = default;
};
using GangActions = std::vector<GangAction>;
const char* GangActionName(GangAction::Kind k);

// How a rank ended, as its agent reported it.
struct RankOutcome {
  bool failed = false;    // failed to start, a signal, or a non-zero exit
  int32_t exit_code = 0;  // the job's exit code if this failure ends it (128 + signal, ...)
  std::string why;        // "rank 3 exited with code 7"
};

// What the attempt ended as.
struct GangEnd {
  JobState state = JobState::kCompleted;  // COMPLETED, FAILED, CANCELLED, TIMEOUT, PREEMPTED, NODE_FAIL
  bool requeue = false;                   // PREEMPTED / NODE_FAIL: requeue while restarts remain
  std::string cause;
  int32_t exit_code = 0;
};

class GangAttempt {
 public:
  // A new attempt on `nodes` nodes of `ranks_per_node` ranks. A one-node
  // gang has nobody to wait for: it is reserved and committed together.
  static GangAttempt Start(int32_t nodes, int32_t ranks_per_node, GangActions* out);
  // The attempt of a job that was placed when musterd restarted, from what
  // was persisted: a gang reserving is rolled back by the caller, a
  // committed one waits for its agents to re-register, a running one's ranks
  // are presumed started until their agent says otherwise.
  static GangAttempt Recover(int32_t nodes, int32_t ranks_per_node, JobState state, GangPhase phase,
                             std::optional<JobState> ending, bool requeue, int32_t exit_code,
                             GangActions* out);

  // Node `node` answered ReserveRanks. False when the answer was not awaited
  // (a duplicate, or the attempt is past reserving).
  bool OnReserved(int32_t node, GangActions* out);
  // Node `node` refused the reservation; `why` names node and reason.
  void OnReserveRefused(int32_t node, const std::string& why, GangActions* out);
  // Node `node` refused the commit (its reservation had expired): it starts
  // nothing. Ignored once any of its ranks started or ended (a stale answer).
  void OnCommitRefused(int32_t node, const std::string& why, GangActions* out);
  void OnRankStarted(int32_t rank, GangActions* out);
  void OnRankExited(int32_t rank, const RankOutcome& outcome, GangActions* out);
  // The node is gone (DOWN): its ranks will never report.
  void OnNodeLost(int32_t node, const std::string& why, GangActions* out);
  // A rank its node no longer runs nor reports (reconciliation at registration).
  void OnRankLost(int32_t rank, const std::string& why, GangActions* out);
  // Tear the whole attempt down, ending as `ending`. The first cause wins,
  // except that a user's cancel overrides any other.
  void TearDown(JobState ending, bool requeue, const std::string& why, GangActions* out);
  void OnReserveTimeout(const std::string& why, GangActions* out);
  void OnStartTimeout(const std::string& why, GangActions* out);
  void OnUnstartedExitsTimeout(GangActions* out);

  GangState state() const { return state_; }
  int32_t nodes() const { return nodes_; }
  int32_t ranks_per_node() const { return ranks_per_node_; }
  int32_t world() const { return static_cast<int32_t>(ranks_.size()); }
  // Node index of `rank`, or -1.
  int32_t NodeOf(int32_t rank) const;
  bool started(int32_t rank) const { return InRange(rank) && ranks_[rank].started; }
  bool exited(int32_t rank) const { return InRange(rank) && ranks_[rank].exited; }
  // Nodes that have not answered the reservation.
  const std::set<int32_t>& reserve_waiting() const { return reserve_waiting_; }
  std::vector<int32_t> UnstartedRanks() const;

  // What the job record persists of the attempt.
  GangPhase phase() const;
  const std::optional<JobState>& ending() const { return ending_; }
  bool requeue() const { return requeue_; }
  int32_t exit_code() const { return exit_code_; }
  // Why the attempt is being torn down; empty while it is not.
  const std::string& failure() const { return failure_; }
  // Valid in kEnded.
  const GangEnd& end() const { return end_; }

 private:
  struct Rank {
    bool started = false;
    bool exited = false;
  };
  GangAttempt(int32_t nodes, int32_t ranks_per_node);
  bool InRange(int32_t rank) const { return rank >= 0 && rank < world(); }
  void MarkExited(int32_t rank);
  void MaybeEnd(GangActions* out);

  int32_t nodes_ = 0;
  int32_t ranks_per_node_ = 0;
  std::vector<Rank> ranks_;
  int32_t ranks_exited_ = 0;
  GangState state_ = GangState::kReserving;
  bool committed_ = false;  // CommitRanks went out (persisted as GangPhase::kCommitted)
  std::set<int32_t> reserve_waiting_;
  std::optional<JobState> ending_;
  bool requeue_ = false;
  std::string failure_;
  int32_t exit_code_ = 0;
  // The start barrier timed out: unreported ranks get a bounded wait for their exits.
  bool awaiting_unstarted_exits_ = false;
  GangEnd end_;
};

}  // namespace muster::service
