#include "scheduler/service/rendezvous.h"

#include <algorithm>
#include <vector>

#include "common/base/log.h"

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

Rendezvous::Space* Rendezvous::SpaceOf(const Caller& from, JobId job, int32_t attempt) {
  JobEntry* e = jobs_.Active(job);
  std::string why;  // why the attempt is not running; empty: it is
  if (!e) {
    if (job == kNoJob || job >= jobs_.next_id()) {
      fx_.Error(from, wire::ErrorCode::kNotFound, "no job " + std::to_string(job));
      return nullptr;
    }
    why = "the job ended";
  } else {
    const Job& j = e->job;
    bool placed = (j.state == JobState::kStarting || j.state == JobState::kRunning) && !j.placement.empty();
    if (!placed)
      why = std::string("the job is ") + JobStateName(j.state);
    else if (j.attempt != attempt)
      why = "the job is at attempt " + std::to_string(j.attempt);
    else if (j.ending.has_value())
      why = "its gang is being torn down";
  }
  if (!why.empty()) {
    fx_.Error(from, wire::ErrorCode::kFailedPrecondition,
              AttemptName(job, attempt) + " is not running (" + why + ")");
    return nullptr;
  }
  auto sp = spaces_.find(job);
  if (sp != spaces_.end() && sp->second.attempt != attempt) {
    // Left over from an attempt that ended without a Drop.
    Drop(job, "job attempt ended");
    sp = spaces_.end();
  }
  if (sp == spaces_.end()) {
    sp = spaces_.emplace(job, Space{}).first;
    sp->second.attempt = attempt;
  }
  return &sp->second;
}

void Rendezvous::AddWaiter(Space& space, Waiter w, int32_t wait_ms) {
  uint64_t id = next_waiter_++;
  timers_.Arm(Timer::kRdzvWait, id, clock_.MonotonicNow() + int64_t{wait_ms} * 1000);
  if (w.barrier)
    space.barriers[w.key].arrived[w.rank] = id;
  else
    space.getters[w.key].insert(id);
  waiters_.emplace(id, std::move(w));
  ++space.waiters;
}

void Rendezvous::RemoveWaiter(Space& space, uint64_t id) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  const Waiter& w = it->second;
  timers_.Disarm(Timer::kRdzvWait, id);
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
  waiters_.erase(it);
}

void Rendezvous::OnPut(const Caller& from, wire::RdzvPut& m) {
  if (std::string bad = CheckName("key", m.key); !bad.empty())
    return fx_.Error(from, m.key.empty() ? wire::ErrorCode::kBadRequest : wire::ErrorCode::kTooLarge, bad);
  if (m.value.size() > wire::kRdzvMaxValueBytes)
    return fx_.Error(from, wire::ErrorCode::kTooLarge,
                     "rendezvous value of " + std::to_string(m.value.size()) + " bytes for key " +
                         Quoted(m.key) + " is over the " + std::to_string(wire::kRdzvMaxValueBytes) +
                         "-byte limit");
  Space* space = SpaceOf(from, m.job, m.attempt);
  if (!space) return;
  auto existing = space->values.find(m.key);
  size_t old_bytes = existing == space->values.end() ? 0 : existing->second.size();
  if (existing == space->values.end() && space->values.size() >= wire::kRdzvMaxKeys)
    return fx_.Error(from, wire::ErrorCode::kTooLarge,
                     AttemptName(m.job, m.attempt) + " already has " + std::to_string(wire::kRdzvMaxKeys) +
                         " rendezvous keys, the limit; cannot add " + Quoted(m.key));
  if (space->value_bytes - old_bytes + m.value.size() > kMaxValueBytesPerAttempt)
    return fx_.Error(from, wire::ErrorCode::kTooLarge,
                     AttemptName(m.job, m.attempt) + ": rendezvous values would exceed " +
                         std::to_string(kMaxValueBytesPerAttempt) + " bytes in all");
  space->value_bytes = space->value_bytes - old_bytes + m.value.size();
  // Wake everyone waiting for this key, in arrival order (ids increase).
  if (auto g = space->getters.find(m.key); g != space->getters.end()) {
    std::set<uint64_t> ids = std::move(g->second);
    space->getters.erase(g);
    for (uint64_t id : ids) {
      auto w = waiters_.find(id);
      if (w == waiters_.end()) continue;
      fx_.Reply(w->second.caller, wire::RdzvValue{true, m.value});
      RemoveWaiter(*space, id);
    }
  }
  space->values[m.key] = std::move(m.value);
  fx_.Reply(from, wire::Ok{});
}

void Rendezvous::OnGet(const Caller& from, const wire::RdzvGet& m) {
  if (std::string bad = CheckName("key", m.key); !bad.empty())
    return fx_.Error(from, m.key.empty() ? wire::ErrorCode::kBadRequest : wire::ErrorCode::kTooLarge, bad);
  Space* space = SpaceOf(from, m.job, m.attempt);
  if (!space) return;
  if (auto v = space->values.find(m.key); v != space->values.end())
    return fx_.Reply(from, wire::RdzvValue{true, v->second});
  if (m.wait_ms <= 0) return fx_.Reply(from, wire::RdzvValue{false, ""});
  if (space->waiters >= kMaxWaitersPerAttempt)
    return fx_.Error(from, wire::ErrorCode::kUnavailable,
                     AttemptName(m.job, m.attempt) + " already has " + std::to_string(kMaxWaitersPerAttempt) +
                         " held rendezvous requests");
  AddWaiter(*space, Waiter{from, m.job, false, m.key, 0}, m.wait_ms);
}

