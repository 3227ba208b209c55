// What one turn of musterd's loop will do once its writes are durable
// (docs/architecture.md "The loop"): the store writes, and the messages to
// send after the commit. musterd's parts never send or write themselves;
// they add to the turn's Effects, and the Server commits the writes with one
// synced write, then sends, or on a failed commit sends nothing at all.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "common/proto/messages.h"
#include "muster/types.h"
#include "scheduler/store/state_store.h"

namespace muster::service {

// Who sent a request, to answer it.
struct Caller {
  std::string peer;  // the transport's identity of the sender
  uint64_t request = 0;
};

struct Outgoing {
  std::string peer;
  wire::Envelope env;
};

class Effects {
 public:
  // The store writes of this turn (jobs marked with PersistJob are added at
  // the commit, once each however often they changed).
  store::WriteSet& writes() { return writes_; }
  void PersistJob(JobId id) { dirty_jobs_.insert(id); }
  void PersistModel(const std::string& name) { dirty_models_.insert(name); }
  void ForgetModel(const std::string& name) { dirty_models_.erase(name); }

  void Reply(const Caller& to, wire::Body body) { Send(to.peer, to.request, std::move(body)); }
  void Error(const Caller& to, wire::ErrorCode code, std::string message) {
    Reply(to, wire::Error{code, std::move(message)});
  }
  void Send(const std::string& peer, uint64_t request, wire::Body body);
  // A request musterd itself makes of an agent: a fresh request id, returned
  // so that the answer can be matched.
  uint64_t Request(const std::string& peer, wire::Body body);

  // Something changed that a scheduling cycle should look at.
  void ScheduleSoon() { schedule_needed_ = true; }
  bool schedule_needed() const { return schedule_needed_; }
  void ClearSchedule() { schedule_needed_ = false; }

  // For the Server's commit-and-flush.
  std::set<JobId>& dirty_jobs() { return dirty_jobs_; }
  std::set<std::string>& dirty_models() { return dirty_models_; }
  std::vector<Outgoing>& outbox() { return outbox_; }

 private:
  store::WriteSet writes_;
  std::set<JobId> dirty_jobs_;
  std::set<std::string> dirty_models_;
  std::vector<Outgoing> outbox_;
  bool schedule_needed_ = true;
  uint64_t next_request_ = 1;
};

inline void Effects::Send(const std::string& peer, uint64_t request, wire::Body body) {
  wire::Envelope env;
  env.request_id = request;
  env.body = std::move(body);
  outbox_.push_back({peer, std::move(env)});
}

inline uint64_t Effects::Request(const std::string& peer, wire::Body body) {
  uint64_t id = next_request_++;
  Send(peer, id, std::move(body));
  return id;
}

}  // namespace muster::service
