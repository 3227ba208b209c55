// Operator requests: queues (create, update, delete, list with usage) and
// nodes (drain, resume, list). Roles and their checks come with
// docs/security.md; this is where each request's effect lives.
#pragma once

#include "common/base/clock.h"
#include "common/proto/messages.h"
#include "scheduler/service/effects.h"
#include "scheduler/service/job_table.h"
#include "scheduler/service/models.h"
#include "scheduler/service/node_registry.h"
#include "scheduler/service/queues.h"

namespace muster::service {

class OpsApi {
 public:
  OpsApi(Queues& queues, NodeRegistry& nodes, JobTable& jobs, const Models& models, Effects& fx,
         const Clock& clock)
      : queues_(queues), nodes_(nodes), jobs_(jobs), models_(models), fx_(fx), clock_(clock) {}
  OpsApi(const OpsApi&) = delete;
  OpsApi& operator=(const OpsApi&) = delete;

  void OnPutQueue(const Caller& from, const wire::PutQueue& m);
  void OnDeleteQueue(const Caller& from, const wire::DeleteQueue& m);
  void OnListQueues(const Caller& from);
  void OnNodeAction(const Caller& from, const wire::NodeAction& m);
  void OnListNodes(const Caller& from, const wire::ListNodes& m);

 private:
  Queues& queues_;
  NodeRegistry& nodes_;
  JobTable& jobs_;
  const Models& models_;
  Effects& fx_;
  const Clock& clock_;
};

}  // namespace muster::service
