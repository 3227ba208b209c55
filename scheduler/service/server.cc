#include "scheduler/service/server.h"

#include <unistd.h>

#include <algorithm>

#include "common/base/check.h"
#include "common/base/log.h"
#include "common/proto/wire_errors.h"

namespace muster::service {
namespace {

constexpr int64_t kMaxWaitMs = 100;            // the stop flag is seen at least this often
constexpr int64_t kLivenessEveryUs = 200'000;  // heartbeat sweep
constexpr int64_t kUsageEveryUs = 1'000'000;   // fair-share accrual, deferred retrains

// A wildcard bind ("tcp://0.0.0.0:7600", "tcp://[::]:7600") is no address a
// rank on another host can dial: name this host instead.
std::string AdvertisedEndpoint(const std::string& bound) {
  for (const char* any : {"tcp://0.0.0.0:", "tcp://[::]:"}) {
    const std::string prefix(any);
    if (bound.compare(0, prefix.size(), prefix) != 0) continue;
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return bound;
    return "tcp://" + std::string(host) + ":" + bound.substr(prefix.size());
  }
  return bound;
}

std::string CheckpointRoot(const ServerOptions& o) {
  return o.checkpoint_root.empty() ? o.state_dir + "/checkpoints" : o.checkpoint_root;
}

}  // namespace

std::string StatsJson(const ServerStats& s) {
  std::string out = "{";
  auto field = [&](const char* name, uint64_t v) {
    if (out.size() > 1) out += ", ";
    out += std::string("\"") + name + "\": " + std::to_string(v);
  };
  field("turns", s.turns);
  field("commits", s.commits);
  field("messages", s.messages);
  field("max_commit_ops", s.max_commit_batch);
  field("commit_ops", s.commit_ops);
  field("committed_turn_messages", s.committed_turn_messages);
  field("max_committed_turn_messages", s.max_committed_turn_messages);
  field("heartbeats", s.heartbeats);
  field("refused", s.refused);
  field("schedule_cycles", s.schedule_cycles);
  field("cycle_us_total", s.cycle_us_total);
  field("cycle_us_max", s.cycle_us_max);
  field("full_cycles", s.full_cycles);
  field("full_cycle_us_total", s.full_cycle_us_total);
  field("full_cycle_us_max", s.full_cycle_us_max);
  return out + "}";
}

Server::Server(const ServerOptions& o, std::unique_ptr<store::StateStore> store,
               std::unique_ptr<transport::Router> router, const Clock& clock,
               std::shared_ptr<const timewin::OffPeakCalendar> calendar, std::shared_ptr<AccessTable> access)
    : options_(o),
      store_(std::move(store)),
      router_(std::move(router)),
      clock_(clock),
      access_(std::move(access)),
      nodes_({o.port_range_begin, o.port_range_end}, fx_),
      jobs_(*store_, fx_, clock, o.recent_finished),
      queues_(o.fair_share_half_life, fx_),
      rdzv_(jobs_, fx_, timers_, clock),
      gangs_({o.start_timeout, o.reserve_timeout, CheckpointRoot(o),
              o.advertise.empty() ? AdvertisedEndpoint(router_->endpoint()) : o.advertise, access_.get(),
              // Without authentication nobody is anybody: the user field is trusted as it comes.
              o.allow_root_jobs || !access_},
             jobs_, nodes_, rdzv_, fx_, timers_, clock),
      arrays_(jobs_, gangs_, fx_, clock),
      models_(CheckpointRoot(o), *store_, jobs_, queues_, arrays_, fx_, clock),
      driver_({o.backfill, o.queue_depth, o.full_queue_depth}, std::move(calendar), jobs_, nodes_, queues_,
              arrays_, gangs_, fx_, timers_, clock),
      client_(*store_, jobs_, queues_, arrays_, gangs_, fx_, clock),
      ops_(queues_, nodes_, jobs_, models_, fx_, clock),
      agents_({o.heartbeat_timeout, o.heartbeat_interval_ms}, nodes_, gangs_, fx_, clock),
      logs_(o.log_forward_timeout, jobs_, nodes_, fx_, timers_, clock) {
  jobs_.SetHooks({[this](const Job& j) {
                    driver_.Index(j);
                    // Pending again (requeued): its last attempt's ranks are done with.
                    if (access_ && j.attempt > 0 && j.state == JobState::kPending)
                      access_->ForgetRank(j.id, j.attempt);
                  },
                  [this](const Job& j) {
                    arrays_.OnTaskFinished(j);
                    models_.OnJobFinished(j);
                    if (access_) access_->ForgetRank(j.id, j.attempt);
                  }});
}

Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::Create(const ServerOptions& options,
                                               std::unique_ptr<store::StateStore> store,
                                               std::unique_ptr<transport::Router> router, const Clock& clock,
                                               std::shared_ptr<AccessTable> access) {
  auto calendar = timewin::OffPeakCalendar::Create(options.offpeak, options.timezone);
  if (!calendar.ok()) return calendar.status();
  std::unique_ptr<Server> s(new Server(options, std::move(store), std::move(router), clock,
                                       std::move(*calendar), std::move(access)));
  MUSTER_RETURN_IF_ERROR(s->Recover());
  // What the recovery itself decided (a default queue, reservations rolled
  // back) is durable before the first request is served.
  MUSTER_RETURN_IF_ERROR(s->CommitAndFlush());
  return s;
}

Status Server::Recover() {
  auto loaded = store_->Load(options_.recent_finished);
  if (!loaded.ok()) return loaded.status();
  const int64_t now_us = clock_.MonotonicNow();
  queues_.Recover(std::move(loaded->queues), loaded->meta);
  nodes_.Recover(std::move(loaded->nodes), now_us);
  jobs_.Recover(std::move(loaded->active_jobs), std::move(loaded->recent_finished), loaded->next_job_id);
  size_t placed = 0;
  for (auto& [id, e] : jobs_.active()) {
    gangs_.Recover(e);
    if (!e.gang) continue;
    ++placed;
    // Its ranks reconnect to the rendezvous with the key of their attempt.
    if (access_) access_->RankKeys(id, e.job.attempt);
  }
  arrays_.Recover();
  // Models before anything can end a job: a retrain rolled back below may
  // end for good, and its model must record that.
  models_.Recover(std::move(loaded->models));
  // Two-phase starts cut by the crash: a gang still reserving is rolled back
  // (requeued; the agents' reservations are aborted when they re-register,
  // or expire by themselves). A committed one is finished at re-registration.
  gangs_.RollBackReservations();
  driver_.IndexAll();
  timers_.Arm(Timer::kLiveness, 0, now_us + kLivenessEveryUs);
  timers_.Arm(Timer::kUsage, 0, now_us);
  MLOG(Info) << "recovered " << jobs_.active().size() << " active jobs (" << placed << " placed), "
             << jobs_.recent().size() << " recent finished, " << nodes_.nodes().size()
             << " nodes; next job id " << jobs_.next_id();
  return Status::Ok();
}

int64_t Server::NextWaitMs() const {
  int64_t wait = kMaxWaitMs;
  const int64_t now_us = clock_.MonotonicNow();
  if (auto due = timers_.NextDue()) wait = std::min(wait, (*due - now_us + 999) / 1000);
  if (fx_.schedule_needed()) wait = std::min(wait, (next_cycle_us_ - now_us + 999) / 1000);
  return std::max<int64_t>(wait, 0);
}

Status Server::Run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    MUSTER_RETURN_IF_ERROR(router_->Wait(NextWaitMs()));
    MUSTER_RETURN_IF_ERROR(Turn());
  }
  MLOG(Info) << "stopping: " << stats_.commits << " commits, " << stats_.messages << " messages";
  return Status::Ok();
}

