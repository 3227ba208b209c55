#include "agent/service/agent_service.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>

#include "agent/core/rank_env.h"
#include "agent/runtime/accounts.h"
#include "agent/service/log_reader.h"
#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/proto/wire_errors.h"
#include "common/transport/zmq_util.h"

namespace muster::agent {
namespace fs = std::filesystem;
namespace {

constexpr int64_t kMaxPollMs = 100;  // also how late a missed SIGCHLD is noticed
constexpr int kMaxMessagesPerTurn = 1000;
constexpr int64_t kRegisterRetryMs = 1000;  // Register again even if one is still unanswered
constexpr int kMinHeartbeatMs = 10;
constexpr int kMaxHeartbeatMs = 60000;
constexpr int kFlushLingerMs = 1000;  // on shutdown, time for the last exits to leave

std::string RefText(const wire::RankRef& r) {
  return "job " + std::to_string(r.job) + " attempt " + std::to_string(r.attempt) + " rank " +
         std::to_string(r.rank);
}

// Puts the reason a rank never ran into its log, where `muster logs` shows it.
void AppendToLog(const std::string& path, const std::string& line) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  std::string text = "muster-agent: " + line + "\n";
  ssize_t n = write(fd, text.data(), text.size());
  (void)n;
  close(fd);
}

}  // namespace

Result<std::unique_ptr<AgentService>> AgentService::Create(AgentOptions options, std::vector<GpuInfo> gpus,
                                                           Launcher& launcher) {
  if (options.node_name.empty()) return Status::InvalidArgument("agent needs a node name");
  if (options.work_dir.empty()) return Status::InvalidArgument("agent needs a work dir");
  std::error_code ec;
  fs::create_directories(fs::path(options.work_dir) / "logs", ec);
  if (ec) return Status::IoError("cannot create work dir '" + options.work_dir + "': " + ec.message());
  const std::string endpoint = options.scheduler_endpoint;
  try {
    return std::unique_ptr<AgentService>(new AgentService(std::move(options), std::move(gpus), launcher));
  } catch (const zmq::error_t& e) {
    return Status::InvalidArgument("bad scheduler endpoint '" + endpoint + "': " + e.what());
  }
}

namespace {
const Clock& ClockOf(const AgentOptions& o) {
  static const SystemClock kSystem;
  return o.clock ? *o.clock : kSystem;
}
}  // namespace

AgentService::AgentService(AgentOptions options, std::vector<GpuInfo> gpus, Launcher& launcher)
    : opt_(std::move(options)), clock_(ClockOf(opt_)), gpus_(std::move(gpus)), launcher_(launcher) {
  sock_ = transport::MakeDealer(ctx_, opt_.scheduler_endpoint, opt_.keys);
}

AgentService::~AgentService() = default;

// ---------------------------------------------------------------- messages

void AgentService::Send(wire::Body body, uint64_t request_id) {
  wire::Envelope env;
  env.request_id = request_id ? request_id : next_request_id_++;
  env.body = std::move(body);
  try {
    transport::Send(sock_, env);
  } catch (const zmq::error_t& e) {
    // The DEALER queues while disconnected; failing here means a full queue
    // or a closing context. Unacked exits are re-sent anyway.
    MLOG(Warning) << "send " << wire::BodyName(env.body) << ": " << e.what();
  }
}

void AgentService::SendRegister() {
  wire::Register reg;
  reg.node.name = opt_.node_name;
  reg.node.address = opt_.address;
  reg.node.gpus = gpus_;
  reg.node.labels = opt_.labels;
  reg.running = ranks_.RunningRefs();
  reg.exited = ranks_.Unacked();
  for (const auto& [key, r] : reservations_) reg.reserved.push_back({key.first, key.second});
  const int64_t now = NowMs();
  ranks_.MarkAllSent(now);
  RearmRankTable();
  register_pending_ = true;
  last_register_ms_ = now;
  MLOG(Info) << "registering with " << opt_.scheduler_endpoint << " (" << gpus_.size() << " GPUs, "
             << reg.running.size() << " running ranks, " << reg.exited.size() << " unacknowledged exits)";
  Send(std::move(reg));
}

