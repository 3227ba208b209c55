// `muster logs`: musterd relays a read of a rank's log to the node that
// holds it and the answer back, with a deadline (Timer::kLogRead), so that a
// reader of a job that has not started yet, or whose node refused it, waits
// rather than fails.
#pragma once

#include <map>
#include <string>

#include "common/base/clock.h"
#include "common/proto/messages.h"
#include "scheduler/service/effects.h"
#include "scheduler/service/job_table.h"
#include "scheduler/service/node_registry.h"
#include "scheduler/service/timers.h"

namespace muster::service {

class LogRelay {
 public:
  LogRelay(Duration timeout, JobTable& jobs, NodeRegistry& nodes, Effects& fx, Timers& timers,
           const Clock& clock)
      : timeout_(timeout), jobs_(jobs), nodes_(nodes), fx_(fx), timers_(timers), clock_(clock) {}
  LogRelay(const LogRelay&) = delete;
  LogRelay& operator=(const LogRelay&) = delete;

  void OnReadLog(const Caller& from, const wire::ReadLog& m);
  // A node's answer (LogChunk or Error) to musterd's request `request`;
  // false when no read is waiting for it.
  // `from`: the peer that answered; only the node that was asked counts.
  bool OnAnswer(const std::string& from, uint64_t request, wire::Body body);
  void OnTimeout(uint64_t request);

 private:
  struct Read {
    Caller reader;
    JobId job = kNoJob;
    uint64_t offset = 0;
    std::string node_peer;  // the node asked
  };
  Duration timeout_;
  JobTable& jobs_;
  NodeRegistry& nodes_;
  Effects& fx_;
  Timers& timers_;
  const Clock& clock_;
  std::map<uint64_t, Read> reads_;  // by musterd's request id to the node
};

}  // namespace muster::service
