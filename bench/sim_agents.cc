#include "bench/sim_agents.h"

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <queue>
#include <tuple>

#include "common/proto/messages.h"
#include "common/transport/zmq_util.h"

namespace muster::bench {

int64_t MonoNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

namespace {

using Key = std::pair<JobId, int32_t>;  // job, attempt

struct Held {  // a reservation, or what runs once it is committed
  std::vector<int32_t> ranks;
  double seconds = 0;
  int64_t t0 = 0;
  size_t record = SIZE_MAX;  // index into the records once committed
};

struct Agent {
  std::string name;
  std::unique_ptr<zmq::socket_t> sock;
  bool registered = false;
  int64_t last_register_ns = 0;
  std::map<Key, Held> reserved;
  std::map<Key, Held> running;
};

double SecondsOf(const std::vector<std::string>& argv) {
  if (argv.size() >= 2 && argv[0].size() >= 5 && argv[0].compare(argv[0].size() - 5, 5, "sleep") == 0) {
    try {
      return std::stod(argv[1]);
    } catch (...) {
    }
  }
  return 0;
}

int64_t T0Of(const std::vector<EnvVar>& env) {
  for (const auto& v : env)
    if (v.name == "MUSTER_BENCH_T0") return std::strtoll(v.value.c_str(), nullptr, 10);
  return 0;
}

class SimCluster {
 public:
  SimCluster(const SimAgentOptions& o, SimAgentTotals* totals) : o_(o), totals_(totals) {
    ctx_.set(zmq::ctxopt::max_sockets, o.count + 64);
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    agents_.resize(o.count);
    int64_t now = MonoNs();
    for (int i = 0; i < o.count; ++i) {
      Agent& a = agents_[i];
      a.name = "sim-" + std::to_string(o.first_index + i);
      std::optional<transport::curve::ClientKeys> keys;
      if (o.server_key) keys = {transport::curve::DeriveKeyPair(o.node_seed, a.name), *o.server_key};
      a.sock = std::make_unique<zmq::socket_t>(transport::MakeDealer(ctx_, o.endpoint, keys));
      int fd = a.sock->get(zmq::sockopt::fd);
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLET;
      ev.data.u32 = static_cast<uint32_t>(i);
      epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
      // Heartbeats spread over the interval, as independent nodes would be.
      hb_.push({now + static_cast<int64_t>(o.heartbeat_ms) * 1000000 * i / o.count, i});
    }
    for (int i = 0; i < o.count; ++i) Register(i);
  }
  ~SimCluster() {
    agents_.clear();
    close(epoll_);
  }