void AgentService::HandleIncoming(const std::string& payload, bool extra_frames) {
  auto decoded = wire::Decode(payload);
  if (!decoded.ok() || extra_frames) {
    wire::Error err;
    if (extra_frames) {
      err = {wire::ErrorCode::kBadRequest, "one frame per message expected"};
    } else {
      err = wire::ErrorOf(decoded.status());
    }
    MLOG(Warning) << "bad message from musterd: " << err.message;
    Send(err);
    return;
  }
  const wire::Envelope& env = *decoded;
  const uint64_t id = env.request_id;
  MLOG(Debug) << "got " << wire::BodyName(env.body);
  if (auto* m = std::get_if<wire::RegisterReply>(&env.body)) {
    HandleRegisterReply(*m);
  } else if (auto* m = std::get_if<wire::Error>(&env.body)) {
    HandleError(*m);
  } else if (auto* m = std::get_if<wire::LaunchRanks>(&env.body)) {
    if (m->job == kNoJob || m->ranks.empty()) {
      Send(wire::Error{wire::ErrorCode::kBadRequest, "LaunchRanks needs a job and ranks"}, id);
      return;
    }
    HandleLaunch(*m);
  } else if (auto* m = std::get_if<wire::ReserveRanks>(&env.body)) {
    HandleReserve(id, m->launch);
  } else if (auto* m = std::get_if<wire::CommitRanks>(&env.body)) {
    HandleCommit(m->gang);
  } else if (auto* m = std::get_if<wire::AbortRanks>(&env.body)) {
    DropReservation(m->gang, "aborted by musterd");
  } else if (auto* m = std::get_if<wire::KillJob>(&env.body)) {
    HandleKill(*m);
  } else if (auto* m = std::get_if<wire::AckExit>(&env.body)) {
    if (!ranks_.Ack(m->ref)) {
      MLOG(Debug) << "ack of an exit not pending: " << RefText(m->ref);
    }
  } else if (auto* m = std::get_if<wire::ReadLog>(&env.body)) {
    HandleReadLog(id, *m);
  } else if (std::holds_alternative<wire::Ok>(env.body)) {
    // Nothing we sent asks for an Ok; harmless.
  } else {
    Send(wire::Error{wire::ErrorCode::kBadRequest,
                     std::string("muster-agent does not handle ") + wire::BodyName(env.body)},
         id);
  }
}

void AgentService::HandleRegisterReply(const wire::RegisterReply& m) {
  register_pending_ = false;
  if (m.heartbeat_interval_ms > 0)
    musterd_heartbeat_ms_ = std::clamp(m.heartbeat_interval_ms, kMinHeartbeatMs, kMaxHeartbeatMs);
  const int64_t now = NowMs();
  for (const auto& ref : m.kill) {
    // musterd does not want it: kill it and report nothing about it.
    ranks_.Ack(ref);
    for (int32_t pid : ranks_.TerminateRank(ref, now, opt_.kill_grace_ms, /*report_exit=*/false)) {
      MLOG(Info) << "killing " << RefText(ref) << " (pid " << pid << "): unknown to musterd";
      launcher_.SignalGroup(pid, SIGTERM);
    }
  }
  RearmRankTable();
  MLOG(Info) << "registered with " << opt_.scheduler_endpoint << " (heartbeat every " << HeartbeatIntervalMs()
             << " ms)";
  if (!ever_registered_) {
    ever_registered_ = true;
    if (opt_.on_registered) opt_.on_registered();
  }
}

