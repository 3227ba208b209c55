#include "scheduler/cli/job_refs.h"

#include "scheduler/cli/rpc.h"

namespace muster::cli {
namespace {

bool Names(const JobRef& ref, const Job& job) {
  return ref.task >= 0 ? job.array_job == ref.id && job.array_task == ref.task : job.id == ref.id;
}

}  // namespace

std::optional<Job> FetchJob(Rpc& rpc, const JobRef& ref, std::ostream& err, int* exit_code) {
  wire::ListJobs request;
  if (ref.task >= 0) {
    request.array_job = ref.id;
    request.array_task = ref.task;
  } else {
    request.ids = {ref.id};
  }
  auto reply = CallFor<wire::JobList>(rpc, request, err, exit_code);
  if (!reply) return std::nullopt;
  for (Job& job : reply->jobs)
    if (Names(ref, job)) return std::move(job);
  // A musterd older than array task lookups ignores the filter and answers
  // with every job: checking the answer keeps that from picking a wrong one.
  err << "muster: job " << JobRefText(ref) << " not found"
      << (ref.task >= 0 && reply->jobs.size() > 1 ? " (musterd does not look up array tasks; is it older?)"
                                                  : "")
      << "\n";
  *exit_code = kExitRefused;
  return std::nullopt;
}

std::optional<JobId> ResolveJobRef(Rpc& rpc, const JobRef& ref, std::ostream& err, int* exit_code) {
  if (ref.task < 0) return ref.id;
  auto job = FetchJob(rpc, ref, err, exit_code);
  if (!job) return std::nullopt;
  return job->id;
}

int ForEachJob(Context& ctx, const std::vector<JobRef>& jobs, const std::function<wire::Body(JobId)>& request,
               const std::string& done) {
  auto rpc = ctx.connect(ctx.global);
  int worst = kExitOk;
  for (const JobRef& ref : jobs) {
    int exit_code = kExitOk;
    auto id = ResolveJobRef(*rpc, ref, ctx.err, &exit_code);
    if (id && CallFor<wire::Ok>(*rpc, request(*id), ctx.err, &exit_code)) {
      ctx.out << done << " job " << JobRefText(ref) << "\n";
      continue;
    }
    if (exit_code == kExitUnavailable || exit_code == kExitUsage) return exit_code;
    worst = exit_code;
  }
  return worst;
}

}  // namespace muster::cli