Status Server::Turn() {
  ++stats_.turns;
  // Fair-share usage accrues continuously, not only when a cycle runs:
  // charged before this turn's messages end any job.
  if (auto due = timers_.DueOf(Timer::kUsage, 0); due && *due <= clock_.MonotonicNow()) {
    timers_.Disarm(Timer::kUsage, 0);
    OnTimer(Timer::kUsage, 0);
  }
  size_t n = 0;
  while (n < options_.max_batch) {
    auto in = router_->TryRecv();
    if (!in) break;
    ++n;
    HandleFrame(*in);
  }
  stats_.messages += n;
  turn_messages_ = n;
  const int64_t now_us = clock_.MonotonicNow();
  while (auto key = timers_.PopDue(now_us)) OnTimer(key->kind, key->id);
  MaybeCycle();
  return CommitAndFlush();
}

void Server::OnTimer(Timer kind, uint64_t id) {
  const int64_t now_us = clock_.MonotonicNow();
  switch (kind) {
    case Timer::kTimeLimit:
    case Timer::kGangReserve:
    case Timer::kStartBarrier:
    case Timer::kUnstartedExits:
      return gangs_.OnTimer(kind, static_cast<JobId>(id));
    case Timer::kRdzvWait:
      return rdzv_.OnWaiterTimeout(id);
    case Timer::kLogRead:
      return logs_.OnTimeout(id);
    case Timer::kLiveness:
      agents_.CheckLiveness();
      return timers_.Arm(Timer::kLiveness, 0, now_us + kLivenessEveryUs);
    case Timer::kUsage: {
      Time now = clock_.Now();
      queues_.AdvanceUsage(now, jobs_);
      models_.SubmitDue(now);
      return timers_.Arm(Timer::kUsage, 0, now_us + kUsageEveryUs);
    }
    case Timer::kWakeup:
    case Timer::kFullCycle:
      return fx_.ScheduleSoon();
    case Timer::kCycleSpacing:
      return;  // MaybeCycle runs the deferred cycle
  }
}