void AgentService::HandleError(const wire::Error& m) {
  if (m.code == wire::ErrorCode::kPermissionDenied && !ever_registered_) {
    // musterd will never take this node as it is configured (a key bound to
    // another node's name): say so and stop, rather than retry for ever.
    refused_ = "musterd refused this node: " + m.message;
    return;
  }
  if (m.code != wire::ErrorCode::kNotRegistered) {
    MLOG(Warning) << "musterd: " << m.message;
    return;
  }
  // Several heartbeats sent while musterd did not know us are all answered
  // with kNotRegistered: one Register for them is enough.
  if (register_pending_ && NowMs() - last_register_ms_ < kRegisterRetryMs) return;
  MLOG(Info) << "musterd does not know this node: registering again";
  SendRegister();
}

void AgentService::HandleLaunch(const wire::LaunchRanks& m) {
  if (ranks_.IsDuplicateLaunch(m.job, m.attempt)) {
    MLOG(Info) << "ignoring duplicate launch of job " << m.job << " attempt " << m.attempt;
    return;
  }
  ranks_.NoteLaunch(m.job, m.attempt);

  std::string setup_error;
  // Who the ranks run as, and the environment they start from: the job's
  // user's login basics, never the agent's environment.
  auto account = opt_.switch_user ? LookupAccount(m.user) : OwnAccount();
  std::optional<RunAs> run_as;
  std::vector<std::string> base_env;
  if (!account.ok()) {
    setup_error = account.status().message();
  } else if (opt_.switch_user && account->ids.uid == 0 && !m.allow_root) {
    setup_error = "refusing to run a job as root (uid 0); musterd --allow-root-jobs allows it";
  } else if (!opt_.switch_user && opt_.keys && m.user != account->name) {
    // Not root: it cannot become the job's user, and running another
    // user's job as itself would mix users on one uid.
    setup_error = "this node's agent runs as " + account->name + ", not as root: it starts only " +
                  account->name + "'s jobs, not " + m.user + "'s";
  } else {
    if (opt_.switch_user) run_as = account->ids;
    base_env = BaseEnvironment(*account, opt_.pass_env);
  }
  std::error_code ec;
  std::string workdir = m.workdir;
  if (workdir.empty()) {
    workdir = (fs::path(opt_.work_dir) / "jobs" / std::to_string(m.job)).string();
    fs::create_directories(workdir, ec);
    if (ec) setup_error = "create work dir '" + workdir + "': " + ec.message();
    if (!ec && run_as && chown(workdir.c_str(), run_as->uid, run_as->gid) != 0 && setup_error.empty())
      setup_error = "chown work dir '" + workdir + "': " + std::strerror(errno);
  }
  const fs::path log_dir = fs::path(opt_.work_dir) / "logs" / std::to_string(m.job);
  fs::create_directories(log_dir, ec);
  if (ec && setup_error.empty()) setup_error = "create log dir '" + log_dir.string() + "': " + ec.message();
  if (!ec)
    fs::permissions(log_dir, fs::perms::owner_all, ec);  // the agent reads logs for musterd; no one else
  if (m.argv.empty() || m.argv[0].empty()) setup_error = "empty argv";

  MLOG(Info) << "launching job " << m.job << " attempt " << m.attempt << ": " << m.ranks.size() << " ranks";
  // Ranks that cannot start fail at once; the rest start together.
  std::vector<wire::RankRef> refs;
  std::vector<ProcessSpec> specs;
  std::set<int32_t> listed;
  for (const auto& r : m.ranks) {
    const wire::RankRef ref{m.job, m.attempt, r.rank};
    if (ranks_.Find(ref) || !listed.insert(r.rank).second) {
      MLOG(Warning) << "launch lists " << RefText(ref) << " twice; started once";
      continue;
    }
    std::string error = setup_error;
    for (int32_t g : r.gpus) {
      if (error.empty() && (g < 0 || g >= static_cast<int32_t>(gpus_.size())))
        error = "GPU " + std::to_string(g) + " is not on node " + opt_.node_name + " (" +
                std::to_string(gpus_.size()) + " GPUs)";
    }
    if (!error.empty()) {
      ReportFailedStart(ref, error);
      continue;
    }
    refs.push_back(ref);
    specs.push_back(
        ProcessSpec{m.argv, RankEnvironment(base_env, m, r), workdir, LogPath(m.job, r.rank), run_as});
  }
  std::vector<Result<int32_t>> pids = launcher_.StartAll(specs);
  for (size_t i = 0; i < refs.size(); ++i) {
    if (!pids[i].ok()) {
      ReportFailedStart(refs[i], pids[i].status().message());
      continue;
    }
    ranks_.AddRunning(refs[i], *pids[i]);
    MLOG(Info) << "started " << RefText(refs[i]) << " as pid " << *pids[i];
    Send(wire::RankStarted{refs[i], *pids[i]});
  }
}

