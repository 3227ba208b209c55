// The agent's bookkeeping, pure (no I/O, no clock: `now_ms` is passed in):
// which ranks run under which pid, which are being killed and when SIGKILL
// is due, which exits musterd has not acknowledged yet, and which launches
// were already seen. The service turns its answers into syscalls and messages.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "common/proto/messages.h"

namespace muster::agent {

enum class RankPhase : uint8_t {
  kRunning,
  kTerminating,  // SIGTERM sent, SIGKILL due at kill_at_ms
  kKilled,       // SIGKILL sent, waiting for the exit
};

struct RankEntry {
  wire::RankRef ref;
  int32_t pid = 0;  // also its process group id
  RankPhase phase = RankPhase::kRunning;
  int64_t kill_at_ms = 0;   // while kTerminating
  bool report_exit = true;  // false: musterd asked us to kill it and wants no report
};

// Total order on refs, for maps.
struct RankRefLess {
  bool operator()(const wire::RankRef& a, const wire::RankRef& b) const {
    return std::tie(a.job, a.attempt, a.rank) < std::tie(b.job, b.attempt, b.rank);
  }
};

class RankTable {
 public:
  // How many (job, attempt) launches are remembered after their ranks are
  // gone, so a late duplicate LaunchRanks never runs a gang a second time.
  static constexpr size_t kLaunchMemory = 4096;

  // ---- launches ----
  // True when (job, attempt) was launched here already (running, exited, or
  // remembered): the LaunchRanks is a duplicate and must be ignored.
  bool IsDuplicateLaunch(JobId job, int32_t attempt) const;
  void NoteLaunch(JobId job, int32_t attempt);

  // ---- running ranks ----
  void AddRunning(const wire::RankRef& ref, int32_t pid);
  const RankEntry* FindByPid(int32_t pid) const;
  const RankEntry* Find(const wire::RankRef& ref) const;
  // The process `pid` ended: forget it and return what it was (nullopt: not ours).
  std::optional<RankEntry> OnProcessExit(int32_t pid);
  std::vector<wire::RankRef> RunningRefs() const;
  bool JobHasRanks(JobId job) const;  // any attempt
  size_t running_count() const { return by_pid_.size(); }

  // ---- killing ----
  // Ranks of `job` (attempt 0: any attempt). Returns the pids that must get
  // SIGTERM now (those not already being killed); every match gets a SIGKILL
  // deadline of now + grace (an earlier deadline is kept). grace_ms <= 0
  // means SIGKILL at the next TakeDueKills.
  std::vector<int32_t> TerminateJob(JobId job, int32_t attempt, int64_t now_ms, int64_t grace_ms);
  // Same for one rank; `report_exit = false` drops its exit report (RegisterReply.kill).
  std::vector<int32_t> TerminateRank(const wire::RankRef& ref, int64_t now_ms, int64_t grace_ms,
                                     bool report_exit);
  std::vector<int32_t> TerminateAll(int64_t now_ms, int64_t grace_ms);
  // Pids whose SIGKILL deadline passed; each is returned once.
  std::vector<int32_t> TakeDueKills(int64_t now_ms);
  std::optional<int64_t> NextKillDeadline() const;

  // ---- exits not yet acknowledged by musterd ----
  // Records an exit that was just sent.
  void AddUnacked(const wire::RankExit& exit, int64_t now_ms);
  bool Ack(const wire::RankRef& ref);  // false: not pending (a duplicate ack)
  std::vector<wire::RankExit> Unacked() const;
  // Exits last sent at least `interval_ms` ago; they count as sent now.
  std::vector<wire::RankExit> TakeDueResends(int64_t now_ms, int64_t interval_ms);
  std::optional<int64_t> NextResend(int64_t interval_ms) const;
  // All unacked exits count as sent now (they went out inside a Register).
  void MarkAllSent(int64_t now_ms);

 private:
  std::vector<int32_t> Terminate(RankEntry& e, int64_t now_ms, int64_t grace_ms);

  std::map<int32_t, RankEntry> by_pid_;
  std::map<wire::RankRef, int32_t, RankRefLess> pid_by_ref_;
  struct Pending {
    wire::RankExit exit;
    int64_t last_sent_ms;
  };
  std::map<wire::RankRef, Pending, RankRefLess> unacked_;
  std::set<std::pair<JobId, int32_t>> launched_;
  std::deque<std::pair<JobId, int32_t>> launch_order_;
};

}  // namespace muster::agent