void Server::MaybeCycle() {
  if (!fx_.schedule_needed()) return;
  // A cycle costs O(nodes + pending): at 10,000 nodes a few ms. Cycles are
  // spaced so they take at most about half of the loop's time; events in
  // between are batched into the next cycle. On small clusters a cycle
  // takes microseconds and none waits.
  const int64_t begin = clock_.MonotonicNow();
  if (begin < next_cycle_us_) {
    timers_.Arm(Timer::kCycleSpacing, 0, next_cycle_us_);
    return;
  }
  ++stats_.schedule_cycles;
  const bool full = driver_.Cycle();
  const int64_t end = clock_.MonotonicNow();
  next_cycle_us_ = end + (end - begin);
  const auto took = static_cast<uint64_t>(end - begin);
  stats_.cycle_us_total += took;
  stats_.cycle_us_max = std::max(stats_.cycle_us_max, took);
  if (full) {
    ++stats_.full_cycles;
    stats_.full_cycle_us_total += took;
    stats_.full_cycle_us_max = std::max(stats_.full_cycle_us_max, took);
  }
}

void Server::HandleFrame(const transport::Incoming& in) {
  const Caller from{in.identity, 0};
  if (in.extra_frames) return fx_.Error(from, wire::ErrorCode::kBadRequest, "a message is exactly one frame");
  auto env = wire::Decode(in.payload);
  if (!env.ok()) {
    MLOG(Warning) << "rejected a message of " << in.payload.size() << " bytes: " << env.status().ToString();
    return fx_.Reply(from, wire::ErrorOf(env.status()));
  }
  // Who is calling comes from the connection's credential (the ZAP
  // handler's principal), never from the message.
  Principal who;
  if (!access_)
    who.role = Role::kInsecure;
  else if (!in.principal.empty())
    who = access_->Resolve(in.principal);
  Dispatch({in.identity, env->request_id}, who, std::move(*env));
}

Subject Server::JobSubject(JobId id, bool history) {
  Subject s;
  const Job* job = nullptr;
  if (JobEntry* e = jobs_.Active(id)) job = &e->job;
  if (auto it = jobs_.recent().find(id); !job && it != jobs_.recent().end()) job = &it->second;
  // Older jobs are on disk only: read them for what needs history (logs),
  // never for an id no job ever had.
  std::optional<Job> found;
  if (!job && history && id != kNoJob && id < jobs_.next_id() && (found = jobs_.Find(id))) job = &*found;
  if (job) {
    s.job_user = job->spec.user;
    s.job_team = job->spec.team;
    s.job_priority = job->spec.priority;
  }
  return s;
}

Subject Server::ModelSubject(const std::string& name) const {
  Subject s;
  if (const Model* m = models_.Find(name)) s.model_team = m->spec.job.team;
  return s;
}

