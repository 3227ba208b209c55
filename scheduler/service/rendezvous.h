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
// are answered when they can be, at their deadline (a kRdzvWait timer), or
// when the attempt ends (Drop). Every message costs O(log n) in the number
// of held requests and keys.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

#include "common/base/clock.h"
#include "common/proto/messages.h"
#include "scheduler/service/effects.h"
#include "scheduler/service/job_table.h"
#include "scheduler/service/timers.h"

namespace muster::service {

class Rendezvous {
 public:
  Rendezvous(JobTable& jobs, Effects& fx, Timers& timers, const Clock& clock)
      : jobs_(jobs), fx_(fx), timers_(timers), clock_(clock) {}
  Rendezvous(const Rendezvous&) = delete;
  Rendezvous& operator=(const Rendezvous&) = delete;

  void OnPut(const Caller& from, wire::RdzvPut& m);
  void OnGet(const Caller& from, const wire::RdzvGet& m);
  void OnBarrier(const Caller& from, const wire::RdzvBarrier& m);
  // A held request's deadline (Timer::kRdzvWait).
  void OnWaiterTimeout(uint64_t waiter);
  // The attempt ended: its keys go, its held requests get Error{kNotFound, why}.
  void Drop(JobId job, const std::string& why);
  size_t spaces() const { return spaces_.size(); }

 private:
  struct Waiter {  // a held RdzvGet or RdzvBarrier
    Caller caller;
    JobId job = kNoJob;
    bool barrier = false;
    std::string key;   // the awaited key, or the barrier's name
    int32_t rank = 0;  // barrier only
  };
  struct Barrier {
    int32_t world_size = 0;
    std::map<int32_t, uint64_t> arrived;  // rank -> waiter id
  };
  struct Space {  // one job attempt
    int32_t attempt = 0;
    std::unordered_map<std::string, std::string> values;
    size_t value_bytes = 0;
    std::unordered_map<std::string, std::set<uint64_t>> getters;  // key -> waiter ids
    std::unordered_map<std::string, Barrier> barriers;
    size_t waiters = 0;
  };

  // The space of a running attempt, or null after replying why there is none.
  Space* SpaceOf(const Caller& from, JobId job, int32_t attempt);
  void AddWaiter(Space& space, Waiter w, int32_t wait_ms);
  // Forgets a held request (it was answered or is about to be); does not reply.
  void RemoveWaiter(Space& space, uint64_t id);

  JobTable& jobs_;
  Effects& fx_;
  Timers& timers_;
  const Clock& clock_;
  std::unordered_map<JobId, Space> spaces_;  // placed jobs that used it
  std::unordered_map<uint64_t, Waiter> waiters_;
  uint64_t next_waiter_ = 1;
};

}  // namespace muster::service
