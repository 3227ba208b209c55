#include "tests/service/harness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "common/base/check.h"

namespace muster::testing {
namespace {

// The Server owns its store and router; the harness keeps the real ones
// across restarts and hands each musterd a forwarding handle.
class StoreHandle final : public store::StateStore {
 public:
  explicit StoreHandle(store::StateStore& s) : s_(s) {}
  Result<store::RecoveredState> Load(size_t limit) override { return s_.Load(limit); }
  Status Commit(const store::WriteSet& ws) override { return s_.Commit(ws); }
  Result<std::optional<Job>> GetJob(JobId id) override { return s_.GetJob(id); }
  Result<std::vector<Job>> ListFinished(const store::HistoryQuery& q) override { return s_.ListFinished(q); }
  Result<std::vector<JobEvent>> Events(JobId id) override { return s_.Events(id); }
  Result<std::vector<TriggerRecord>> Triggers(const std::string& model, size_t limit) override {
    return s_.Triggers(model, limit);
  }

 private:
  store::StateStore& s_;
};

class RouterHandle final : public transport::Router {
 public:
  explicit RouterHandle(transport::Router& r) : r_(r) {}
  const std::string& endpoint() const override { return r_.endpoint(); }
  Status Wait(int64_t timeout_ms) override { return r_.Wait(timeout_ms); }
  std::optional<transport::Incoming> TryRecv() override { return r_.TryRecv(); }
  bool Send(const std::string& peer, const wire::Envelope& env) override { return r_.Send(peer, env); }