void Rendezvous::OnBarrier(const Caller& from, const wire::RdzvBarrier& m) {
  if (std::string bad = CheckName("barrier name", m.name); !bad.empty())
    return fx_.Error(from, m.name.empty() ? wire::ErrorCode::kBadRequest : wire::ErrorCode::kTooLarge, bad);
  if (m.world_size < 1 || m.world_size > kMaxBarrierWorld || m.rank < 0 || m.rank >= m.world_size)
    return fx_.Error(from, wire::ErrorCode::kBadRequest,
                     "barrier " + Quoted(m.name) + ": rank " + std::to_string(m.rank) + " of world size " +
                         std::to_string(m.world_size) + " is out of range");
  Space* space = SpaceOf(from, m.job, m.attempt);
  if (!space) return;
  auto b = space->barriers.find(m.name);
  if (b != space->barriers.end()) {
    if (b->second.world_size != m.world_size)
      return fx_.Error(from, wire::ErrorCode::kBadRequest,
                       "barrier " + Quoted(m.name) + " has world size " +
                           std::to_string(b->second.world_size) + "; rank " + std::to_string(m.rank) +
                           " said " + std::to_string(m.world_size));
    // The same rank again (a retry after a lost reply, or a second process
    // claiming the rank): the newer request takes the place of the older.
    if (auto r = b->second.arrived.find(m.rank); r != b->second.arrived.end()) {
      uint64_t old_id = r->second;
      auto w = waiters_.find(old_id);
      if (w != waiters_.end())
        fx_.Error(w->second.caller, wire::ErrorCode::kFailedPrecondition,
                  "rank " + std::to_string(m.rank) + " entered barrier " + Quoted(m.name) + " again");
      RemoveWaiter(*space, old_id);
      b = space->barriers.find(m.name);  // removing the last arrival erases the barrier
    }
  }
  size_t arrived = b == space->barriers.end() ? 0 : b->second.arrived.size();
  if (static_cast<int64_t>(arrived) + 1 == m.world_size) {
    // The last rank: release everyone, this one included; the name can be used again.
    if (b != space->barriers.end()) {
      std::map<int32_t, uint64_t> all = b->second.arrived;
      for (const auto& [rank, id] : all) {
        auto w = waiters_.find(id);
        if (w != waiters_.end()) fx_.Reply(w->second.caller, wire::Ok{});
        RemoveWaiter(*space, id);
      }
    }
    return fx_.Reply(from, wire::Ok{});
  }
  if (m.wait_ms <= 0)
    return fx_.Error(from, wire::ErrorCode::kUnavailable,
                     "barrier timed out: " + Quoted(m.name) + " has " + std::to_string(arrived + 1) + " of " +
                         std::to_string(m.world_size) + " ranks");
  if (space->waiters >= kMaxWaitersPerAttempt)
    return fx_.Error(from, wire::ErrorCode::kUnavailable,
                     AttemptName(m.job, m.attempt) + " already has " + std::to_string(kMaxWaitersPerAttempt) +
                         " held rendezvous requests");
  if (b == space->barriers.end()) space->barriers[m.name].world_size = m.world_size;
  AddWaiter(*space, Waiter{from, m.job, true, m.name, m.rank}, m.wait_ms);
}

void Rendezvous::OnWaiterTimeout(uint64_t id) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  Waiter w = it->second;
  auto sp = spaces_.find(w.job);
  if (sp == spaces_.end()) {  // cannot happen: Drop forgets its waiters
    waiters_.erase(it);
    return;
  }
  Space& space = sp->second;
  if (!w.barrier) {
    RemoveWaiter(space, id);
    fx_.Reply(w.caller, wire::RdzvValue{false, ""});
    return;
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
  RemoveWaiter(space, id);
  fx_.Error(w.caller, wire::ErrorCode::kUnavailable,
            "barrier timed out" + (detail.empty() ? "" : ": " + detail));
}

void Rendezvous::Drop(JobId job, const std::string& why) {
  auto sp = spaces_.find(job);
  if (sp == spaces_.end()) return;
  Space& space = sp->second;
  std::vector<uint64_t> held;
  for (const auto& [key, ids] : space.getters) held.insert(held.end(), ids.begin(), ids.end());
  for (const auto& [name, b] : space.barriers)
    for (const auto& [rank, id] : b.arrived) held.push_back(id);
  std::sort(held.begin(), held.end());
  for (uint64_t id : held) {
    auto it = waiters_.find(id);
    if (it == waiters_.end()) continue;
    fx_.Error(it->second.caller, wire::ErrorCode::kNotFound, why);
    timers_.Disarm(Timer::kRdzvWait, id);
    waiters_.erase(it);
  }
  MLOG(Debug) << "job " << job << " attempt " << space.attempt << ": dropped " << space.values.size()
              << " rendezvous keys and " << held.size() << " held requests (" << why << ")";
  spaces_.erase(sp);
}

}  // namespace muster::service
