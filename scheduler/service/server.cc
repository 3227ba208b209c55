#include "scheduler/service/server.h"

#include <unistd.h>

#include <chrono>

#include "common/base/log.h"
#include "common/transport/zmq_util.h"

namespace muster::service {
namespace {

constexpr int kListenBacklog = 4096;  // connections waiting for accept()

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

}  // namespace

Server::Server(const ServerOptions& options, std::unique_ptr<store::StateStore> store, const Clock& clock)
    : options_(options), store_(std::move(store)), clock_(clock), usage_(options.fair_share_half_life) {
  if (options_.checkpoint_root.empty()) options_.checkpoint_root = options_.state_dir + "/checkpoints";
}

Server::~Server() = default;

namespace {
int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
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
  field("schedule_cycles", s.schedule_cycles);
  field("cycle_us_total", s.cycle_us_total);
  field("cycle_us_max", s.cycle_us_max);
  field("full_cycles", s.full_cycles);
  field("full_cycle_us_total", s.full_cycle_us_total);
  field("full_cycle_us_max", s.full_cycle_us_max);
  return out + "}";
}

Result<std::unique_ptr<Server>> Server::Create(const ServerOptions& options,
                                               std::unique_ptr<store::StateStore> store,
                                               const Clock& clock) {
  std::unique_ptr<Server> s(new Server(options, std::move(store), clock));
  auto calendar = timewin::OffPeakCalendar::Create(options.offpeak, options.timezone);
  if (!calendar.ok()) return calendar.status();
  s->calendar_ = std::move(*calendar);
  MUSTER_RETURN_IF_ERROR(s->Recover());
  MUSTER_RETURN_IF_ERROR(s->Bind());
  return s;
}

Status Server::Recover() {
  auto loaded = store_->Load(options_.recent_finished);
  if (!loaded.ok()) return loaded.status();
  next_job_id_ = loaded->next_job_id;
  for (auto& q : loaded->queues) queues_.emplace(q.name, std::move(q));
  if (!queues_.count("default")) {
    // DESIGN.md: a queue named default exists out of the box.
    QueueSpec def;
    def.name = "default";
    queues_.emplace(def.name, def);
    ws_.Put(def);
  }
  if (auto it = loaded->meta.find("usage"); it != loaded->meta.end()) LoadUsage(it->second);
  int64_t now_mono = MonotonicMs();
  for (auto& n : loaded->nodes) {
    NodeEntry e;
    e.node = std::move(n);
    e.gpu_owner.assign(e.node.gpus.size(), kNoJob);
    // Known nodes get one heartbeat timeout from now to re-register before
    // they are declared DOWN and their gangs requeued.
    e.last_heartbeat_mono = now_mono;
    nodes_.emplace(e.node.name, std::move(e));
  }
  size_t placed = 0;
  for (auto& j : loaded->active_jobs) {
    JobEntry e;
    e.job = std::move(j);
    if (e.job.array_job != kNoJob) ++array_active_[e.job.array_job];
    if (IsArrayParent(e.job) && !e.job.array_pending.empty()) array_parents_.insert(e.job.id);
    if (!e.job.placement.empty()) placed_.insert(e.job.id);
    if ((e.job.state == JobState::kStarting || e.job.state == JobState::kRunning) && !e.job.placement.empty()) {
      ++placed;
      e.ranks.assign(WorldSizeOf(e.job), RankStatus{});
      // Ranks that were running are presumed started until their agent says
      // otherwise at re-registration.
      if (e.job.state == JobState::kRunning)
        for (auto& r : e.ranks) r.started = true;
      for (const auto& a : e.job.placement) {
        auto it = nodes_.find(a.node);
        if (it == nodes_.end()) continue;
        for (int32_t g : a.gpus)
          if (g >= 0 && g < static_cast<int32_t>(it->second.gpu_owner.size())) it->second.gpu_owner[g] = e.job.id;
      }
      if (!e.job.placement.empty() && e.job.master_port) {
        auto it = nodes_.find(e.job.placement[0].node);
        if (it != nodes_.end()) it->second.ports.insert(e.job.master_port);
      }
      if (e.job.spec.time_limit > 0) time_limits_.insert({e.job.start_time + e.job.spec.time_limit, e.job.id});
      // A gang still STARTING gets a whole start timeout from now.
      if (e.job.state == JobState::kStarting) {
        e.start_deadline_mono = now_mono + options_.start_timeout / kMillisecond;
        start_deadlines_.insert({e.start_deadline_mono, e.job.id});
      }
    }
    active_.emplace(e.job.id, std::move(e));
  }
  // Models before anything can end a job: a retrain rolled back below may
  // end for good, and its model must record that.
  RecoverModels(std::move(loaded->models));
  // Two-phase starts cut by the crash: a gang still reserving is rolled back
  // (requeued; the agents' reservations are aborted when they re-register,
  // or expire by themselves). A committed one is finished at re-registration
  // (OnRegister sends CommitRanks again to nodes still holding it).
  std::vector<JobId> rollback;
  for (auto& [id, e] : active_)
    if (e.job.gang_phase == GangPhase::kReserving && !e.job.placement.empty()) rollback.push_back(id);
  for (JobId id : rollback) {
    JobEntry& e = active_.at(id);
    MLOG(Info) << "job " << id << " attempt " << e.job.attempt << ": rolling back its reservation (musterd restarted)";
    TearDown(e, JobState::kNodeFail, /*requeue=*/true, "gang reservation interrupted by a musterd restart");
  }
  for (auto& j : loaded->recent_finished) recent_.emplace(j.id, std::move(j));
  MLOG(Info) << "recovered " << active_.size() << " active jobs (" << placed << " placed), "
             << recent_.size() << " recent finished, " << nodes_.size() << " nodes; next job id "
             << next_job_id_;
  return Status::Ok();
}

Status Server::Bind() {
  std::string ep = options_.listen;
  // "tcp://host:0" means "any free port", which ZeroMQ spells "*".
  if (ep.size() > 2 && ep.compare(ep.size() - 2, 2, ":0") == 0) ep = ep.substr(0, ep.size() - 1) + "*";
  try {
    router_ = zmq::socket_t(ctx_, zmq::socket_type::router);
    router_.set(zmq::sockopt::linger, 0);
    router_.set(zmq::sockopt::router_mandatory, 1);
    router_.set(zmq::sockopt::sndhwm, 1000000);
    router_.set(zmq::sockopt::rcvhwm, 1000000);
    // Frames past this are dropped by ZeroMQ itself (no reply possible);
    // frames under it but over the protocol limit get an error reply.
    router_.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(4 * wire::kMaxFrameBytes));
    // ZeroMQ's default listen backlog is 100: when a whole cluster reconnects
    // at once (musterd restarted, a switch back up) the kernel drops the
    // other SYNs and those agents wait out TCP's 1 s, 3 s, 7 s... retries.
    // The kernel caps this at net.core.somaxconn (4096 on Debian 12).
    router_.set(zmq::sockopt::backlog, kListenBacklog);
    router_.bind(ep);
    endpoint_ = router_.get(zmq::sockopt::last_endpoint);
    advertised_ = options_.advertise.empty() ? AdvertisedEndpoint(endpoint_) : options_.advertise;
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("cannot listen on " + options_.listen + ": " + e.what());
  }
  return Status::Ok();
}

