// Requests from users through the CLI (and the HTTP gateway): submit, list,
// cancel, hold/release/requeue/priority, history. Each handler checks the
// request, changes the parts that own the state, and answers through the
// turn's Effects (sent after the commit).
#pragma once

#include "common/base/clock.h"
#include "common/proto/messages.h"
#include "scheduler/service/arrays.h"
#include "scheduler/service/effects.h"
#include "scheduler/service/gang_coordinator.h"
#include "scheduler/service/job_table.h"
#include "scheduler/service/queues.h"
#include "scheduler/store/state_store.h"

namespace muster::service {

class ClientApi {
 public:
  ClientApi(store::StateStore& store, JobTable& jobs, const Queues& queues, Arrays& arrays,
            GangCoordinator& gangs, Effects& fx, const Clock& clock)
      : store_(store), jobs_(jobs), queues_(queues), arrays_(arrays), gangs_(gangs), fx_(fx), clock_(clock) {}
  ClientApi(const ClientApi&) = delete;
  ClientApi& operator=(const ClientApi&) = delete;

  void OnSubmit(const Caller& from, wire::SubmitJob& m);
  void OnListJobs(const Caller& from, const wire::ListJobs& m);
  void OnCancel(const Caller& from, const wire::CancelJob& m);
  void OnJobAction(const Caller& from, const wire::JobAction& m);
  void OnListEvents(const Caller& from, const wire::ListEvents& m);

 private:
  // The active job, or null after answering why not.
  JobEntry* ActiveOrReply(const Caller& from, JobId id);

  store::StateStore& store_;
  JobTable& jobs_;
  const Queues& queues_;
  Arrays& arrays_;
  GangCoordinator& gangs_;
  Effects& fx_;
  const Clock& clock_;
};

}  // namespace muster::service
