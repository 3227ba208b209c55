// Jobs as users name them ("42", or "42_7" for an array task) turned into
// the jobs musterd knows, for every command that takes job ids.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <vector>

#include "scheduler/cli/args.h"
#include "scheduler/cli/context.h"

namespace muster::cli {

// The job `ref` names, asked of musterd (by id, or by array and task index).
// On failure the reason is on `err` and `*exit_code` says how to end, as
// CallFor does; a job musterd does not answer with is kExitRefused.
std::optional<Job> FetchJob(Rpc& rpc, const JobRef& ref, std::ostream& err, int* exit_code);
// The job id `ref` names: a plain id as it is (no request), an array task's
// own id from musterd (FetchJob).
std::optional<JobId> ResolveJobRef(Rpc& rpc, const JobRef& ref, std::ostream& err, int* exit_code);

// For each job in turn: resolves it, sends request(id) and prints
// "<done> job <as named>" when musterd answers Ok. A job that is refused
// (or not found) goes on with the next one, exit 1 at the end; no answer at
// all, or an unusable endpoint, stops at once (the rest would fail too).
int ForEachJob(Context& ctx, const std::vector<JobRef>& jobs, const std::function<wire::Body(JobId)>& request,
               const std::string& done);

}  // namespace muster::cli