Status Server::FromCredential(const Principal& who, JobSpec& spec) const {
  if (who.role == Role::kInsecure) return Status::Ok();
  if (who.operator_rights()) {
    // Operators may act for any user and team (as root may with sbatch --uid).
    if (spec.user.empty()) spec.user = who.name;
  } else {
    spec.user = who.name;
    if (spec.team.empty()) spec.team = who.DefaultTeam();
    if (spec.priority > 0 && !who.AdminOf(spec.team))
      return Status::PermissionDenied("permission denied: a priority above 0 is for an admin of team " +
                                      spec.team + " or an operator (" + who.name +
                                      " may order their own jobs below 0)");
    if (!who.InTeam(spec.team) && spec.team != who.DefaultTeam()) {
      std::string teams;
      for (const auto& t : who.teams) teams += (teams.empty() ? "" : ", ") + t;
      return Status::PermissionDenied(
          "permission denied: user " + who.name + " is not in team " + spec.team +
          (teams.empty() ? std::string(" (in no team)") : " (teams: " + teams + ")"));
    }
  }
  if (spec.user == "root" && !options_.allow_root_jobs)
    return Status::PermissionDenied(
        "permission denied: jobs as root are refused (musterd --allow-root-jobs "
        "allows them)");
  return Status::Ok();
}

Status Server::WithinLimits(const Principal& who, const JobSpec& spec) {
  if (who.role == Role::kInsecure || who.operator_rights()) return Status::Ok();
  if (options_.max_jobs_per_user > 0 && jobs_.ActiveOf(spec.user) >= options_.max_jobs_per_user)
    return Status::ResourceExhausted(
        "user " + spec.user + " has " + std::to_string(jobs_.ActiveOf(spec.user)) +
        " unfinished jobs, the most a user may have (musterd --max-jobs-per-user)");
  if (options_.max_submits_per_user_per_s > 0) {
    auto it =
        submit_rate_.try_emplace(spec.user, options_.max_submits_per_user_per_s, options_.submit_burst).first;
    if (!it->second.Take(clock_.MonotonicNow()))
      return Status::Unavailable("user " + spec.user + " submits faster than " +
                                 std::to_string(static_cast<int64_t>(options_.max_submits_per_user_per_s)) +
                                 " jobs/s: try again in a moment (musterd --max-submit-rate)");
  }
  return Status::Ok();
}