Status Server::Run(const std::atomic<bool>& stop) {
  int64_t next_liveness_check = 0;
  while (!stop.load()) {
    zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0}};
    long timeout_ms = 100;
    if (!time_limits_.empty()) {
      Duration until = time_limits_.begin()->first - clock_.Now();
      timeout_ms = std::clamp<long>(until / kMillisecond + 1, 0, 100);
    }
    // A deferred cycle (see below) runs when its spacing is over.
    if (schedule_needed_ && next_cycle_us_ > 0)
      timeout_ms = std::clamp<long>((next_cycle_us_ - NowUs() + 999) / 1000, 0, timeout_ms);
    // A held rendezvous request is answered at its deadline, not up to a poll later.
    if (int64_t due = NextRendezvousDeadline(); due >= 0)
      timeout_ms = std::clamp<long>(due - MonotonicMs(), 0, timeout_ms);
    try {
      zmq::poll(items, 1, std::chrono::milliseconds(timeout_ms));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      return Status::Internal(std::string("poll: ") + e.what());
    }
    ++stats_.turns;
    // Fair-share usage accrues continuously, not only when a cycle runs:
    // charged before this turn's messages end any job, at most 1 s late.
    if (Time now = clock_.Now(); usage_.last() == kNoTime || now - usage_.last() >= kSecond) {
      AdvanceUsage(now);
      SubmitDueRetrains(now);
    }
    size_t n = 0;
    while (n < options_.max_batch) {
      std::optional<transport::Incoming> in;
      try {
        in = transport::TryRecv(router_, true);
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) continue;
        throw;
      }
      if (!in) break;
      ++n;
      HandleFrame(in->identity, in->payload, in->extra_frames);
    }
    stats_.messages += n;
    turn_messages_ = n;
    int64_t now_mono = MonotonicMs();
    if (now_mono >= next_liveness_check) {
      CheckHeartbeats(now_mono);
      ExpireLogReads(now_mono);
      next_liveness_check = now_mono + 200;
    }
    ExpireRendezvous(now_mono);  // every turn: O(1) when nothing is due
    CheckTimeLimits();
    CheckReserveTimeouts(now_mono);
    CheckStartTimeouts(now_mono);
    // Windows opening and reservations falling due are boundaries too.
    if (next_wakeup_ != kNoTime && clock_.Now() >= next_wakeup_) {
      next_wakeup_ = kNoTime;
      schedule_needed_ = true;
    }
    if (full_cycle_owed_ && NowUs() - last_full_cycle_us_ >= kFullCycleEveryUs) schedule_needed_ = true;
    // A cycle costs O(nodes + pending): at 10,000 nodes a few ms. Cycles are
    // spaced so they take at most about half of the loop's time; events in
    // between are batched into the next cycle. On small clusters a cycle
    // takes microseconds and none waits.
    if (schedule_needed_ && NowUs() >= next_cycle_us_) {
      int64_t begin = NowUs();
      const int64_t last_full = last_full_cycle_us_;
      Schedule();
      int64_t end = NowUs();
      next_cycle_us_ = end + (end - begin);
      const auto took = static_cast<uint64_t>(end - begin);
      stats_.cycle_us_total += took;
      stats_.cycle_us_max = std::max(stats_.cycle_us_max, took);
      if (last_full_cycle_us_ != last_full) {
        ++stats_.full_cycles;
        stats_.full_cycle_us_total += took;
        stats_.full_cycle_us_max = std::max(stats_.full_cycle_us_max, took);
      }
    }
    MUSTER_RETURN_IF_ERROR(CommitAndFlush());
  }
  MLOG(Info) << "stopping: " << stats_.commits << " commits, " << stats_.messages << " messages";
  return Status::Ok();
}

