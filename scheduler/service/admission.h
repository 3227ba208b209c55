// Admission of a new job, as `muster submit` and retraining triggers do it:
// the queue's defaults, validation, dependencies, then a pending job with an
// id, written at this turn's commit (so "accepted" means durable).
#pragma once

#include "muster/status.h"
#include "muster/types.h"
#include "scheduler/service/arrays.h"
#include "scheduler/service/job_table.h"
#include "scheduler/service/queues.h"

namespace muster::service {

// `token`: the client's request token (may be empty); a token the user
// already used answers the job it made, without a second one
// (docs/protocol.md "Idempotent submit").
Result<JobId> AdmitJob(JobSpec spec, const std::string& token, Time now, JobTable& jobs, const Queues& queues,
                       Arrays& arrays);

}  // namespace muster::service