void Server::Dispatch(const Caller& from, const Principal& who, wire::Envelope env) {
  Status allowed = std::visit(
      [&](auto& m) -> Status {
        using T = std::decay_t<decltype(m)>;
        constexpr Permission need = PermissionOf<T>::value;
        Subject about;
        if constexpr (std::is_same_v<T, wire::CancelJob> || std::is_same_v<T, wire::JobAction>)
          about = JobSubject(m.id, /*history=*/false);
        else if constexpr (std::is_same_v<T, wire::ReadLog>) {
          about = JobSubject(m.job, /*history=*/true);
          // A log read goes to the node only for a job musterd could check.
          if (!about.job_user) return Status::NotFound("no job " + std::to_string(m.job));
        } else if constexpr (std::is_same_v<T, wire::PutModel>) {
          about = ModelSubject(m.spec.name);
          if (!about.model_team)
            about.model_team = m.spec.job.team.empty() ? who.DefaultTeam() : m.spec.job.team;
        } else if constexpr (std::is_same_v<T, wire::DeleteModel>)
          about = ModelSubject(m.name);
        else if constexpr (std::is_same_v<T, wire::TriggerModel>) {
          about = ModelSubject(m.model);
          about.gateway_team = m.team;
        } else if constexpr (std::is_same_v<T, wire::RdzvPut> || std::is_same_v<T, wire::RdzvGet> ||
                             std::is_same_v<T, wire::RdzvBarrier>) {
          about.job = m.job;
          about.attempt = m.attempt;
        } else if constexpr (std::is_same_v<T, wire::Register>)
          about.node = m.node.name;
        else if constexpr (std::is_same_v<T, wire::Heartbeat>)
          about.node = m.node;
        else if constexpr (need == Permission::kAgent) {
          if (const NodeEntry* n = nodes_.ByIdentity(from.peer)) about.node = n->node.name;
        }
        MUSTER_RETURN_IF_ERROR(Authorize(who, need, about, env.body));

        // Fields the credential decides.
        if constexpr (std::is_same_v<T, wire::SubmitJob>) {
          MUSTER_RETURN_IF_ERROR(FromCredential(who, m.spec));
          return WithinLimits(who, m.spec);
        }
        if constexpr (std::is_same_v<T, wire::PutModel>) {
          MUSTER_RETURN_IF_ERROR(FromCredential(who, m.spec.job));
          if (!who.operator_rights() && who.role != Role::kInsecure && !who.AdminOf(m.spec.job.team))
            return Status::PermissionDenied("permission denied: " + who.Describe() +
                                            " may not move a model to team " + m.spec.job.team +
                                            " (not its admin)");
        }
        if constexpr (std::is_same_v<T, wire::JobAction>) {
          const bool owner_only = !who.operator_rights() && !who.AdminOf(about.job_team);
          if (m.op == wire::JobOp::kSetPriority && owner_only && about.job_user &&
              m.priority > about.job_priority)
            return Status::PermissionDenied(
                "permission denied: a user may only lower the priority of a job (" +
                std::to_string(about.job_priority) + " now); raising it is for " + "an admin of team " +
                about.job_team + " or an operator");
        }
        if constexpr (std::is_same_v<T, wire::TriggerModel>) {
          // Who triggered: the credential says, except for operators (trusted to label it).
          if (who.role == Role::kUser && !who.operator_rights()) m.source = "cli:" + who.name;
        }
        return Status::Ok();
      },
      env.body);
  if (!allowed.ok()) {
    ++stats_.refused;
    const bool answer =
        std::holds_alternative<wire::Error>(env.body) || std::holds_alternative<wire::Ok>(env.body);
    // A flood of refused requests is not a flood of log lines.
    if (refusal_log_.Take(clock_.MonotonicNow())) {
      MLOG(Warning) << "refused " << wire::BodyName(env.body) << " from " << who.Describe() << ": "
                    << allowed.message()
                    << (refusals_unlogged_
                            ? " (and " + std::to_string(refusals_unlogged_) + " refusals not logged)"
                            : std::string());
      refusals_unlogged_ = 0;
    } else {
      ++refusals_unlogged_;
    }
    if (!answer) fx_.Reply(from, wire::ErrorOf(allowed));  // never answer an answer
    return;
  }
  const size_t first_reply = fx_.outbox().size();
  Route(from, env.body);
  RedactReplies(from.peer, who, first_reply);
}

void Server::RedactReplies(const std::string& peer, const Principal& who, size_t first) {
  // Every user may read every job's and model's metadata (as with squeue),
  // but a job's environment (its --export and --env) is for those who may
  // act on the job: it may hold the submitter's tokens.
  if (who.role == Role::kInsecure || who.operator_rights()) return;
  auto hide = [](std::vector<EnvVar>& env) {
    for (EnvVar& v : env) v.value = kHiddenValue;
  };
  for (size_t i = first; i < fx_.outbox().size(); ++i) {
    if (fx_.outbox()[i].peer != peer) continue;
    wire::Body& body = fx_.outbox()[i].env.body;
    if (auto* list = std::get_if<wire::JobList>(&body)) {
      for (Job& j : list->jobs)
        if (j.spec.user != who.name && !who.AdminOf(j.spec.team)) hide(j.spec.env);
    } else if (auto* models = std::get_if<wire::ModelList>(&body)) {
      for (wire::ModelInfo& m : models->models)
        if (!who.AdminOf(m.model.spec.job.team) && m.model.spec.job.user != who.name)
          hide(m.model.spec.job.env);
    }
  }
}

