#include "scheduler/service/ops_api.h"

#include <map>

#include "common/proto/wire_errors.h"

namespace muster::service {

void OpsApi::OnPutQueue(const Caller& from, const wire::PutQueue& m) {
  Status st = queues_.Put(m.spec, m.create, m.fields);
  if (!st.ok()) {
    // A spec that does not validate is an invalid spec, not a bad message.
    auto code = st.code() == StatusCode::kInvalidArgument ? wire::ErrorCode::kInvalidSpec
                                                          : wire::ErrorCodeOf(st.code());
    return fx_.Error(from, code, st.message());
  }
  fx_.Reply(from, wire::Ok{});
}

void OpsApi::OnDeleteQueue(const Caller& from, const wire::DeleteQueue& m) {
  if (!queues_.Find(m.name)) return fx_.Error(from, wire::ErrorCode::kNotFound, "no queue " + m.name);
  if (m.name != "default") {
    size_t jobs = 0;
    for (const auto& [id, e] : jobs_.active())
      if (e.job.spec.queue == m.name) ++jobs;
    if (jobs)
      return fx_.Error(from, wire::ErrorCode::kFailedPrecondition,
                       "queue " + m.name + " still has " + std::to_string(jobs) + " active job(s)");
    if (std::string model = models_.UsingQueue(m.name); !model.empty())
      return fx_.Error(
          from, wire::ErrorCode::kFailedPrecondition,
          "queue " + m.name + " is the queue of model '" + model + "' (update or delete the model first)");
  }
  if (Status st = queues_.Delete(m.name); !st.ok()) return fx_.Reply(from, wire::ErrorOf(st));
  fx_.Reply(from, wire::Ok{});
}

void OpsApi::OnListQueues(const Caller& from) {
  queues_.AdvanceUsage(clock_.Now(), jobs_);
  const core::UsageLedger& usage = queues_.usage();
  wire::QueueList out;
  out.half_life_hours = static_cast<double>(usage.half_life()) / kHour;
  std::map<std::string, wire::QueueInfo> info;
  std::map<std::pair<std::string, std::string>, wire::TeamInfo> teams;
  for (const auto& [name, spec] : queues_.specs()) info[name] = {spec, 0, 0, 0, usage.Queue(name)};
  for (const auto& [key, v] : usage.teams()) teams[key] = {key.first, key.second, 0, v};
  for (const auto& [id, e] : jobs_.active()) {
    auto it = info.find(e.job.spec.queue);
    if (it == info.end()) continue;
    auto& team = teams[{e.job.spec.queue, e.job.spec.team}];
    team.queue = e.job.spec.queue;
    team.team = e.job.spec.team;
    if (e.job.state == JobState::kPending) {
      ++it->second.pending;
      continue;
    }
    ++it->second.running;
    for (const auto& a : e.job.placement) {
      it->second.gpus_used += static_cast<int32_t>(a.gpus.size());
      team.gpus_used += static_cast<int32_t>(a.gpus.size());
    }
  }
  for (auto& [n, i] : info) out.queues.push_back(std::move(i));
  for (auto& [k, t] : teams) out.teams.push_back(std::move(t));
  fx_.Reply(from, std::move(out));
}

void OpsApi::OnNodeAction(const Caller& from, const wire::NodeAction& m) {
  Status st = nodes_.SetDrain(m.node, m.op == wire::NodeOp::kDrain);
  if (!st.ok()) return fx_.Reply(from, wire::ErrorOf(st));
  fx_.Reply(from, wire::Ok{});
}

void OpsApi::OnListNodes(const Caller& from, const wire::ListNodes& m) { fx_.Reply(from, nodes_.List(m)); }

}  // namespace muster::service
