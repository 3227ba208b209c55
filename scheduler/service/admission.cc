#include "scheduler/service/admission.h"

#include "common/base/job_spec.h"

namespace muster::service {

Result<JobId> AdmitJob(JobSpec spec, Time now, JobTable& jobs, const Queues& queues, Arrays& arrays) {
  if (spec.queue.empty()) spec.queue = "default";
  if (spec.team.empty()) spec.team = spec.user;
  MUSTER_RETURN_IF_ERROR(ValidateJobSpec(spec));
  const QueueSpec* queue = queues.Find(spec.queue);
  if (!queue) return queues.Unknown(spec.queue);
  // Slurm's DefaultTime: the queue's limit applies to jobs that give none;
  // likewise its window to jobs that name none.
  if (spec.time_limit == 0) spec.time_limit = queue->default_time_limit;
  if (!spec.window_set) spec.window = queue->default_window;
  if (spec.topology == TopologyConstraint::kSameNode && spec.nodes > 1)
    return Status::InvalidArgument("--topology same-node cannot span " + std::to_string(spec.nodes) +
                                   " nodes");
  for (JobId dep : spec.after)
    if (dep >= jobs.next_id() || !jobs.Find(dep))
      return Status::InvalidArgument("dependency on job " + std::to_string(dep) + ", which does not exist");
  JobEntry& e = jobs.Create(std::move(spec), now, "submitted");
  arrays.Added(e.job);
  return e.job.id;
}

}  // namespace muster::service