void Server::Route(const Caller& from, wire::Body& body) {
  std::visit(
      [&](auto& m) {
        using T = std::decay_t<decltype(m)>;
        // Users.
        if constexpr (std::is_same_v<T, wire::SubmitJob>)
          client_.OnSubmit(from, m);
        else if constexpr (std::is_same_v<T, wire::ListJobs>)
          client_.OnListJobs(from, m);
        else if constexpr (std::is_same_v<T, wire::CancelJob>)
          client_.OnCancel(from, m);
        else if constexpr (std::is_same_v<T, wire::JobAction>)
          client_.OnJobAction(from, m);
        else if constexpr (std::is_same_v<T, wire::ListEvents>)
          client_.OnListEvents(from, m);
        else if constexpr (std::is_same_v<T, wire::ReadLog>)
          logs_.OnReadLog(from, m);
        // Operators.
        else if constexpr (std::is_same_v<T, wire::ListNodes>)
          ops_.OnListNodes(from, m);
        else if constexpr (std::is_same_v<T, wire::NodeAction>)
          ops_.OnNodeAction(from, m);
        else if constexpr (std::is_same_v<T, wire::PutQueue>)
          ops_.OnPutQueue(from, m);
        else if constexpr (std::is_same_v<T, wire::DeleteQueue>)
          ops_.OnDeleteQueue(from, m);
        else if constexpr (std::is_same_v<T, wire::ListQueues>)
          ops_.OnListQueues(from);
        // Retraining.
        else if constexpr (std::is_same_v<T, wire::PutModel>)
          models_.OnPut(from, m);
        else if constexpr (std::is_same_v<T, wire::DeleteModel>)
          models_.OnDelete(from, m);
        else if constexpr (std::is_same_v<T, wire::ListModels>)
          models_.OnList(from, m);
        else if constexpr (std::is_same_v<T, wire::TriggerModel>)
          models_.OnTrigger(from, m);
        // Ranks: the rendezvous.
        else if constexpr (std::is_same_v<T, wire::RdzvPut>)
          rdzv_.OnPut(from, m);
        else if constexpr (std::is_same_v<T, wire::RdzvGet>)
          rdzv_.OnGet(from, m);
        else if constexpr (std::is_same_v<T, wire::RdzvBarrier>)
          rdzv_.OnBarrier(from, m);
        // Agents.
        else if constexpr (std::is_same_v<T, wire::Register>)
          agents_.OnRegister(from, m);
        else if constexpr (std::is_same_v<T, wire::Heartbeat>) {
          ++stats_.heartbeats;
          agents_.OnHeartbeat(from, m);
        } else if constexpr (std::is_same_v<T, wire::RankStarted>)
          gangs_.OnRankStarted(from.peer, m);
        else if constexpr (std::is_same_v<T, wire::Reserved>)
          gangs_.OnReserved(from.peer, m);
        else if constexpr (std::is_same_v<T, wire::RankExited>)
          gangs_.OnRankExited(from.peer, m.exit);
        else if constexpr (std::is_same_v<T, wire::LogChunk>)
          logs_.OnAnswer(from.peer, from.request, std::move(m));
        else if constexpr (std::is_same_v<T, wire::Error>) {
          if (!logs_.OnAnswer(from.peer, from.request, m))
            MLOG(Warning) << "error from a peer: " << m.message;
        } else if constexpr (std::is_same_v<T, wire::Ok>) {
        } else {
          fx_.Error(from, wire::ErrorCode::kBadRequest,
                    std::string("musterd does not accept ") + wire::BodyName(body));
        }
      },
      body);
}

Status Server::CommitAndFlush() {
  store::WriteSet& ws = fx_.writes();
  for (JobId id : fx_.dirty_jobs())
    if (const Job* j = jobs_.DirtyRecord(id)) ws.Put(*j);
  fx_.dirty_jobs().clear();
  for (const std::string& name : fx_.dirty_models())
    if (const Model* m = models_.DirtyRecord(name)) ws.Put(*m);
  fx_.dirty_models().clear();
  if (!ws.empty()) {
    Status st = store_->Commit(ws);
    if (!st.ok()) {
      // The disk refused a write: memory is ahead of the disk and nothing of
      // this turn may be acknowledged. Stop; a restart recovers from what is
      // durable.
      MLOG(Error) << "store commit failed, stopping: " << st.ToString();
      fx_.outbox().clear();
      ws.Clear();
      return st;
    }
    ++stats_.commits;
    stats_.max_commit_batch = std::max<uint64_t>(stats_.max_commit_batch, ws.size());
    stats_.commit_ops += ws.size();
    stats_.committed_turn_messages += turn_messages_;
    stats_.max_committed_turn_messages = std::max(stats_.max_committed_turn_messages, turn_messages_);
    ws.Clear();
  }
  for (auto& o : fx_.outbox())
    if (!router_->Send(o.peer, o.env)) MLOG(Debug) << "peer gone, dropped " << wire::BodyName(o.env.body);
  fx_.outbox().clear();
  return Status::Ok();
}

}  // namespace muster::service
