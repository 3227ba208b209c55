#include "scheduler/service/queues.h"

#include <sstream>

#include "common/base/job_spec.h"
#include "common/base/log.h"
#include "common/proto/messages.h"

namespace muster::service {
namespace {

constexpr Duration kUsageSaveEvery = kMinute;

Status Validate(const QueueSpec& q) {
  if (!IsValidName(q.name))
    return Status::InvalidArgument("bad queue name '" + q.name + "': 1-64 of letters, digits, . _ -");
  if (!(q.weight > 0) || q.weight > 1e6) return Status::InvalidArgument("weight must be > 0");
  if (q.guaranteed_gpus < 0) return Status::InvalidArgument("guaranteed GPUs cannot be negative");
  if (q.max_gpus < -1) return Status::InvalidArgument("max GPUs must be -1 (no cap) or more");
  if (q.max_gpus >= 0 && q.max_gpus < q.guaranteed_gpus)
    return Status::InvalidArgument("max GPUs (" + std::to_string(q.max_gpus) + ") is below guaranteed (" +
                                   std::to_string(q.guaranteed_gpus) + ")");
  if (q.default_time_limit < 0) return Status::InvalidArgument("default time limit cannot be negative");
  return Status::Ok();
}

}  // namespace

void Queues::Recover(std::vector<QueueSpec> queues, const std::map<std::string, std::string>& meta) {
  for (auto& q : queues) specs_.emplace(q.name, std::move(q));
  if (!specs_.count("default")) {
    QueueSpec def;
    def.name = "default";
    specs_.emplace(def.name, def);
    fx_.writes().Put(def);
  }
  if (auto it = meta.find("usage"); it != meta.end()) LoadUsage(it->second);
}

const QueueSpec* Queues::Find(const std::string& name) const {
  auto it = specs_.find(name);
  return it == specs_.end() ? nullptr : &it->second;
}

Status Queues::Unknown(const std::string& name) const {
  std::string names;
  for (const auto& [n, q] : specs_) names += (names.empty() ? "" : ", ") + n;
  return Status::InvalidArgument("unknown queue '" + name + "' (queues: " + names + ")");
}

Status Queues::Put(const QueueSpec& spec, bool create, uint32_t fields) {
  auto it = specs_.find(spec.name);
  QueueSpec q;
  if (create) {
    if (it != specs_.end()) return Status::FailedPrecondition("queue " + spec.name + " already exists");
    q = spec;
  } else {
    if (it == specs_.end()) return Status::NotFound("no queue " + spec.name);
    q = it->second;
    if (fields & wire::kQueueWeight) q.weight = spec.weight;
    if (fields & wire::kQueueGuaranteed) q.guaranteed_gpus = spec.guaranteed_gpus;
    if (fields & wire::kQueueMax) q.max_gpus = spec.max_gpus;
    if (fields & wire::kQueueTier) q.tier = spec.tier;
    if (fields & wire::kQueueDefaultTimeLimit) q.default_time_limit = spec.default_time_limit;
    if (fields & wire::kQueueDefaultWindow) q.default_window = spec.default_window;
    if (fields & wire::kQueuePaused) q.paused = spec.paused;
  }
  MUSTER_RETURN_IF_ERROR(Validate(q));
  specs_[q.name] = q;
  fx_.writes().Put(q);
  fx_.ScheduleSoon();
  MLOG(Info) << (create ? "created" : "updated") << " queue " << q.name;
  return Status::Ok();
}

Status Queues::Delete(const std::string& name) {
  if (!specs_.count(name)) return Status::NotFound("no queue " + name);
  if (name == "default") return Status::FailedPrecondition("the default queue cannot be deleted");
  specs_.erase(name);
  fx_.writes().DeleteQueueNamed(name);
  return Status::Ok();
}

void Queues::AdvanceUsage(Time now, JobTable& jobs) {
  std::vector<core::UsageLedger::Charge> running;
  for (JobId id : jobs.placed()) {
    const JobEntry* e = jobs.Active(id);
    if (!e || e->job.placement.empty()) continue;
    int32_t gpus = 0;
    for (const auto& a : e->job.placement) gpus += static_cast<int32_t>(a.gpus.size());
    running.push_back({e->job.spec.queue, e->job.spec.team, gpus});
  }
  usage_.Advance(now, running);
  if (usage_saved_at_ == kNoTime || now - usage_saved_at_ >= kUsageSaveEvery) {
    fx_.writes().SetMeta("usage", SaveUsage());
    usage_saved_at_ = now;
  }
}

// "last <us>\nq <queue> <gpu-hours>\nt <queue> <team> <gpu-hours>\n":
// names cannot hold spaces (IsValidName), so spaces separate fields.
std::string Queues::SaveUsage() const {
  std::ostringstream os;
  os.precision(17);
  os << "last " << usage_.last() << "\n";
  for (const auto& [q, v] : usage_.queues()) os << "q " << q << " " << v << "\n";
  for (const auto& [k, v] : usage_.teams()) os << "t " << k.first << " " << k.second << " " << v << "\n";
  return os.str();
}

void Queues::LoadUsage(const std::string& text) {
  std::istringstream in(text);
  std::string kind;
  Time last = kNoTime;
  std::map<std::string, double> queues;
  std::map<std::pair<std::string, std::string>, double> teams;
  while (in >> kind) {
    if (kind == "last") {
      in >> last;
    } else if (kind == "q") {
      std::string q;
      double v;
      if (in >> q >> v) queues[q] = v;
    } else if (kind == "t") {
      std::string q, t;
      double v;
      if (in >> q >> t >> v) teams[{q, t}] = v;
    } else {
      MLOG(Warning) << "ignoring unreadable fair-share usage record";
      return;
    }
  }
  usage_.Restore(last, std::move(queues), std::move(teams));
}

}  // namespace muster::service
