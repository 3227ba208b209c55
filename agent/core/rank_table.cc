#include "agent/core/rank_table.h"

#include <algorithm>

namespace muster::agent {

bool RankTable::IsDuplicateLaunch(JobId job, int32_t attempt) const {
  if (launched_.count({job, attempt})) return true;
  for (const auto& [ref, pid] : pid_by_ref_)
    if (ref.job == job && ref.attempt == attempt) return true;
  for (const auto& [ref, pending] : unacked_)
    if (ref.job == job && ref.attempt == attempt) return true;
  return false;
}

void RankTable::NoteLaunch(JobId job, int32_t attempt) {
  if (!launched_.insert({job, attempt}).second) return;
  launch_order_.emplace_back(job, attempt);
  while (launch_order_.size() > kLaunchMemory) {
    launched_.erase(launch_order_.front());
    launch_order_.pop_front();
  }
}

void RankTable::AddRunning(const wire::RankRef& ref, int32_t pid) {
  RankEntry e;
  e.ref = ref;
  e.pid = pid;
  // A pid is unique among live processes; a stale entry under it would be a
  // missed exit, which the new one replaces.
  if (auto old = by_pid_.find(pid); old != by_pid_.end()) pid_by_ref_.erase(old->second.ref);
  if (auto old = pid_by_ref_.find(ref); old != pid_by_ref_.end()) by_pid_.erase(old->second);
  by_pid_[pid] = e;
  pid_by_ref_[ref] = pid;
}

const RankEntry* RankTable::FindByPid(int32_t pid) const {
  auto it = by_pid_.find(pid);
  return it == by_pid_.end() ? nullptr : &it->second;
}

const RankEntry* RankTable::Find(const wire::RankRef& ref) const {
  auto it = pid_by_ref_.find(ref);
  return it == pid_by_ref_.end() ? nullptr : FindByPid(it->second);
}

std::optional<RankEntry> RankTable::OnProcessExit(int32_t pid) {
  auto it = by_pid_.find(pid);
  if (it == by_pid_.end()) return std::nullopt;
  RankEntry e = it->second;
  by_pid_.erase(it);
  pid_by_ref_.erase(e.ref);
  return e;
}

std::vector<wire::RankRef> RankTable::RunningRefs() const {
  std::vector<wire::RankRef> refs;
  for (const auto& [ref, pid] : pid_by_ref_) refs.push_back(ref);
  return refs;
}

bool RankTable::JobHasRanks(JobId job) const {
  auto it = pid_by_ref_.lower_bound(wire::RankRef{job, INT32_MIN, INT32_MIN});
  return it != pid_by_ref_.end() && it->first.job == job;
}

std::vector<int32_t> RankTable::Terminate(RankEntry& e, int64_t now_ms, int64_t grace_ms) {
  const int64_t deadline = now_ms + std::max<int64_t>(grace_ms, 0);
  switch (e.phase) {
    case RankPhase::kRunning:
      e.phase = RankPhase::kTerminating;
      e.kill_at_ms = deadline;
      return {e.pid};
    case RankPhase::kTerminating:
      e.kill_at_ms = std::min(e.kill_at_ms, deadline);
      return {};
    case RankPhase::kKilled:
      return {};
  }
  return {};
}

std::vector<int32_t> RankTable::TerminateJob(JobId job, int32_t attempt, int64_t now_ms, int64_t grace_ms) {
  std::vector<int32_t> pids;
  for (auto& [pid, e] : by_pid_) {
    if (e.ref.job != job || (attempt != 0 && e.ref.attempt != attempt)) continue;
    for (int32_t p : Terminate(e, now_ms, grace_ms)) pids.push_back(p);
  }
  return pids;
}

std::vector<int32_t> RankTable::TerminateRank(const wire::RankRef& ref, int64_t now_ms, int64_t grace_ms,
                                              bool report_exit) {
  auto it = pid_by_ref_.find(ref);
  if (it == pid_by_ref_.end()) return {};
  RankEntry& e = by_pid_.at(it->second);
  if (!report_exit) e.report_exit = false;
  return Terminate(e, now_ms, grace_ms);
}

std::vector<int32_t> RankTable::TerminateAll(int64_t now_ms, int64_t grace_ms) {
  std::vector<int32_t> pids;
  for (auto& [pid, e] : by_pid_)
    for (int32_t p : Terminate(e, now_ms, grace_ms)) pids.push_back(p);
  return pids;
}

std::vector<int32_t> RankTable::TakeDueKills(int64_t now_ms) {
  std::vector<int32_t> pids;
  for (auto& [pid, e] : by_pid_) {
    if (e.phase == RankPhase::kTerminating && e.kill_at_ms <= now_ms) {
      e.phase = RankPhase::kKilled;
      pids.push_back(pid);
    }
  }
  return pids;
}

std::optional<int64_t> RankTable::NextKillDeadline() const {
  std::optional<int64_t> next;
  for (const auto& [pid, e] : by_pid_)
    if (e.phase == RankPhase::kTerminating && (!next || e.kill_at_ms < *next)) next = e.kill_at_ms;
  return next;
}

void RankTable::AddUnacked(const wire::RankExit& exit, int64_t now_ms) {
  unacked_[exit.ref] = Pending{exit, now_ms};
}

bool RankTable::Ack(const wire::RankRef& ref) { return unacked_.erase(ref) > 0; }

std::vector<wire::RankExit> RankTable::Unacked() const {
  std::vector<wire::RankExit> out;
  for (const auto& [ref, p] : unacked_) out.push_back(p.exit);
  return out;
}

std::vector<wire::RankExit> RankTable::TakeDueResends(int64_t now_ms, int64_t interval_ms) {
  std::vector<wire::RankExit> out;
  for (auto& [ref, p] : unacked_) {
    if (now_ms - p.last_sent_ms >= interval_ms) {
      p.last_sent_ms = now_ms;
      out.push_back(p.exit);
    }
  }
  return out;
}

std::optional<int64_t> RankTable::NextResend(int64_t interval_ms) const {
  std::optional<int64_t> next;
  for (const auto& [ref, p] : unacked_) {
    int64_t t = p.last_sent_ms + interval_ms;
    if (!next || t < *next) next = t;
  }
  return next;
}

void RankTable::MarkAllSent(int64_t now_ms) {
  for (auto& [ref, p] : unacked_) p.last_sent_ms = now_ms;
}

}  // namespace muster::agent