 private:
  transport::Router& r_;
};

}  // namespace

Status FaultyStore::Commit(const store::WriteSet& ws) {
  if (fail_at_ > 0 && commits_ + 1 == fail_at_) {
    fail_at_ = 0;
    return Status::IoError("injected: no space left on device");
  }
  MUSTER_RETURN_IF_ERROR(base_.Commit(ws));
  ++commits_;
  return Status::Ok();
}

// ------------------------------------------------------------------ agents

FakeAgent::FakeAgent(Harness& h, std::string name, int gpus, std::map<std::string, std::string> labels)
    : h_(h), name_(std::move(name)), gpus_(gpus), labels_(std::move(labels)) {
  peer_ = &h_.router_->Connect("agent:" + name_, h_.AddNode(name_));
}

void FakeAgent::Register(std::vector<wire::RankRef> running, std::vector<wire::RankExit> exited,
                         std::vector<wire::GangRef> reserved) {
  wire::Register m;
  m.node.name = name_;
  m.node.address = "10.0.0." + std::to_string(std::hash<std::string>{}(name_) % 200 + 1);
  m.node.labels = labels_;
  for (int g = 0; g < gpus_; ++g) {
    GpuInfo info;
    info.index = g;
    info.model = "FakeGPU";
    m.node.gpus.push_back(info);
  }
  m.running = std::move(running);
  m.exited = std::move(exited);
  m.reserved = std::move(reserved);
  peer_->Send(std::move(m));
}

void FakeAgent::Heartbeat(std::vector<wire::GpuStat> gpus) {
  peer_->Send(wire::Heartbeat{name_, std::move(gpus)});
}

std::vector<wire::RankRef> FakeAgent::Running(JobId job) const {
  std::vector<wire::RankRef> out;
  for (const auto& [j, attempt, rank] : running_)
    if (job == kNoJob || j == job) out.push_back({j, attempt, rank});
  return out;
}

void FakeAgent::ExitRank(const wire::RankRef& ref, int32_t code, int32_t signal) {
  running_.erase({ref.job, ref.attempt, ref.rank});
  wire::RankExit x;
  x.ref = ref;
  x.exit_code = code;
  x.signal = signal;
  peer_->Send(wire::RankExited{x});
}

void FakeAgent::Exit(JobId job, int32_t code, int32_t signal) {
  for (const auto& ref : Running(job)) ExitRank(ref, code, signal);
}

void FakeAgent::Started(const wire::RankRef& ref) {
  running_.insert({ref.job, ref.attempt, ref.rank});
  peer_->Send(wire::RankStarted{ref, 4242});
}

void FakeAgent::Reserved(JobId job, int32_t attempt, bool ok, const std::string& reason) {
  peer_->Send(wire::Reserved{job, attempt, ok, reason});
}

void FakeAgent::Forget() {
  reservations_.clear();
  launched_.clear();
  running_.clear();
}

const wire::LaunchRanks* FakeAgent::Reservation(JobId job, int32_t attempt) const {
  auto it = reservations_.find({job, attempt});
  return it == reservations_.end() ? nullptr : &it->second;
}

bool FakeAgent::Process() {
  bool any = false;
  while (auto env = peer_->Recv()) {
    any = true;
    received_.push_back(*env);
    if (auto* m = std::get_if<wire::ReserveRanks>(&env->body)) {
      const wire::LaunchRanks& l = m->launch;
      reservations_[{l.job, l.attempt}] = l;
      if (!behaviour_.refuse_reserve.empty()) {
        reservations_.erase({l.job, l.attempt});
        peer_->Send(wire::Reserved{l.job, l.attempt, false, behaviour_.refuse_reserve}, env->request_id);
      } else if (behaviour_.answer_reserve) {
        peer_->Send(wire::Reserved{l.job, l.attempt, true, ""}, env->request_id);
      }
    } else if (auto* m = std::get_if<wire::CommitRanks>(&env->body)) {
      auto it = reservations_.find({m->gang.job, m->gang.attempt});
      if (it == reservations_.end()) {
        if (!launched_.count({m->gang.job, m->gang.attempt}))
          peer_->Send(wire::Reserved{m->gang.job, m->gang.attempt, false, "the reservation expired"});
        continue;
      }
      launched_[it->first] = it->second;
      if (behaviour_.start_on_commit)
        for (const auto& r : it->second.ranks) Started({m->gang.job, m->gang.attempt, r.rank});
      reservations_.erase(it);
    } else if (auto* m = std::get_if<wire::AbortRanks>(&env->body)) {
      reservations_.erase({m->gang.job, m->gang.attempt});
    } else if (auto* m = std::get_if<wire::KillJob>(&env->body)) {
      for (auto it = reservations_.begin(); it != reservations_.end();)
        it = it->first.first == m->job && (m->attempt == 0 || it->first.second == m->attempt)
                 ? reservations_.erase(it)
                 : std::next(it);
      if (!behaviour_.exit_on_kill) continue;
      for (const auto& ref : Running(m->job))
        if (m->attempt == 0 || ref.attempt == m->attempt) ExitRank(ref, 0, 15);
    } else if (auto* m = std::get_if<wire::RegisterReply>(&env->body)) {
      for (const auto& ref : m->kill) running_.erase({ref.job, ref.attempt, ref.rank});
    } else if (auto* m = std::get_if<wire::ReadLog>(&env->body)) {
      std::string text = "log of job " + std::to_string(m->job) + " rank " + std::to_string(m->rank) + "\n";
      std::string data = m->offset < text.size() ? text.substr(m->offset) : "";
      peer_->Send(wire::LogChunk{data, m->offset + data.size(), true, Running(m->job).empty()},
                  env->request_id);
    }
  }
  return any;
}

// ----------------------------------------------------------------- harness

Harness::Harness(Options options)
    : options_(std::move(options)),
      clock_(options_.start),
      memory_(store::NewMemoryStore()),
      faulty_(*memory_),
      router_(std::make_unique<transport::InProcRouter>()) {
  if (options_.server.state_dir.empty()) options_.server.state_dir = "/nonexistent/state";
  if (!options_.insecure) {
    access_ = std::make_shared<service::AccessTable>(transport::curve::GenerateKeyPair(),
                                                     std::vector<service::AccessEntry>{});
    AddUser("ops", {}, {}, /*is_operator=*/true);
  }
  cli_ = &router_->Connect("cli", options_.insecure ? "" : kOperator);
  Restart();
}

Harness::~Harness() = default;

void Harness::Restart() {
  server_.reset();
  auto s = service::Server::Create(options_.server, std::make_unique<StoreHandle>(faulty_),
                                   std::make_unique<RouterHandle>(*router_), clock_, access_);
  if (!s.ok()) throw std::runtime_error("musterd did not start: " + s.status().ToString());
  server_ = std::move(*s);
}

Status Harness::Turn() { return server_->Turn(); }

std::string Harness::AddUser(const std::string& name, std::vector<std::string> teams,
                             std::set<std::string> admin_of, bool is_operator) {
  if (!access_) return "";
  service::AccessEntry e;
  e.role = service::Role::kUser;
  e.name = name;
  e.key = transport::curve::GenerateKeyPair().public_key;
  e.teams = std::move(teams);
  e.admin_of = std::move(admin_of);
  e.is_operator = is_operator;
  access_->Put(std::move(e));
  return "user:" + name;
}

std::string Harness::AddNode(const std::string& name) {
  if (!access_) return "";
  service::AccessEntry e;
  e.role = service::Role::kAgent;
  e.name = name;
  e.key = transport::curve::GenerateKeyPair().public_key;
  access_->Put(std::move(e));
  return "node:" + name;
}

void Harness::Settle(int max_turns) {
  for (int i = 0; i < max_turns; ++i) {
    Status st = Turn();
    if (!st.ok()) throw std::runtime_error("musterd's turn failed: " + st.ToString());
    bool moved = false;
    for (auto& [name, a] : agents_) moved = a->Process() || moved;
    if (!moved && router_->inbound() == 0 && server_->NextWaitMs() > 0) return;
  }
}

void Harness::Advance(Duration d, Duration step) {
  if (step <= 0) step = std::max<Duration>(options_.server.heartbeat_timeout / 5, kMillisecond);
  while (d > 0) {
    Duration now = std::min(d, step);
    clock_.Advance(now);
    d -= now;
    for (auto& [name, a] : agents_)
      if (a->behaviour().heartbeat) a->Heartbeat();
    Settle();
  }
}

FakeAgent& Harness::AddAgent(const std::string& name, int gpus, std::map<std::string, std::string> labels,
                             bool register_now) {
  auto [it, added] =
      agents_.emplace(name, std::unique_ptr<FakeAgent>(new FakeAgent(*this, name, gpus, labels)));
  MUSTER_CHECK(added) << "agent " << name << " exists";
  if (register_now) {
    it->second->Register();
    Settle();
  }
  return *it->second;
}

wire::Body Harness::Call(wire::Body request) {
  uint64_t id = cli_->Send(std::move(request));
  for (int i = 0; i < 20; ++i) {
    Settle();
    while (auto env = cli_->Recv())
      if (env->request_id == id) return env->body;
  }
  throw std::runtime_error("musterd did not answer request " + std::to_string(id));
}

Result<JobId> Harness::TrySubmit(JobSpec spec) {
  wire::Body reply = Call(wire::SubmitJob{std::move(spec)});
  if (auto* r = std::get_if<wire::SubmitReply>(&reply)) return r->id;
  if (auto* e = std::get_if<wire::Error>(&reply)) return Status::InvalidArgument(e->message);
  return Status::Internal("unexpected reply to SubmitJob");
}

JobId Harness::Submit(JobSpec spec) {
  auto id = TrySubmit(std::move(spec));
  if (!id.ok()) throw std::runtime_error("submit refused: " + id.status().message());
  return *id;
}

Job Harness::Show(JobId id) {
  wire::ListJobs q;
  q.ids = {id};
  wire::Body reply = Call(q);
  auto* list = std::get_if<wire::JobList>(&reply);
  if (!list || list->jobs.size() != 1) throw std::runtime_error("no job " + std::to_string(id));
  return list->jobs[0];
}

std::vector<Job> Harness::Jobs() {
  wire::Body reply = Call(wire::ListJobs{});
  auto* list = std::get_if<wire::JobList>(&reply);
  if (!list) throw std::runtime_error("ListJobs failed");
  return list->jobs;
}

std::vector<JobEvent> Harness::History(JobId id) {
  wire::Body reply = Call(wire::ListEvents{id});
  auto* list = std::get_if<wire::EventList>(&reply);
  if (!list) throw std::runtime_error("ListEvents failed");
  return list->events;
}

JobSpec Spec(int32_t gpus) {
  JobSpec s;
  s.name = "job";
  s.user = "alice";
  s.team = "vision";
  s.argv = {"true"};
  s.total_gpus = gpus;
  return s;
}

JobSpec GangSpec(int32_t nodes, int32_t gpus_per_node) {
  JobSpec s = Spec(0);
  s.total_gpus = 0;
  s.nodes = nodes;
  s.gpus_per_node = gpus_per_node;
  return s;
}

}  // namespace muster::testing