void AgentService::ReportFailedStart(const wire::RankRef& ref, const std::string& error) {
  MLOG(Warning) << RefText(ref) << " failed to start: " << error;
  AppendToLog(LogPath(ref.job, ref.rank), error);
  wire::RankExit exit;
  exit.ref = ref;
  exit.exit_code = 127;
  exit.failed_to_start = true;
  exit.message = error;
  ReportExit(exit);
}

std::string AgentService::ReserveConflict(const wire::LaunchRanks& m) {
  if (m.job == kNoJob || m.ranks.empty()) return "ReserveRanks needs a job and ranks";
  // GPUs held by committed attempts whose ranks are all gone are free again.
  for (auto it = committed_gpus_.begin(); it != committed_gpus_.end();)
    it = ranks_.JobHasRanks(it->first.first) ? std::next(it) : committed_gpus_.erase(it);
  const GangKey mine{m.job, m.attempt};
  std::set<int32_t> wanted;
  for (const auto& r : m.ranks)
    for (int32_t g : r.gpus) {
      if (g < 0 || g >= static_cast<int32_t>(gpus_.size()))
        return "GPU " + std::to_string(g) + " is not on node " + opt_.node_name + " (" +
               std::to_string(gpus_.size()) + " GPUs)";
      if (!wanted.insert(g).second) return "GPU " + std::to_string(g) + " is listed twice";
    }
  auto holder = [&](const GangKey& k) {
    return "job " + std::to_string(k.first) + " attempt " + std::to_string(k.second);
  };
  for (const auto& [key, r] : reservations_) {
    if (key == mine) continue;
    for (const auto& rank : r.launch.ranks)
      for (int32_t g : rank.gpus)
        if (wanted.count(g)) return "GPU " + std::to_string(g) + " is reserved by " + holder(key);
  }
  for (const auto& [key, gpus] : committed_gpus_) {
    if (key == mine) continue;
    for (int32_t g : gpus)
      if (wanted.count(g)) return "GPU " + std::to_string(g) + " is in use by " + holder(key);
  }
  return "";
}

void AgentService::HandleReserve(uint64_t request_id, const wire::LaunchRanks& m) {
  const GangKey key{m.job, m.attempt};
  wire::Reserved reply{m.job, m.attempt, true, ""};
  if (reservations_.count(key) || ranks_.IsDuplicateLaunch(m.job, m.attempt)) {
    Send(reply, request_id);  // a duplicate: the answer does not change
    return;
  }
  reply.reason = ReserveConflict(m);
  if (!reply.reason.empty()) {
    reply.ok = false;
    MLOG(Warning) << "refusing to reserve job " << m.job << " attempt " << m.attempt << ": " << reply.reason;
    Send(reply, request_id);
    return;
  }
  const uint64_t serial = next_reservation_serial_++;
  reservations_[key] = Reservation{m, serial};
  reservation_of_serial_[serial] = key;
  timers_.Arm(AgentTimer::kReservation, serial, NowMs() + opt_.reserve_ttl_ms);
  MLOG(Info) << "reserved job " << m.job << " attempt " << m.attempt << ": " << m.ranks.size() << " ranks";
  Send(reply, request_id);
}