  void Run(const std::atomic<bool>& stop) {
    std::vector<epoll_event> events(1024);
    while (!stop.load()) {
      int64_t now = MonoNs();
      int64_t next = now + 50'000'000;
      if (!hb_.empty()) next = std::min(next, hb_.top().first);
      if (!exits_.empty()) next = std::min(next, std::get<0>(exits_.top()));
      int timeout_ms = static_cast<int>(std::max<int64_t>(0, (next - now + 999'999) / 1'000'000));
      int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout_ms);
      for (int k = 0; k < n; ++k) Drain(static_cast<int>(events[k].data.u32));
      now = MonoNs();
      while (!exits_.empty() && std::get<0>(exits_.top()) <= now) {
        auto [t, i, key] = exits_.top();
        exits_.pop();
        Exit(i, key, 0, 0);
      }
      while (!hb_.empty() && hb_.top().first <= now) {
        auto [t, i] = hb_.top();
        hb_.pop();
        hb_.push({t + static_cast<int64_t>(o_.heartbeat_ms) * 1000000, i});
        Agent& a = agents_[i];
        if (a.registered) {
          Send(i, 0, wire::Heartbeat{a.name, {}});
          ++totals_->heartbeats_sent;
          ++totals_->heartbeats_by_second[now / 1'000'000'000];
        } else if (now - a.last_register_ns > 1'000'000'000) {
          Register(i);
        }
      }
      FlushDrains();
    }
  }

  std::vector<SimJobRecord> TakeRecords() { return std::move(records_); }

 private:
  void Send(int i, uint64_t rid, wire::Body body) {
    wire::Envelope env;
    env.request_id = rid ? rid : next_rid_++;
    env.body = std::move(body);
    try {
      transport::Send(*agents_[i].sock, env);
    } catch (const zmq::error_t&) {
    }
    pending_drain_.push_back(i);
  }

  void Register(int i) {
    Agent& a = agents_[i];
    wire::Register r;
    r.node.name = a.name;
    r.node.address = "127.0.0.1";
    for (int g = 0; g < o_.gpus_per_node; ++g) {
      GpuInfo info;
      info.index = g;
      info.uuid = "GPU-SIM-" + a.name + "-" + std::to_string(g);
      info.model = "Simulated GPU";
      info.memory_bytes = 80ull << 30;
      r.node.gpus.push_back(std::move(info));
    }
    for (const auto& [key, h] : a.running)
      for (int32_t rank : h.ranks) r.running.push_back({key.first, key.second, rank});
    for (const auto& [key, h] : a.reserved) r.reserved.push_back({key.first, key.second});
    a.last_register_ns = MonoNs();
    ++totals_->registrations;
    Send(i, 0, std::move(r));
    FlushDrains();
  }

  // Reads every message queued for agent i. Sends made while handling them
  // are followed by another drain: a ZeroMQ send may consume the edge the
  // socket's fd would have signalled incoming messages with.
  void Drain(int i) {
    pending_drain_.push_back(i);
    FlushDrains();
  }
  void FlushDrains() {
    while (!pending_drain_.empty()) {
      int i = pending_drain_.back();
      pending_drain_.pop_back();
      while (true) {
        std::optional<transport::Incoming> in;
        try {
          in = transport::TryRecv(*agents_[i].sock, false);
        } catch (const zmq::error_t&) {
          break;
        }
        if (!in) break;
        ++totals_->messages_in;
        auto env = wire::Decode(in->payload);
        if (env.ok()) Handle(i, *env);
      }
    }
  }

  void Handle(int i, wire::Envelope& env) {
    Agent& a = agents_[i];
    if (std::holds_alternative<wire::RegisterReply>(env.body)) {
      if (!a.registered && ++registered_ == o_.count && o_.on_all_registered) o_.on_all_registered();
      a.registered = true;
    } else if (auto* e = std::get_if<wire::Error>(&env.body)) {
      if (e->code == wire::ErrorCode::kNotRegistered && MonoNs() - a.last_register_ns > 1'000'000'000) {
        if (a.registered) --registered_;
        a.registered = false;
        Register(i);
      }
    } else if (auto* r = std::get_if<wire::ReserveRanks>(&env.body)) {
      Key key{r->launch.job, r->launch.attempt};
      a.reserved[key] = HeldOf(r->launch);
      Send(i, env.request_id, wire::Reserved{key.first, key.second, true, ""});
    } else if (auto* c = std::get_if<wire::CommitRanks>(&env.body)) {
      Key key{c->gang.job, c->gang.attempt};
      auto it = a.reserved.find(key);
      if (it == a.reserved.end()) return;  // duplicate or unknown: starts nothing
      Held h = std::move(it->second);
      a.reserved.erase(it);
      Start(i, key, std::move(h));
    } else if (auto* l = std::get_if<wire::LaunchRanks>(&env.body)) {
      Key key{l->job, l->attempt};
      if (!a.running.count(key)) Start(i, key, HeldOf(*l));
    } else if (auto* ab = std::get_if<wire::AbortRanks>(&env.body)) {
      a.reserved.erase({ab->gang.job, ab->gang.attempt});
    } else if (auto* k = std::get_if<wire::KillJob>(&env.body)) {
      ++totals_->kills;
      std::vector<Key> victims;
      for (const auto& [key, h] : a.running)
        if (key.first == k->job && (k->attempt == 0 || key.second == k->attempt)) victims.push_back(key);
      for (const Key& key : victims) Exit(i, key, 0, 15);
      for (auto it = a.reserved.begin(); it != a.reserved.end();)
        it = it->first.first == k->job ? a.reserved.erase(it) : std::next(it);
    } else if (std::holds_alternative<wire::ReadLog>(env.body)) {
      Send(i, env.request_id, wire::Error{wire::ErrorCode::kNotFound, "simulated agents keep no logs"});
    }
    // AckExit, Ok: nothing to do (exits are not re-sent by this simulation).
  }

  static Held HeldOf(const wire::LaunchRanks& l) {
    Held h;
    for (const auto& r : l.ranks) h.ranks.push_back(r.rank);
    h.seconds = SecondsOf(l.argv);
    h.t0 = T0Of(l.env);
    return h;
  }

  void Start(int i, const Key& key, Held h) {
    SimJobRecord rec;
    rec.job = key.first;
    rec.attempt = key.second;
    rec.ranks = static_cast<int32_t>(h.ranks.size());
    rec.t0 = h.t0;
    rec.t_commit = MonoNs();
    for (int32_t rank : h.ranks) Send(i, 0, wire::RankStarted{{key.first, key.second, rank}, 1});
    rec.t_started = MonoNs();
    h.record = records_.size();
    records_.push_back(rec);
    exits_.push({rec.t_started + static_cast<int64_t>(h.seconds * 1e9), i, key});
    agents_[i].running[key] = std::move(h);
  }

  void Exit(int i, const Key& key, int32_t code, int32_t signal) {
    Agent& a = agents_[i];
    auto it = a.running.find(key);
    if (it == a.running.end()) return;  // killed before its time was up
    for (int32_t rank : it->second.ranks) {
      wire::RankExit x;
      x.ref = {key.first, key.second, rank};
      x.exit_code = code;
      x.signal = signal;
      Send(i, 0, wire::RankExited{x});
    }
    records_[it->second.record].t_exit = MonoNs();
    a.running.erase(it);
    FlushDrains();
  }

  const SimAgentOptions o_;
  SimAgentTotals* totals_;
  zmq::context_t ctx_{1};
  int epoll_ = -1;
  std::vector<Agent> agents_;
  using Timer = std::pair<int64_t, int>;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> hb_;
  using ExitTimer = std::tuple<int64_t, int, Key>;
  std::priority_queue<ExitTimer, std::vector<ExitTimer>, std::greater<>> exits_;
  std::vector<int> pending_drain_;
  std::vector<SimJobRecord> records_;
  uint64_t next_rid_ = 1;
  int registered_ = 0;
};

}  // namespace

std::vector<SimJobRecord> RunSimAgents(const SimAgentOptions& options, const std::atomic<bool>& stop,
                                       SimAgentTotals* totals) {
  SimCluster c(options, totals);
  c.Run(stop);
  return c.TakeRecords();
}

}  // namespace muster::bench