void Server::HandleFrame(const std::string& identity, const std::string& payload, bool extra_frames) {
  if (extra_frames) {
    ReplyError(identity, 0, wire::ErrorCode::kBadRequest, "a message is exactly one frame");
    return;
  }
  auto env = wire::Decode(payload);
  if (!env.ok()) {
    auto code = env.status().code() == StatusCode::kVersionMismatch ? wire::ErrorCode::kVersionMismatch
                : env.status().code() == StatusCode::kResourceExhausted ? wire::ErrorCode::kTooLarge
                                                                           : wire::ErrorCode::kBadRequest;
    MLOG(Warning) << "rejected a message of " << payload.size() << " bytes: " << env.status().ToString();
    ReplyError(identity, 0, code, env.status().message());
    return;
  }
  Dispatch(identity, std::move(*env));
}

void Server::Dispatch(const std::string& from, wire::Envelope env) {
  uint64_t rid = env.request_id;
  std::visit(
      [&](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, wire::SubmitJob>) OnSubmit(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::ListJobs>) OnListJobs(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::CancelJob>) OnCancel(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::ListNodes>) OnListNodes(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::ReadLog>) OnReadLog(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::Register>) OnRegister(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::Heartbeat>) OnHeartbeat(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::RankStarted>) OnRankStarted(from, m);
        else if constexpr (std::is_same_v<T, wire::Reserved>) OnReserved(from, m);
        else if constexpr (std::is_same_v<T, wire::RankExited>) OnRankExited(from, m.exit, true);
        else if constexpr (std::is_same_v<T, wire::LogChunk>) OnLogReply(rid, std::move(m));
        else if constexpr (std::is_same_v<T, wire::PutQueue>) OnPutQueue(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::DeleteQueue>) OnDeleteQueue(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::ListQueues>) OnListQueues(from, rid);
        else if constexpr (std::is_same_v<T, wire::NodeAction>) OnNodeAction(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::JobAction>) OnJobAction(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::RdzvPut>) OnRdzvPut(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::RdzvGet>) OnRdzvGet(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::RdzvBarrier>) OnRdzvBarrier(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::PutModel>) OnPutModel(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::DeleteModel>) OnDeleteModel(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::ListModels>) OnListModels(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::TriggerModel>) OnTriggerModel(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::ListEvents>) OnListEvents(from, rid, m);
        else if constexpr (std::is_same_v<T, wire::Error>) {
          if (log_reads_.count(rid)) OnLogReply(rid, std::move(m));
          else MLOG(Warning) << "error from a peer: " << m.message;
        } else if constexpr (std::is_same_v<T, wire::Ok>) {
        } else {
          ReplyError(from, rid, wire::ErrorCode::kBadRequest,
                     std::string("musterd does not accept ") + wire::BodyName(env.body));
        }
      },
      env.body);
}

