// Agents: registration (with reconciliation of what each node runs),
// heartbeats and GPU health, and the liveness sweep that declares silent
// nodes DOWN. Rank reports go to the GangCoordinator directly.
#pragma once

#include "common/base/clock.h"
#include "common/proto/messages.h"
#include "scheduler/service/effects.h"
#include "scheduler/service/gang_coordinator.h"
#include "scheduler/service/node_registry.h"

namespace muster::service {

class AgentApi {
 public:
  struct Options {
    Duration heartbeat_timeout = 10 * kSecond;
    int32_t heartbeat_interval_ms = 1000;  // told to agents at registration
  };
  AgentApi(Options options, NodeRegistry& nodes, GangCoordinator& gangs, Effects& fx, const Clock& clock)
      : options_(options), nodes_(nodes), gangs_(gangs), fx_(fx), clock_(clock) {}
  AgentApi(const AgentApi&) = delete;
  AgentApi& operator=(const AgentApi&) = delete;

  void OnRegister(const Caller& from, const wire::Register& m);
  void OnHeartbeat(const Caller& from, const wire::Heartbeat& m);
  // Nodes silent past the heartbeat timeout go DOWN; their gangs are requeued.
  void CheckLiveness();

 private:
  Options options_;
  NodeRegistry& nodes_;
  GangCoordinator& gangs_;
  Effects& fx_;
  const Clock& clock_;
};

}  // namespace muster::service
