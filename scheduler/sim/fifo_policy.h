// `fifo`: a YARN-capacity-style FIFO baseline. Each queue is strict FIFO
// with head-of-line blocking (a job waits until everything submitted before
// it in its queue has started); with several queues, the queue using the
// fewest GPUs per unit of weight goes first. Never preempts, knows nothing
// of durations, time limits or windows. Gangs are placed by the core's
// PlaceGang, so placement is the same as musterd's.
#pragma once

#include <set>
#include <vector>

#include "scheduler/sim/policy.h"
#include "scheduler/sim/sim_options.h"

namespace muster::sim {

class FifoPolicy final : public SimPolicy {
 public:
  FifoPolicy(const Workload& workload, const MusterOptions& queues);
  std::string name() const override { return "fifo"; }
  void OnPending(const SimView& view, int32_t job) override;
  void OnStarted(const SimView& view, int32_t job) override;
  void OnReleased(const SimView& view, int32_t job) override;
  void Decide(const SimView& view, const Changes& changes, Actions* out) override;

 private:
  std::vector<std::set<int32_t>> queued_;  // per queue, by id
  std::vector<int64_t> used_;              // GPUs held per queue
  std::vector<double> weight_;
};

}  // namespace muster::sim