Status Server::CommitAndFlush() {
  for (JobId id : dirty_) {
    if (auto it = active_.find(id); it != active_.end()) ws_.Put(it->second.job);
    else if (auto rt = recent_.find(id); rt != recent_.end()) ws_.Put(rt->second);
  }
  dirty_.clear();
  for (const std::string& name : dirty_models_)
    if (auto it = models_.find(name); it != models_.end()) ws_.Put(it->second);
  dirty_models_.clear();
  if (!ws_.empty()) {
    Status st = store_->Commit(ws_);
    if (!st.ok()) {
      // The disk refused a write: memory is ahead of the disk and nothing may
      // be acknowledged. Stop; a restart recovers from what is durable.
      MLOG(Error) << "store commit failed, stopping: " << st.ToString();
      return st;
    }
    ++stats_.commits;
    stats_.max_commit_batch = std::max<uint64_t>(stats_.max_commit_batch, ws_.size());
    stats_.commit_ops += ws_.size();
    stats_.committed_turn_messages += turn_messages_;
    stats_.max_committed_turn_messages = std::max(stats_.max_committed_turn_messages, turn_messages_);
    ws_.Clear();
  }
  for (auto& o : outbox_) {
    if (!transport::SendTo(router_, o.identity, o.env))
      MLOG(Debug) << "peer gone, dropped " << wire::BodyName(o.env.body);
  }
  outbox_.clear();
  return Status::Ok();
}

void Server::Reply(const std::string& identity, uint64_t request_id, wire::Body body) {
  wire::Envelope env;
  env.request_id = request_id;
  env.body = std::move(body);
  outbox_.push_back({identity, std::move(env)});
}

void Server::ReplyError(const std::string& identity, uint64_t request_id, wire::ErrorCode code,
                        std::string message) {
  Reply(identity, request_id, wire::Error{code, std::move(message)});
}

void Server::SendToNode(const NodeEntry& node, wire::Body body) {
  if (node.identity.empty()) return;  // not connected; reconciliation at Register covers it
  Reply(node.identity, next_agent_request_++, std::move(body));
}

}  // namespace muster::service