void AgentService::HandleCommit(const wire::GangRef& g) {
  auto it = reservations_.find({g.job, g.attempt});
  if (it == reservations_.end()) {
    if (ranks_.IsDuplicateLaunch(g.job, g.attempt)) return;  // a duplicate commit: already started
    // Too late (the reservation expired) or never reserved here: nothing
    // starts, and musterd is told at once so it tears the gang down and
    // requeues it instead of waiting out its start barrier. The answer is a
    // Reserved{ok = false}: to a committed gang it means "this node will not
    // start its part" (docs/protocol.md "Gang start").
    wire::Reserved refusal{g.job, g.attempt, false,
                           "the reservation expired before the commit (reserve TTL " +
                               std::to_string(opt_.reserve_ttl_ms) + " ms) or was never made"};
    MLOG(Warning) << "refusing the commit of job " << g.job << " attempt " << g.attempt << ": "
                  << refusal.reason;
    Send(std::move(refusal));
    return;
  }
  wire::LaunchRanks launch = std::move(it->second.launch);
  timers_.Disarm(AgentTimer::kReservation, it->second.serial);
  reservation_of_serial_.erase(it->second.serial);
  reservations_.erase(it);
  std::vector<int32_t> gpus;
  for (const auto& r : launch.ranks) gpus.insert(gpus.end(), r.gpus.begin(), r.gpus.end());
  committed_gpus_[{g.job, g.attempt}] = std::move(gpus);
  MLOG(Info) << "committing job " << g.job << " attempt " << g.attempt;
  HandleLaunch(launch);
}

void AgentService::DropReservation(const wire::GangRef& g, const std::string& why) {
  auto it = reservations_.find({g.job, g.attempt});
  if (it == reservations_.end()) return;
  timers_.Disarm(AgentTimer::kReservation, it->second.serial);
  reservation_of_serial_.erase(it->second.serial);
  reservations_.erase(it);
  MLOG(Info) << "dropped the reservation of job " << g.job << " attempt " << g.attempt << ": " << why;
}

void AgentService::HandleKill(const wire::KillJob& m) {
  for (auto it = reservations_.begin(); it != reservations_.end();) {
    if (it->first.first == m.job && (m.attempt == 0 || it->first.second == m.attempt)) {
      MLOG(Info) << "dropped the reservation of job " << m.job << " attempt " << it->first.second
                 << ": killed";
      timers_.Disarm(AgentTimer::kReservation, it->second.serial);
      reservation_of_serial_.erase(it->second.serial);
      it = reservations_.erase(it);
    } else {
      ++it;
    }
  }
  const int64_t now = NowMs();
  for (int32_t pid : ranks_.TerminateJob(m.job, m.attempt, now, m.grace_ms)) {
    const RankEntry* e = ranks_.FindByPid(pid);
    MLOG(Info) << "SIGTERM to " << (e ? RefText(e->ref) : "?") << " (pid " << pid << "), SIGKILL in "
               << m.grace_ms << " ms";
    launcher_.SignalGroup(pid, SIGTERM);
  }
  // grace_ms <= 0: SIGKILL now rather than at the next turn.
  RearmRankTable();
  if (m.grace_ms <= 0) OnTimer(AgentTimer::kRankTable, 0, now);
}

bool AgentService::JobReservedHere(JobId job) const {
  auto it = reservations_.lower_bound({job, std::numeric_limits<int32_t>::min()});
  return it != reservations_.end() && it->first.first == job;
}

void AgentService::HandleReadLog(uint64_t request_id, const wire::ReadLog& m) {
  auto chunk = ReadLogChunk(LogPath(m.job, m.rank), m.offset, m.max_bytes);
  if (!chunk.ok() && chunk.status().code() == StatusCode::kNotFound && JobReservedHere(m.job)) {
    // musterd places a gang when it reserves it, so a reader can ask between
    // the reservation and the launch: the log is empty so far, not missing.
    Send(wire::LogChunk{"", m.offset, true, false}, request_id);
    return;
  }
  if (!chunk.ok()) {
    wire::ErrorCode code = chunk.status().code() == StatusCode::kNotFound ? wire::ErrorCode::kNotFound
                                                                          : wire::ErrorCode::kInternal;
    std::string why = chunk.status().code() == StatusCode::kNotFound
                          ? "no log for job " + std::to_string(m.job) + " rank " + std::to_string(m.rank) +
                                " on node " + opt_.node_name
                          : chunk.status().message();
    Send(wire::Error{code, why}, request_id);
    return;
  }
  chunk->job_finished = !ranks_.JobHasRanks(m.job);
  Send(std::move(*chunk), request_id);
}

