// Rendezvous for the ranks of a job attempt (docs/rendezvous.md): a small
// key/value store and named barriers, in memory only.
//
// Why not persisted: the values (addresses, ncclUniqueIds) describe the
// processes of one attempt and are worthless after a musterd restart's
// reconciliation; writing them would put every rank's bootstrap on the
// synced commit path. A restarted musterd answers with an empty store and
// ranks retry (or the gang fails and is requeued).
//
// Held requests (a get of a key not yet published, a barrier not yet full)
// are answered when they can be, at their deadline (ExpireRendezvous, every
// turn), or when the attempt ends (DropRendezvous). Every message costs
// O(log n) in the number of held requests and keys.
#include <algorithm>

#include "common/base/log.h"
#include "scheduler/service/server.h"

namespace muster::service {
namespace {

// Bounds a single job can hold in this process beyond the per-key limits of
// messages.h: all values of one attempt, and its held requests.
constexpr size_t kMaxValueBytesPerAttempt = 64 * 1024 * 1024;
constexpr size_t kMaxWaitersPerAttempt = 65536;
constexpr int32_t kMaxBarrierWorld = 1 << 20;

std::string Quoted(const std::string& s) { return "'" + s + "'"; }

// Empty or over the limit: the error message; otherwise empty.
std::string CheckName(const std::string& what, const std::string& name) {
  if (name.empty()) return "empty rendezvous " + what;
  if (name.size() > wire::kRdzvMaxKeyBytes)
    return "rendezvous " + what + " of " + std::to_string(name.size()) + " bytes is over the " +
           std::to_string(wire::kRdzvMaxKeyBytes) + "-byte limit";
  return "";
}

std::string AttemptName(JobId job, int32_t attempt) {
  return "job " + std::to_string(job) + " attempt " + std::to_string(attempt);
}

}  // namespace

Server::RdzvSpace* Server::RdzvSpaceOf(const std::string& from, uint64_t rid, JobId job, int32_t attempt) {
  auto it = active_.find(job);
  std::string why;  // why the attempt is not running; empty: it is
  if (it == active_.end()) {
    if (job == kNoJob || job >= next_job_id_) {
      ReplyError(from, rid, wire::ErrorCode::kNotFound, "no job " + std::to_string(job));
      return nullptr;
    }
    why = "the job ended";
  } else {
    const Job& j = it->second.job;
    bool placed = (j.state == JobState::kStarting || j.state == JobState::kRunning) && !j.placement.empty();
    if (!placed)
      why = std::string("the job is ") + JobStateName(j.state);
    else if (j.attempt != attempt)
      why = "the job is at attempt " + std::to_string(j.attempt);
    else if (j.ending.has_value())
      why = "its gang is being torn down";
  }
  if (!why.empty()) {
    ReplyError(from, rid, wire::ErrorCode::kFailedPrecondition,
               AttemptName(job, attempt) + " is not running (" + why + ")");
    return nullptr;
  }
  auto sp = rdzv_.find(job);
  if (sp != rdzv_.end() && sp->second.attempt != attempt) {
    // Left over from an attempt that ended without passing MaybeFinish.
    DropRendezvous(job, "job attempt ended");
    sp = rdzv_.end();
  }
  if (sp == rdzv_.end()) {
    sp = rdzv_.emplace(job, RdzvSpace{}).first;
    sp->second.attempt = attempt;
  }
  return &sp->second;
}

uint64_t Server::AddRdzvWaiter(RdzvSpace& space, RdzvWaiter w) {
  uint64_t id = next_rdzv_waiter_++;
  rdzv_deadlines_.insert({w.deadline_mono, id});
  if (w.barrier)
    space.barriers[w.key].arrived[w.rank] = id;
  else
    space.getters[w.key].insert(id);
  rdzv_waiters_.emplace(id, std::move(w));
  ++space.waiters;
  return id;
}

// Forgets a held request (it was answered or is about to be); does not reply.
void Server::RemoveRdzvWaiter(RdzvSpace& space, uint64_t id) {
  auto it = rdzv_waiters_.find(id);
  if (it == rdzv_waiters_.end()) return;
  const RdzvWaiter& w = it->second;
  rdzv_deadlines_.erase({w.deadline_mono, id});
  if (w.barrier) {
    auto b = space.barriers.find(w.key);
    if (b != space.barriers.end()) {
      auto r = b->second.arrived.find(w.rank);
      if (r != b->second.arrived.end() && r->second == id) b->second.arrived.erase(r);
      if (b->second.arrived.empty()) space.barriers.erase(b);
    }
  } else {
    auto g = space.getters.find(w.key);
    if (g != space.getters.end()) {
      g->second.erase(id);
      if (g->second.empty()) space.getters.erase(g);
    }
  }
  --space.waiters;
  rdzv_waiters_.erase(it);
}

void Server::OnRdzvPut(const std::string& from, uint64_t rid, wire::RdzvPut& m) {
  if (std::string bad = CheckName("key", m.key); !bad.empty())
    return ReplyError(from, rid, m.key.empty() ? wire::ErrorCode::kBadRequest : wire::ErrorCode::kTooLarge,
                      bad);
  if (m.value.size() > wire::kRdzvMaxValueBytes)
    return ReplyError(from, rid, wire::ErrorCode::kTooLarge,
                      "rendezvous value of " + std::to_string(m.value.size()) + " bytes for key " +
                          Quoted(m.key) + " is over the " + std::to_string(wire::kRdzvMaxValueBytes) +
                          "-byte limit");
  RdzvSpace* space = RdzvSpaceOf(from, rid, m.job, m.attempt);
  if (!space) return;
  auto existing = space->values.find(m.key);
  size_t old_bytes = existing == space->values.end() ? 0 : existing->second.size();
  if (existing == space->values.end() && space->values.size() >= wire::kRdzvMaxKeys)
    return ReplyError(from, rid, wire::ErrorCode::kTooLarge,
                      AttemptName(m.job, m.attempt) + " already has " + std::to_string(wire::kRdzvMaxKeys) +
                          " rendezvous keys, the limit; cannot add " + Quoted(m.key));
  if (space->value_bytes - old_bytes + m.value.size() > kMaxValueBytesPerAttempt)
    return ReplyError(from, rid, wire::ErrorCode::kTooLarge,
                      AttemptName(m.job, m.attempt) + ": rendezvous values would exceed " +
                          std::to_string(kMaxValueBytesPerAttempt) + " bytes in all");
  space->value_bytes = space->value_bytes - old_bytes + m.value.size();
  // Wake everyone waiting for this key, in arrival order (ids increase).
  if (auto g = space->getters.find(m.key); g != space->getters.end()) {
    std::set<uint64_t> ids = std::move(g->second);
    space->getters.erase(g);
    for (uint64_t id : ids) {
      auto w = rdzv_waiters_.find(id);
      if (w == rdzv_waiters_.end()) continue;
      Reply(w->second.client, w->second.client_request, wire::RdzvValue{true, m.value});
      RemoveRdzvWaiter(*space, id);
    }
  }
  space->values[m.key] = std::move(m.value);
  Reply(from, rid, wire::Ok{});
}

void Server::OnRdzvGet(const std::string& from, uint64_t rid, const wire::RdzvGet& m) {
  if (std::string bad = CheckName("key", m.key); !bad.empty())
    return ReplyError(from, rid, m.key.empty() ? wire::ErrorCode::kBadRequest : wire::ErrorCode::kTooLarge,
                      bad);
  RdzvSpace* space = RdzvSpaceOf(from, rid, m.job, m.attempt);
  if (!space) return;
  if (auto v = space->values.find(m.key); v != space->values.end())
    return Reply(from, rid, wire::RdzvValue{true, v->second});
  if (m.wait_ms <= 0) return Reply(from, rid, wire::RdzvValue{false, ""});
  if (space->waiters >= kMaxWaitersPerAttempt)
    return ReplyError(from, rid, wire::ErrorCode::kUnavailable,
                      AttemptName(m.job, m.attempt) + " already has " +
                          std::to_string(kMaxWaitersPerAttempt) + " held rendezvous requests");
  RdzvWaiter w;
  w.client = from;
  w.client_request = rid;
  w.deadline_mono = MonotonicMs() + m.wait_ms;
  w.job = m.job;
  w.key = m.key;
  AddRdzvWaiter(*space, std::move(w));
}

void Server::OnRdzvBarrier(const std::string& from, uint64_t rid, const wire::RdzvBarrier& m) {
  if (std::string bad = CheckName("barrier name", m.name); !bad.empty())
    return ReplyError(from, rid, m.name.empty() ? wire::ErrorCode::kBadRequest : wire::ErrorCode::kTooLarge,
                      bad);
  if (m.world_size < 1 || m.world_size > kMaxBarrierWorld || m.rank < 0 || m.rank >= m.world_size)
    return ReplyError(from, rid, wire::ErrorCode::kBadRequest,
                      "barrier " + Quoted(m.name) + ": rank " + std::to_string(m.rank) + " of world size " +
                          std::to_string(m.world_size) + " is out of range");
  RdzvSpace* space = RdzvSpaceOf(from, rid, m.job, m.attempt);
  if (!space) return;
  auto b = space->barriers.find(m.name);
  if (b != space->barriers.end()) {
    if (b->second.world_size != m.world_size)
      return ReplyError(from, rid, wire::ErrorCode::kBadRequest,
                        "barrier " + Quoted(m.name) + " has world size " +
                            std::to_string(b->second.world_size) + "; rank " + std::to_string(m.rank) +
                            " said " + std::to_string(m.world_size));
    // The same rank again (a retry after a lost reply, or a second process
    // claiming the rank): the newer request takes the place of the older.
    if (auto r = b->second.arrived.find(m.rank); r != b->second.arrived.end()) {
      uint64_t old_id = r->second;
      auto w = rdzv_waiters_.find(old_id);
      if (w != rdzv_waiters_.end())
        ReplyError(w->second.client, w->second.client_request, wire::ErrorCode::kFailedPrecondition,
                   "rank " + std::to_string(m.rank) + " entered barrier " + Quoted(m.name) + " again");
      RemoveRdzvWaiter(*space, old_id);
      b = space->barriers.find(m.name);  // removing the last arrival erases the barrier
    }
  }
  size_t arrived = b == space->barriers.end() ? 0 : b->second.arrived.size();
  if (static_cast<int64_t>(arrived) + 1 == m.world_size) {
    // The last rank: release everyone, this one included; the name can be used again.
    if (b != space->barriers.end()) {
      std::map<int32_t, uint64_t> all = b->second.arrived;
      for (const auto& [rank, id] : all) {
        auto w = rdzv_waiters_.find(id);
        if (w != rdzv_waiters_.end()) Reply(w->second.client, w->second.client_request, wire::Ok{});
        RemoveRdzvWaiter(*space, id);
      }
    }
    return Reply(from, rid, wire::Ok{});
  }
  if (m.wait_ms <= 0)
    return ReplyError(from, rid, wire::ErrorCode::kUnavailable,
                      "barrier timed out: " + Quoted(m.name) + " has " + std::to_string(arrived + 1) +
                          " of " + std::to_string(m.world_size) + " ranks");
  if (space->waiters >= kMaxWaitersPerAttempt)
    return ReplyError(from, rid, wire::ErrorCode::kUnavailable,
                      AttemptName(m.job, m.attempt) + " already has " +
                          std::to_string(kMaxWaitersPerAttempt) + " held rendezvous requests");
  if (b == space->barriers.end()) space->barriers[m.name].world_size = m.world_size;
  RdzvWaiter w;
  w.client = from;
  w.client_request = rid;
  w.deadline_mono = MonotonicMs() + m.wait_ms;
  w.job = m.job;
  w.barrier = true;
  w.key = m.name;
  w.rank = m.rank;
  AddRdzvWaiter(*space, std::move(w));
}

int64_t Server::NextRendezvousDeadline() const {
  return rdzv_deadlines_.empty() ? -1 : rdzv_deadlines_.begin()->first;
}

void Server::ExpireRendezvous(int64_t now_mono) {
  while (!rdzv_deadlines_.empty() && rdzv_deadlines_.begin()->first <= now_mono) {
    uint64_t id = rdzv_deadlines_.begin()->second;
    auto it = rdzv_waiters_.find(id);
    if (it == rdzv_waiters_.end()) {  // cannot happen; never spin on it
      rdzv_deadlines_.erase(rdzv_deadlines_.begin());
      continue;
    }
    RdzvWaiter w = it->second;
    auto sp = rdzv_.find(w.job);
    if (sp == rdzv_.end()) {
      rdzv_deadlines_.erase(rdzv_deadlines_.begin());
      rdzv_waiters_.erase(it);
      continue;
    }
    RdzvSpace& space = sp->second;
    if (!w.barrier) {
      RemoveRdzvWaiter(space, id);
      Reply(w.client, w.client_request, wire::RdzvValue{false, ""});
      continue;
    }
    // Say which ranks never came: that is what a user debugging a hang needs.
    std::string detail;
    if (auto b = space.barriers.find(w.key); b != space.barriers.end()) {
      const auto& arrived = b->second.arrived;
      detail = Quoted(w.key) + " has " + std::to_string(arrived.size()) + " of " +
               std::to_string(b->second.world_size) + " ranks; missing";
      int shown = 0;
      for (int32_t r = 0; r < b->second.world_size && shown < 8; ++r) {
        if (arrived.count(r)) continue;
        detail += (shown ? ", " : " ") + std::to_string(r);
        ++shown;
      }
      if (static_cast<int64_t>(arrived.size()) + shown < b->second.world_size) detail += ", ...";
    }
    RemoveRdzvWaiter(space, id);
    ReplyError(w.client, w.client_request, wire::ErrorCode::kUnavailable,
               "barrier timed out" + (detail.empty() ? "" : ": " + detail));
  }
}

void Server::DropRendezvous(JobId job, const std::string& why) {
  auto sp = rdzv_.find(job);
  if (sp == rdzv_.end()) return;
  RdzvSpace& space = sp->second;
  std::vector<uint64_t> held;
  for (const auto& [key, ids] : space.getters) held.insert(held.end(), ids.begin(), ids.end());
  for (const auto& [name, b] : space.barriers)
    for (const auto& [rank, id] : b.arrived) held.push_back(id);
  std::sort(held.begin(), held.end());
  for (uint64_t id : held) {
    auto it = rdzv_waiters_.find(id);
    if (it == rdzv_waiters_.end()) continue;
    ReplyError(it->second.client, it->second.client_request, wire::ErrorCode::kNotFound, why);
    rdzv_deadlines_.erase({it->second.deadline_mono, id});
    rdzv_waiters_.erase(it);
  }
  MLOG(Debug) << "job " << job << " attempt " << space.attempt << ": dropped " << space.values.size()
              << " rendezvous keys and " << held.size() << " held requests (" << why << ")";
  rdzv_.erase(sp);
}

}  // namespace muster::service
