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

Result<JobId> AdmitJob(JobSpec spec, Time now, JobTable& jobs, const Queues& queues, Arrays& arrays);

}  // namespace muster::service