// ------------------------------------------------------- processes, timers

void AgentService::ReportExit(const wire::RankExit& exit) {
  ranks_.AddUnacked(exit, NowMs());
  RearmRankTable();
  ++exits_reported_;
  Send(wire::RankExited{exit});
}

void AgentService::ReapExits() {
  for (const ProcessExit& pe : launcher_.Reap()) {
    auto entry = ranks_.OnProcessExit(pe.pid);
    if (!entry) {
      MLOG(Debug) << "reaped pid " << pe.pid << " (not a rank)";
      continue;
    }
    if (pe.signal) {
      MLOG(Info) << RefText(entry->ref) << " (pid " << pe.pid << ") killed by signal " << pe.signal;
    } else {
      MLOG(Info) << RefText(entry->ref) << " (pid " << pe.pid << ") exited with " << pe.exit_code;
    }
    if (!entry->report_exit) continue;
    wire::RankExit exit;
    exit.ref = entry->ref;
    exit.exit_code = pe.signal ? 0 : pe.exit_code;
    exit.signal = pe.signal;
    ReportExit(exit);
  }
}

int64_t AgentService::HeartbeatIntervalMs() const {
  return opt_.heartbeat_ms > 0 ? opt_.heartbeat_ms : musterd_heartbeat_ms_;
}

void AgentService::RearmRankTable() {
  std::optional<int64_t> next = ranks_.NextKillDeadline();
  if (auto r = ranks_.NextResend(opt_.resend_ms); r && (!next || *r < *next)) next = r;
  if (next)
    timers_.Arm(AgentTimer::kRankTable, 0, *next);
  else
    timers_.Disarm(AgentTimer::kRankTable, 0);
}

void AgentService::OnTimer(AgentTimer kind, uint64_t id, int64_t now_ms) {
  switch (kind) {
    case AgentTimer::kHeartbeat:
      Send(MakeHeartbeat(now_ms));
      timers_.Arm(AgentTimer::kHeartbeat, 0, now_ms + HeartbeatIntervalMs());
      return;
    case AgentTimer::kReservation: {
      auto key = reservation_of_serial_.find(id);
      if (key == reservation_of_serial_.end()) return;
      MLOG(Warning) << "dropped the reservation of job " << key->second.first << " attempt "
                    << key->second.second << ": not committed within " << opt_.reserve_ttl_ms << " ms";
      reservations_.erase(key->second);
      reservation_of_serial_.erase(key);
      return;
    }
    case AgentTimer::kRankTable:
      for (int32_t pid : ranks_.TakeDueKills(now_ms)) {
        MLOG(Info) << "SIGKILL to pid " << pid << " (grace over)";
        launcher_.SignalGroup(pid, SIGKILL);
      }
      for (const auto& exit : ranks_.TakeDueResends(now_ms, opt_.resend_ms)) {
        MLOG(Debug) << "re-sending exit of " << RefText(exit.ref);
        Send(wire::RankExited{exit});
      }
      RearmRankTable();
      return;
  }
}

