#include "scheduler/service/admission.h"

#include "common/base/job_spec.h"
#include "common/proto/messages.h"

namespace muster::service {

Result<JobId> AdmitJob(JobSpec spec, const std::string& token, Time now, JobTable& jobs, const Queues& queues,
                       Arrays& arrays) {
  if (token.size() > wire::kMaxSubmitTokenBytes)
    return Status::InvalidArgument("request token of " + std::to_string(token.size()) + " bytes (at most " +
                                   std::to_string(wire::kMaxSubmitTokenBytes) + ")");
  for (char c : token)
    if (c < 0x21 || c > 0x7E)
      return Status::InvalidArgument("request token with a byte that is not printable");
  if (!token.empty()) {
    if (const Job* made = jobs.ByToken(spec.user, token)) {
      // The same request sent again (a retry): the job it made. Another
      // request under a used token is a client's mistake, said as such.
      if (made->spec.name != spec.name || made->spec.argv != spec.argv)
        return Status::InvalidArgument("request token '" + token + "' already made job " +
                                       std::to_string(made->id) + " for a different request");
      return made->id;
    }
  }
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
  JobEntry& e = jobs.Create(std::move(spec), now, "submitted", token);
  arrays.Added(e.job);
  return e.job.id;
}

}  // namespace muster::service