wire::Heartbeat AgentService::MakeHeartbeat(int64_t now_ms) {
  if (opt_.sample_gpus && now_ms >= next_gpu_sample_ms_) {
    next_gpu_sample_ms_ = now_ms + opt_.gpu_sample_ms;
    auto sample = opt_.sample_gpus();
    if (!sample.ok()) {
      MLOG(Warning) << "GPU sample failed (heartbeats keep the last one): " << sample.status().message();
    } else {
      for (const auto& g : *sample) {
        if (g.index < 0 || g.index >= static_cast<int32_t>(gpus_.size())) continue;
        GpuInfo& mine = gpus_[g.index];
        if (mine.healthy != g.healthy)
          MLOG(Warning) << "GPU " << g.index
                        << (g.healthy ? " is healthy again" : " is unhealthy: " + g.health_reason);
        mine.utilization_percent = g.utilization_percent;
        mine.memory_used_bytes = g.memory_used_bytes;
        mine.healthy = g.healthy;
        mine.health_reason = g.health_reason;
      }
    }
  }
  wire::Heartbeat hb;
  hb.node = opt_.node_name;
  for (const auto& g : gpus_)
    hb.gpus.push_back({g.index, g.utilization_percent, g.memory_used_bytes, g.healthy, g.health_reason});
  return hb;
}

std::string AgentService::LogPath(JobId job, int32_t rank) const {
  return (fs::path(opt_.work_dir) / "logs" / std::to_string(job) / ("rank-" + std::to_string(rank) + ".log"))
      .string();
}

Status AgentService::Run() {
  SendRegister();
  timers_.Arm(AgentTimer::kHeartbeat, 0, NowMs() + HeartbeatIntervalMs());
  while (true) {
    zmq::pollitem_t items[3] = {{sock_.handle(), 0, ZMQ_POLLIN, 0}};
    int n = 1;
    int stop_index = -1;
    // The launcher's fd only wakes us early: exits are reaped every turn, so
    // a SIGCHLD that another thread swallowed is late, never lost.
    if (launcher_.wake_fd() >= 0) items[n++] = {nullptr, launcher_.wake_fd(), ZMQ_POLLIN, 0};
    if (opt_.stop_fd >= 0) {
      stop_index = n;
      items[n++] = {nullptr, opt_.stop_fd, ZMQ_POLLIN, 0};
    }
    const int64_t timeout =
        std::clamp<int64_t>(timers_.NextDue().value_or(INT64_MAX) - NowMs(), 0, kMaxPollMs);
    try {
      zmq::poll(items, n, std::chrono::milliseconds(timeout));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) return Status::Internal(std::string("poll: ") + e.what());
      continue;
    }
    if (stop_index >= 0 && (items[stop_index].revents & ZMQ_POLLIN)) {
      Shutdown();
      return Status::Ok();
    }
    for (int i = 0; i < kMaxMessagesPerTurn; ++i) {
      auto in = transport::TryRecv(sock_, /*is_router=*/false);
      if (!in) break;
      HandleIncoming(in->payload, in->extra_frames);
    }
    if (!refused_.empty()) return Status::PermissionDenied(refused_);
    ReapExits();
    const int64_t now = NowMs();
    while (auto key = timers_.PopDue(now)) OnTimer(key->kind, key->id, now);
  }
}

void AgentService::Shutdown() {
  const int64_t start = NowMs();
  MLOG(Info) << "shutting down: stopping " << ranks_.running_count() << " ranks";
  for (int32_t pid : ranks_.TerminateAll(start, opt_.shutdown_grace_ms)) launcher_.SignalGroup(pid, SIGTERM);
  const uint64_t reported_before = exits_reported_;
  const int64_t give_up = start + opt_.shutdown_grace_ms + 1000;
  while (ranks_.running_count() > 0 && NowMs() < give_up) {
    pollfd pfd{launcher_.wake_fd(), POLLIN, 0};
    ::poll(&pfd, launcher_.wake_fd() >= 0 ? 1 : 0, 20);
    ReapExits();
    for (int32_t pid : ranks_.TakeDueKills(NowMs())) launcher_.SignalGroup(pid, SIGKILL);
  }
  if (ranks_.running_count() > 0) {
    MLOG(Warning) << ranks_.running_count() << " ranks did not exit after SIGKILL";
  }
  // Give the last RankExited messages a moment to leave (MakeDealer sets no
  // linger); with nothing to report, do not wait for an absent musterd.
  if (exits_reported_ != reported_before) sock_.set(zmq::sockopt::linger, kFlushLingerMs);
}

}  // namespace muster::agent
