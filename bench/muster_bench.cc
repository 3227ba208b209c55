// muster-bench: musterd under load, end to end over the real protocol.
// Starts its own musterd (a free loopback port, a temporary state dir),
// simulated agents (bench/sim_agents.h) in worker processes or real
// muster-agents, K pipelined submitting clients; reports durable submits/s,
// latencies, completions/s, musterd's CPU and memory, heartbeats/s, the
// group-commit batch sizes and the disk's own synced writes/s.
// `--recovery` instead times musterd's start-up over a large history.
// bench/README.md explains the figures.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "bench/bench_util.h"
#include "bench/sim_agents.h"
#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/transport/zmq_util.h"
#include "scheduler/store/state_store.h"

namespace muster::bench {
namespace {

namespace po = boost::program_options;
using nlohmann::json;

constexpr int kAgentsPerWorker = 4000;  // file descriptors: two per DEALER socket

struct Options {
  std::string musterd;
  int agents = 4;
  int gpus_per_node = 8;
  int clients = 4;
  double duration = 5;
  std::string mode = "burst";
  double rate = 1000;
  int64_t jobs = 0;
  int window = 256;
  int job_nodes = 1;
  int job_gpus = 1;
  double job_seconds = 0;
  int array = 0;
  std::string real_agents;
  double drain_timeout = 60;
  std::string json_path;
  bool keep = false;
  bool recovery = false;
  int64_t history = 1000000;
  int64_t pending = 100000;
  double probe_seconds = 1;
  bool insecure = false;
};

// Security as a real cluster has it (docs/security.md): musterd's key pair,
// an operator key for the load clients, and node keys derived from one seed
// by node name, so 10,000 simulated agents need no 10,000 key files.
// --insecure: none of it, for the side-by-side figures.
struct BenchAuth {
  bool on = false;
  transport::curve::KeyPair server;
  transport::curve::KeyPair client;
  transport::curve::Key node_seed{};
  std::string dir;
  std::optional<transport::curve::ClientKeys> ClientKeys() const {
    if (!on) return std::nullopt;
    return transport::curve::ClientKeys{client, server.public_key};
  }
};
BenchAuth g_auth;

// Writes musterd's key and access file (user "bench", an operator; nodes
// sim-<i> or real-<i>, whose key files it writes too).
bool MakeAuth(const Options& o, const std::string& dir) {
  namespace curve = transport::curve;
  g_auth.on = true;
  g_auth.dir = dir;
  g_auth.server = curve::GenerateKeyPair();
  g_auth.client = curve::GenerateKeyPair();
  g_auth.node_seed = curve::GenerateKeyPair().secret_key;
  std::ofstream access(dir + "/access");
  access << "user bench " << curve::Z85(g_auth.client.public_key) << " operator\n";
  const bool real = !o.real_agents.empty();
  for (int i = 0; i < o.agents; ++i) {
    const std::string name = (real ? "real-" : "sim-") + std::to_string(i);
    curve::KeyPair k = curve::DeriveKeyPair(g_auth.node_seed, name);
    access << "node " << name << " " << curve::Z85(k.public_key) << "\n";
    if (real && !curve::WriteSecretFile(dir + "/" + name + ".key", k).ok()) return false;
  }
  access.close();
  return access.good() && curve::WriteSecretFile(dir + "/server.key", g_auth.server).ok() &&
         curve::WritePublicFile(dir + "/server.pub", g_auth.server.public_key).ok();
}

std::atomic<bool> g_worker_stop{false};
void OnWorkerSignal(int) { g_worker_stop.store(true); }

json Pct(const Percentiles& p) { return {{"p50", p.p50}, {"p99", p.p99}, {"max", p.max}, {"n", p.n}}; }

// ------------------------------------------------------------ musterd

struct Musterd {
  Child child;
  std::string endpoint;
  std::string state_dir;
  int64_t started_ns = 0;
};

bool StartMusterd(const Options& o, const std::string& state_dir, const std::string& log, Musterd* m) {
  m->state_dir = state_dir;
  m->started_ns = MonoNs();
  std::vector<std::string> args = {o.musterd,           "--state-dir", state_dir, "--listen",
                                   "tcp://127.0.0.1:0", "--log-level", "warning"};
  if (g_auth.on) {
    for (const std::string& a :
         {std::string("--key"), g_auth.dir + "/server.key", std::string("--access"), g_auth.dir + "/access"})
      args.push_back(a);
  } else {
    args.push_back("--insecure");
  }
  m->child = Spawn(args, true, log);
  m->endpoint = ReadLineWithPrefix(m->child, "musterd listening on ", 600000);
  return !m->endpoint.empty();
}

json ReadStats(const std::string& state_dir) {
  std::ifstream in(state_dir + "/stats.json");
  try {
    return json::parse(in);
  } catch (...) {
    return json::object();
  }
}

// ------------------------------------------------------------ disk probe

// One synced RocksDB commit per request, through the store musterd uses:
// the throughput musterd would have without group commit.
double ProbeStoreSyncs(const std::string& dir, double seconds) {
  auto store = store::OpenRocksDbStore({dir, true});
  if (!store.ok()) return 0;
  int64_t end = MonoNs() + static_cast<int64_t>(seconds * 1e9);
  int64_t n = 0;
  int64_t start = MonoNs();
  while (MonoNs() < end) {
    store::WriteSet ws;
    ws.Append({1, 0, JobState::kPending, JobState::kPending, "probe"});
    if (!(*store)->Commit(ws).ok()) return 0;
    ++n;
  }
  return static_cast<double>(n) / ((MonoNs() - start) / 1e9);
}

// 4 KiB appends with fdatasync each: the raw device figure.
double ProbeFdatasync(const std::string& path, double seconds) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return 0;
  std::string block(4096, 'x');
  int64_t end = MonoNs() + static_cast<int64_t>(seconds * 1e9);
  int64_t n = 0, start = MonoNs();
  while (MonoNs() < end) {
    std::fwrite(block.data(), 1, block.size(), f);
    std::fflush(f);
    fdatasync(fileno(f));
    ++n;
  }
  std::fclose(f);
  return static_cast<double>(n) / ((MonoNs() - start) / 1e9);
}

// ------------------------------------------------------------ clients

struct Sent {
  int64_t t_send = 0, t_reply = 0;  // monotonic ns
  Time wall_send = 0;               // µs since the epoch (musterd's clock)
  JobId id = kNoJob;
  bool ok = false;
};

JobSpec SpecOf(const Options& o) {
  JobSpec s;
  s.name = "bench";
  s.user = "bench";
  s.team = "bench";
  if (o.job_seconds > 0)
    s.argv = {"/bin/sleep", std::to_string(o.job_seconds)};
  else
    s.argv = {"/bin/true"};
  s.nodes = o.job_nodes;
  s.gpus_per_node = o.job_gpus;
  s.max_restarts = 0;
  s.grace_seconds = 1;
  if (o.array > 0) s.array = "0-" + std::to_string(o.array - 1);
  return s;
}

// One pipelined client: steady (rate per client) or burst (as fast as the
// window of outstanding requests allows), until `jobs` sent or the time is up.
void RunClient(const Options& o, zmq::context_t& ctx, const std::string& endpoint, int64_t jobs, double rate,
               std::vector<Sent>* out) {
  zmq::socket_t sock = transport::MakeDealer(ctx, endpoint, g_auth.ClientKeys());
  JobSpec base = SpecOf(o);
  int64_t start = MonoNs();
  int64_t end = start + static_cast<int64_t>(o.duration * 1e9);
  int64_t interval = rate > 0 ? static_cast<int64_t>(1e9 / rate) : 0;
  int64_t outstanding = 0;
  int64_t sent = 0;
  out->reserve(jobs > 0 ? jobs : 100000);
  auto receive = [&](int timeout_ms) {
    zmq::pollitem_t items[] = {{sock.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 1, std::chrono::milliseconds(timeout_ms));
    while (auto in = transport::TryRecv(sock, false)) {
      auto env = wire::Decode(in->payload);
      if (!env.ok() || env->request_id == 0 || env->request_id > out->size()) continue;
      Sent& s = (*out)[env->request_id - 1];
      s.t_reply = MonoNs();
      if (auto* r = std::get_if<wire::SubmitReply>(&env->body)) {
        s.ok = true;
        s.id = r->id;
      } else if (auto* e = std::get_if<wire::Error>(&env->body)) {
        static std::once_flag once;
        std::call_once(once, [&] { std::cerr << "muster-bench: submit refused: " << e->message << "\n"; });
      }
      --outstanding;
    }
  };
  while (true) {
    int64_t now = MonoNs();
    bool more = (jobs > 0 ? sent < jobs : true) && (jobs > 0 && o.mode == "burst" ? true : now < end);
    if (!more) break;
    if (interval > 0 && now < start + sent * interval) {
      receive(static_cast<int>(std::max<int64_t>(0, (start + sent * interval - now) / 1000000)));
      continue;
    }
    if (outstanding >= o.window) {
      receive(10);
      continue;
    }
    wire::Envelope env;
    env.request_id = static_cast<uint64_t>(sent + 1);
    wire::SubmitJob m{base};
    Sent s;
    s.t_send = MonoNs();
    s.wall_send = SystemClock().Now();
    m.spec.env.push_back({"MUSTER_BENCH_T0", std::to_string(s.t_send)});
    env.body = std::move(m);
    out->push_back(s);
    transport::Send(sock, env);
    ++sent;
    ++outstanding;
    receive(0);
  }
  int64_t give_up = MonoNs() + 60'000'000'000;
  while (outstanding > 0 && MonoNs() < give_up) receive(100);
}

// ------------------------------------------------------------ load mode

int RunLoad(const Options& o) {
  std::string tmp = MakeTempDir();
  if (tmp.empty()) {
    std::cerr << "muster-bench: cannot create a temporary dir\n";
    return 1;
  }
  std::string load_at_start = Load1();
  if (!o.insecure && !MakeAuth(o, tmp)) {
    std::cerr << "muster-bench: cannot write keys in " << tmp << "\n";
    return 1;
  }
  Musterd d;
  if (!StartMusterd(o, tmp + "/state", tmp + "/musterd.log", &d)) {
    std::cerr << "muster-bench: musterd did not start (see " << tmp << "/musterd.log)\n";
    return 1;
  }

  // Agents: worker processes of simulated agents (forked before this
  // process starts any thread), or real muster-agents.
  std::vector<Child> workers;
  std::vector<Child> real;
  int ready_pipe[2] = {-1, -1};
  if (o.real_agents.empty()) {
    if (pipe(ready_pipe) != 0) return 1;
    int nworkers = (o.agents + kAgentsPerWorker - 1) / kAgentsPerWorker;
    for (int w = 0; w < nworkers; ++w) {
      SimAgentOptions so;
      so.endpoint = d.endpoint;
      if (g_auth.on) {
        so.server_key = g_auth.server.public_key;
        so.node_seed = g_auth.node_seed;
      }
      so.first_index = w * kAgentsPerWorker;
      so.count = std::min(kAgentsPerWorker, o.agents - so.first_index);
      so.gpus_per_node = o.gpus_per_node;
      so.on_all_registered = [fd = ready_pipe[1], n = so.count] {
        std::string line = "registered " + std::to_string(n) + "\n";
        ssize_t w = write(fd, line.data(), line.size());
        (void)w;
      };
      std::string file = tmp + "/agents-" + std::to_string(w) + ".txt";
      pid_t pid = fork();
      if (pid == 0) {
        signal(SIGTERM, OnWorkerSignal);
        SimAgentTotals totals;
        auto records = RunSimAgents(so, g_worker_stop, &totals);
        std::ofstream f(file);
        f << "totals " << totals.heartbeats_sent << " " << totals.registrations << " " << totals.messages_in
          << " " << totals.kills << "\n";
        for (const auto& [sec, n] : totals.heartbeats_by_second) f << "hb " << sec << " " << n << "\n";
        for (const auto& r : records)
          f << r.job << " " << r.attempt << " " << r.ranks << " " << r.t0 << " " << r.t_commit << " "
            << r.t_started << " " << r.t_exit << "\n";
        f.close();
        _exit(0);
      }
      workers.push_back({pid, -1});
    }
    close(ready_pipe[1]);
  } else {
    for (int i = 0; i < o.agents; ++i) {
      std::string name = "real-" + std::to_string(i);
      real.push_back(Spawn({o.real_agents, "--scheduler", d.endpoint, "--name", name, "--fake-gpus",
                            std::to_string(o.gpus_per_node), "--work-dir", tmp + "/" + name, "--log-level",
                            "warning", g_auth.on ? "--key=" + tmp + "/" + name + ".key" : "--insecure",
                            "--server-key=" + tmp + "/server.pub"},
                           false, tmp + "/" + name + ".log"));
    }
  }

  transport::Client ctl(d.endpoint, 30000, g_auth.ClientKeys());
  int64_t reg_start = MonoNs();
  size_t up = 0;
  if (o.real_agents.empty()) {
    // Each worker writes one byte when all its agents are registered. (Not
    // ListNodes: at 10,000 nodes its reply is over the 8 MiB frame limit.)
    Child reader{-1, ready_pipe[0]};
    for (size_t w = 0; w < workers.size(); ++w) {
      std::string n = ReadLineWithPrefix(reader, "registered ", 300000);
      if (n.empty()) break;
      up += std::stoul(n);
    }
    close(ready_pipe[0]);
  } else {
    while (MonoNs() - reg_start < 120'000'000'000LL) {
      auto r = ctl.Call(wire::ListNodes{});
      up = 0;
      if (r.ok())
        if (auto* nl = std::get_if<wire::NodeList>(&*r))
          for (const auto& n : nl->nodes) up += n.node.state == NodeState::kUp;
      if (up >= static_cast<size_t>(o.agents)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  double register_s = (MonoNs() - reg_start) / 1e9;
  if (up < static_cast<size_t>(o.agents)) std::cerr << "muster-bench: only " << up << " nodes registered\n";
  std::cerr << "muster-bench: " << up << " nodes up after " << register_s << " s; load " << Load1() << "\n";
  // Let heartbeats settle into their 1 Hz rhythm before measuring.
  std::this_thread::sleep_for(std::chrono::milliseconds(o.agents > 1000 ? 2000 : 200));

  double cpu0 = CpuSeconds(d.child.pid);
  int64_t t_begin = MonoNs();
  std::vector<std::vector<Sent>> sent(o.clients);
  {
    zmq::context_t ctx{1};
    std::vector<std::thread> threads;
    for (int c = 0; c < o.clients; ++c) {
      int64_t jobs = o.jobs > 0 ? o.jobs / o.clients + (c < o.jobs % o.clients ? 1 : 0) : 0;
      double rate = o.mode == "steady" ? o.rate / o.clients : 0;
      threads.emplace_back(RunClient, std::cref(o), std::ref(ctx), d.endpoint, jobs, rate, &sent[c]);
    }
    for (auto& t : threads) t.join();
  }
  int64_t t_submitted = MonoNs();
  // Drain: until no job is pending or placed (ListQueues counts them).
  int64_t drained_ns = 0;
  while (MonoNs() - t_submitted < static_cast<int64_t>(o.drain_timeout * 1e9)) {
    auto r = ctl.Call(wire::ListQueues{});
    int64_t left = -1;
    if (r.ok())
      if (auto* ql = std::get_if<wire::QueueList>(&*r)) {
        left = 0;
        for (const auto& q : ql->queues) left += q.pending + q.running;
      }
    if (left == 0) {
      drained_ns = MonoNs();
      break;
    }
    // ListQueues walks musterd's active jobs: poll a deep queue rarely, so
    // the bench does not load what it measures.
    std::this_thread::sleep_for(std::chrono::milliseconds(left >= 0 && left < 1000 ? 20 : 250));
  }
  int64_t t_end = MonoNs();
  double cpu1 = CpuSeconds(d.child.pid);
  double peak_rss = PeakRssMiB(d.child.pid);
  std::string load_at_end = Load1();

  // Submits.
  std::vector<double> ack_ms;
  std::vector<Sent> all;
  int64_t first_send = INT64_MAX, last_reply = 0;
  for (auto& v : sent)
    for (auto& s : v) {
      all.push_back(s);
      first_send = std::min(first_send, s.t_send);
      if (s.ok) {
        last_reply = std::max(last_reply, s.t_reply);
        ack_ms.push_back((s.t_reply - s.t_send) / 1e6);
      }
    }
  size_t accepted = ack_ms.size();
  double submit_window_s = last_reply > first_send ? (last_reply - first_send) / 1e9 : 0;

  // Dispatch and start latencies, completions.
  std::vector<double> dispatch_ms, start_ms, complete_ms;
  double heartbeats_per_s = -1;  // sent by the simulated agents inside the window
  int64_t completed = 0;
  double completed_per_s = 0;
  json agents_json = json::object();
  if (o.real_agents.empty()) {
    for (auto& w : workers) Stop(w, 10000);
    struct Agg {
      int64_t t0 = 0, commit = 0, started = 0, exit = 0;
      bool all_exited = true;
    };
    std::map<std::pair<int64_t, int32_t>, Agg> jobs;
    uint64_t hb_sent = 0, regs = 0, hb_in_window = 0;
    std::set<int64_t> hb_seconds;
    for (size_t w = 0; w < workers.size(); ++w) {
      std::ifstream f(tmp + "/agents-" + std::to_string(w) + ".txt");
      std::string word;
      uint64_t h, r, m, k;
      f >> word >> h >> r >> m >> k;
      hb_sent += h;
      regs += r;
      int64_t job, t0, tc, ts, te;
      int32_t attempt, ranks;
      while (f >> word) {
        if (word == "hb") {
          int64_t sec;
          uint64_t n;
          f >> sec >> n;
          // Whole seconds inside the measured window only.
          if (sec * 1'000'000'000 >= t_begin && (sec + 1) * 1'000'000'000 <= t_end) {
            hb_in_window += n;
            hb_seconds.insert(sec);
          }
          continue;
        }
        job = std::stoll(word);
        if (!(f >> attempt >> ranks >> t0 >> tc >> ts >> te)) break;
        Agg& a = jobs[{job, attempt}];
        a.t0 = t0;
        a.commit = std::max(a.commit, tc);
        a.started = std::max(a.started, ts);
        a.exit = std::max(a.exit, te);
        a.all_exited = a.all_exited && te > 0;
      }
    }
    int64_t last_exit = 0;
    for (const auto& [key, a] : jobs) {
      if (a.t0 > 0) {
        dispatch_ms.push_back((a.commit - a.t0) / 1e6);
        start_ms.push_back((a.started - a.t0) / 1e6);
      }
      if (a.all_exited) {
        ++completed;
        last_exit = std::max(last_exit, a.exit);
      }
    }
    if (last_exit > first_send) completed_per_s = completed / ((last_exit - first_send) / 1e9);
    agents_json = {{"kind", "simulated"}, {"heartbeats_sent", hb_sent}, {"registrations", regs}};
    if (!hb_seconds.empty()) heartbeats_per_s = static_cast<double>(hb_in_window) / hb_seconds.size();
  } else {
    // Real agents: musterd's own records (placement time, end time).
    int64_t first_wall = INT64_MAX, last_end = 0;
    std::vector<JobId> ids;
    std::map<JobId, Time> wall_of;
    for (const auto& s : all)
      if (s.ok) {
        ids.push_back(s.id);
        wall_of[s.id] = s.wall_send;
        first_wall = std::min<int64_t>(first_wall, s.wall_send);
      }
    for (size_t i = 0; i < ids.size(); i += 1000) {
      wire::ListJobs q;
      q.ids.assign(ids.begin() + i, ids.begin() + std::min(ids.size(), i + 1000));
      auto r = ctl.Call(q);
      if (!r.ok()) continue;
      auto* jl = std::get_if<wire::JobList>(&*r);
      if (!jl) continue;
      for (const auto& j : jl->jobs) {
        Time t0 = wall_of[j.id];
        if (j.start_time != kNoTime) dispatch_ms.push_back((j.start_time - t0) / 1e3);
        if (j.state == JobState::kCompleted) {
          ++completed;
          complete_ms.push_back((j.end_time - t0) / 1e3);
          last_end = std::max<int64_t>(last_end, j.end_time);
        }
      }
    }
    if (last_end > first_wall) completed_per_s = completed / ((last_end - first_wall) / 1e6);
    // Submit -> all ranks started: when musterd recorded RUNNING (every rank
    // reported started), from the job's events; an even sample of at most
    // 2,000 jobs keeps this cheap.
    const size_t step = std::max<size_t>(1, ids.size() / 2000);
    for (size_t i = 0; i < ids.size(); i += step) {
      auto r = ctl.Call(wire::ListEvents{ids[i]});
      auto* events = r.ok() ? std::get_if<wire::EventList>(&*r) : nullptr;
      if (!events) continue;
      for (const JobEvent& e : events->events)
        if (e.to == JobState::kRunning) {
          start_ms.push_back((e.time - wall_of[ids[i]]) / 1e3);
          break;
        }
    }
    for (auto& a : real) Stop(a, 5000);
    agents_json = {{"kind", "real"}, {"binary", o.real_agents}};
  }
  int64_t musterd_stop_ns = MonoNs();
  Stop(d.child, 10000);
  json stats = ReadStats(d.state_dir);
  double musterd_life_s = (musterd_stop_ns - d.started_ns) / 1e9;

  double store_syncs = ProbeStoreSyncs(tmp + "/probe-db", o.probe_seconds);
  double fdatasyncs = ProbeFdatasync(tmp + "/probe.bin", o.probe_seconds);

  double window_s = (t_end - t_begin) / 1e9;
  uint64_t commits = stats.value("commits", uint64_t{0});
  json j;
  j["config"] = {{"agents", o.agents},
                 {"gpus_per_node", o.gpus_per_node},
                 {"clients", o.clients},
                 {"duration_s", o.duration},
                 {"mode", o.mode},
                 {"rate", o.rate},
                 {"jobs", o.jobs},
                 {"window", o.window},
                 {"job_nodes", o.job_nodes},
                 {"job_gpus", o.job_gpus},
                 {"job_seconds", o.job_seconds},
                 {"array", o.array},
                 {"curve", !o.insecure}};
  j["machine"] = {{"cpus", std::thread::hardware_concurrency()},
                  {"load_start", load_at_start},
                  {"load_end", load_at_end}};
  j["agents"] = agents_json;
  j["submitted"] = all.size();
  j["accepted"] = accepted;
  j["submits_per_s"] = submit_window_s > 0 ? accepted / submit_window_s : 0;
  j["submit_ack_latency_ms"] = Pct(PercentilesOf(ack_ms));
  j["dispatch_latency_ms"] = Pct(PercentilesOf(dispatch_ms));
  j["start_latency_ms"] = start_ms.empty() ? json(nullptr) : Pct(PercentilesOf(start_ms));
  if (!complete_ms.empty()) j["complete_latency_ms"] = Pct(PercentilesOf(complete_ms));
  j["completed"] = completed;
  j["completed_per_s"] = completed_per_s;
  j["drained"] = drained_ns > 0;
  j["drain_s"] = drained_ns > 0 ? (drained_ns - first_send) / 1e9 : -1;
  j["musterd_cpu_percent"] = window_s > 0 ? 100.0 * (cpu1 - cpu0) / window_s : 0;
  j["musterd_peak_rss_mib"] = peak_rss;
  // Simulated agents: those sent in whole seconds of the measured window
  // (musterd's total, over its whole life, is in musterd_stats). Real
  // agents: musterd's total over its life.
  j["heartbeats_per_s"] = heartbeats_per_s >= 0 ? heartbeats_per_s
                          : musterd_life_s > 0  ? stats.value("heartbeats", uint64_t{0}) / musterd_life_s
                                                : 0;
  j["commit_batch"] = {
      {"mean",
       commits ? static_cast<double>(stats.value("committed_turn_messages", uint64_t{0})) / commits : 0},
      {"max", stats.value("max_committed_turn_messages", uint64_t{0})},
      {"mean_ops", commits ? static_cast<double>(stats.value("commit_ops", uint64_t{0})) / commits : 0},
      {"max_ops", stats.value("max_commit_ops", uint64_t{0})}};
  {
    const auto cycles = stats.value("schedule_cycles", uint64_t{0});
    const auto full = stats.value("full_cycles", uint64_t{0});
    j["schedule_cycle_ms"] = {
        {"mean", cycles ? stats.value("cycle_us_total", uint64_t{0}) / 1000.0 / cycles : 0},
        {"max", stats.value("cycle_us_max", uint64_t{0}) / 1000.0},
        {"n", cycles},
        {"full_mean", full ? stats.value("full_cycle_us_total", uint64_t{0}) / 1000.0 / full : 0},
        {"full_max", stats.value("full_cycle_us_max", uint64_t{0}) / 1000.0},
        {"full_n", full}};
  }
  j["musterd_stats"] = stats;
  j["disk_synced_writes_per_s"] = store_syncs;
  j["disk_fdatasync_per_s"] = fdatasyncs;
  j["measure_window_s"] = window_s;
  j["register_s"] = register_s;

  auto p = [&](const char* k) {
    const json& v = j[k];
    if (v.is_null()) return std::string("n/a");
    char b[128];
    std::snprintf(b, sizeof b, "%.2f / %.2f / %.2f (n=%zu)", v["p50"].get<double>(), v["p99"].get<double>(),
                  v["max"].get<double>(), v["n"].get<size_t>());
    return std::string(b);
  };
  std::printf("muster-bench: %d %s agents x %d GPUs, %d clients, %s %.1fs%s, %s\n", o.agents,
              o.real_agents.empty() ? "simulated" : "real", o.gpus_per_node, o.clients, o.mode.c_str(),
              o.duration, o.array ? (", arrays of " + std::to_string(o.array)).c_str() : "",
              o.insecure ? "no keys (--insecure)" : "CURVE");
  std::printf("  load (1/5/15 min)           %s -> %s\n", load_at_start.c_str(), load_at_end.c_str());
  std::printf("  durable submits/s           %.0f  (%zu accepted of %zu)\n", j["submits_per_s"].get<double>(),
              accepted, all.size());
  std::printf("  submit ack ms p50/p99/max   %s\n", p("submit_ack_latency_ms").c_str());
  std::printf("  submit->dispatch ms         %s\n", p("dispatch_latency_ms").c_str());
  std::printf("  submit->all started ms      %s\n", p("start_latency_ms").c_str());
  if (j.contains("complete_latency_ms"))
    std::printf("  submit->completed ms        %s\n", p("complete_latency_ms").c_str());
  std::printf("  jobs completed/s            %.0f  (%lld completed%s)\n", completed_per_s,
              static_cast<long long>(completed), drained_ns ? "" : ", NOT drained");
  std::printf("  musterd CPU %%               %.1f\n", j["musterd_cpu_percent"].get<double>());
  std::printf("  musterd peak RSS MiB        %.1f\n", peak_rss);
  std::printf("  heartbeats/s handled        %.0f\n", j["heartbeats_per_s"].get<double>());
  std::printf("  commit batch mean/max msgs  %.1f / %llu  (%llu commits)\n",
              j["commit_batch"]["mean"].get<double>(),
              static_cast<unsigned long long>(j["commit_batch"]["max"].get<uint64_t>()),
              static_cast<unsigned long long>(commits));
  const json& cyc = j["schedule_cycle_ms"];
  std::printf("  schedule cycle ms mean/max  %.2f / %.2f  (%llu cycles; full: %.2f / %.2f, %llu)\n",
              cyc["mean"].get<double>(), cyc["max"].get<double>(),
              static_cast<unsigned long long>(cyc["n"].get<uint64_t>()), cyc["full_mean"].get<double>(),
              cyc["full_max"].get<double>(), static_cast<unsigned long long>(cyc["full_n"].get<uint64_t>()));
  std::printf("  disk synced writes/s        %.0f  (RocksDB, one sync per write; raw fdatasync %.0f)\n",
              store_syncs, fdatasyncs);
  std::fflush(stdout);
  if (!o.json_path.empty()) std::ofstream(o.json_path) << j.dump(2) << "\n";
  if (o.keep)
    std::cerr << "muster-bench: state kept in " << tmp << "\n";
  else
    RemoveTree(tmp);
  return 0;
}

// ------------------------------------------------------------ recovery mode

Job HistoricJob(JobId id, Time t, JobState state) {
  Job j;
  j.id = id;
  j.spec.name = "train-" + std::to_string(id % 1000);
  j.spec.user = "bench";
  j.spec.team = "team-" + std::to_string(id % 16);
  j.spec.queue = "default";
  j.spec.argv = {"python", "train.py", "--epochs", "10"};
  j.spec.env = {{"MODEL", "resnet50"}};
  j.spec.nodes = 1;
  j.spec.gpus_per_node = 1;
  j.spec.time_limit = 3600 * kSecond;
  j.state = state;
  j.submit_time = t;
  if (IsFinal(state)) {
    j.attempt = 1;
    j.start_time = t + kSecond;
    j.end_time = t + 60 * kSecond;
    j.placement = {{"node-" + std::to_string(id % 64), {static_cast<int32_t>(id % 8)}}};
  }
  return j;
}

Status Fill(store::StateStore& s, JobId first, int64_t count, JobState state, JobId next_id) {
  Time t = SystemClock().Now() - 30 * kDay;
  for (int64_t i = 0; i < count;) {
    store::WriteSet ws;
    for (int k = 0; k < 10000 && i < count; ++k, ++i) {
      JobId id = first + i;
      ws.Put(HistoricJob(id, t + id * kMillisecond, state));
      ws.Append({id, t, JobState::kPending, JobState::kPending, "submitted"});
      if (IsFinal(state)) ws.Append({id, t, JobState::kRunning, state, "all ranks exited 0"});
    }
    ws.SetNextId(next_id);
    MUSTER_RETURN_IF_ERROR(s.Commit(ws));
  }
  return Status::Ok();
}

// Starts musterd on `state_dir` and times it until it answers a request.
json TimeStartup(const Options& o, const std::string& state_dir, const std::string& log) {
  int64_t t0 = MonoNs();
  Musterd d;
  if (!StartMusterd(o, state_dir, log, &d)) return {{"error", "musterd did not start"}};
  int64_t t_listen = MonoNs();
  transport::Client c(d.endpoint, 600000, g_auth.ClientKeys());
  auto r = c.Call(wire::ListQueues{});
  int64_t t_answer = MonoNs();
  json j = {{"startup_s", (t_answer - t0) / 1e9},
            {"until_listening_s", (t_listen - t0) / 1e9},
            {"rss_mib", RssMiB(d.child.pid)},
            {"peak_rss_mib", PeakRssMiB(d.child.pid)},
            {"answered", r.ok()}};
  if (r.ok())
    if (auto* ql = std::get_if<wire::QueueList>(&*r)) {
      int64_t pending = 0;
      for (const auto& q : ql->queues) pending += q.pending;
      j["pending_seen"] = pending;
    }
  Stop(d.child, 30000);
  return j;
}

int RunRecovery(const Options& o) {
  std::string tmp = MakeTempDir();
  std::string state = tmp + "/state";
  std::filesystem::create_directories(state);
  if (!o.insecure && !MakeAuth(o, tmp)) {
    std::cerr << "muster-bench: cannot write keys in " << tmp << "\n";
    return 1;
  }
  std::string load_at_start = Load1();
  int64_t t_fill = MonoNs();
  {
    // Filled through the store API, unsynced (only the fill; musterd syncs).
    auto s = store::OpenRocksDbStore({state + "/db", false});
    if (!s.ok()) {
      std::cerr << "muster-bench: " << s.status().ToString() << "\n";
      return 1;
    }
    Status st = Fill(**s, 1, o.history, JobState::kCompleted, o.history + 1);
    if (!st.ok()) {
      std::cerr << "muster-bench: filling: " << st.ToString() << "\n";
      return 1;
    }
  }
  double fill_history_s = (MonoNs() - t_fill) / 1e9;
  std::cerr << "muster-bench: " << o.history << " finished jobs written in " << fill_history_s << " s\n";
  json history_only = TimeStartup(o, state, tmp + "/musterd.log");
  {
    auto s = store::OpenRocksDbStore({state + "/db", false});
    if (!s.ok()) return 1;
    Status st = Fill(**s, o.history + 1, o.pending, JobState::kPending, o.history + o.pending + 1);
    if (!st.ok()) {
      std::cerr << "muster-bench: filling: " << st.ToString() << "\n";
      return 1;
    }
  }
  json with_pending = TimeStartup(o, state, tmp + "/musterd.log");
  json j;
  j["machine"] = {
      {"cpus", std::thread::hardware_concurrency()}, {"load_start", load_at_start}, {"load_end", Load1()}};
  j["history"] = o.history;
  j["pending"] = o.pending;
  j["fill_history_s"] = fill_history_s;
  j["history_only"] = history_only;
  j["with_pending"] = with_pending;
  double per_pending_kib = 0;
  if (o.pending > 0 && history_only.contains("rss_mib") && with_pending.contains("rss_mib"))
    per_pending_kib = (with_pending["rss_mib"].get<double>() - history_only["rss_mib"].get<double>()) * 1024 /
                      static_cast<double>(o.pending);
  j["rss_kib_per_pending_job"] = per_pending_kib;
  j["recovery_s"] = with_pending.value("startup_s", -1.0);
  std::printf("muster-bench --recovery: %lld finished + %lld pending jobs\n",
              static_cast<long long>(o.history), static_cast<long long>(o.pending));
  std::printf("  load (1/5/15 min)               %s -> %s\n", load_at_start.c_str(), Load1().c_str());
  std::printf("  start-up, history only          %.2f s, RSS %.1f MiB\n",
              history_only.value("startup_s", -1.0), history_only.value("rss_mib", 0.0));
  std::printf("  start-up, history + pending     %.2f s, RSS %.1f MiB\n",
              with_pending.value("startup_s", -1.0), with_pending.value("rss_mib", 0.0));
  std::printf("  memory per pending job          %.2f KiB\n", per_pending_kib);
  std::fflush(stdout);
  if (!o.json_path.empty()) std::ofstream(o.json_path) << j.dump(2) << "\n";
  if (o.keep)
    std::cerr << "muster-bench: state kept in " << tmp << "\n";
  else
    RemoveTree(tmp);
  return 0;
}

}  // namespace
}  // namespace muster::bench

int main(int argc, char** argv) {
  using namespace muster::bench;
  muster::SetLogLevel(muster::LogLevel::kWarning);
  Options o;
  po::options_description desc("muster-bench options");
  desc.add_options()("help,h", "show this help")("musterd", po::value(&o.musterd),
                                                 "path of the musterd binary (required)")(
      "agents", po::value(&o.agents)->default_value(4), "nodes (simulated unless --real-agents)")(
      "gpus-per-node", po::value(&o.gpus_per_node)->default_value(8), "GPUs per node")(
      "clients", po::value(&o.clients)->default_value(4), "concurrent submitting clients")(
      "duration", po::value(&o.duration)->default_value(5), "seconds of submitting")(
      "mode", po::value(&o.mode)->default_value("burst"),
      "steady (--rate jobs/s) | burst (as fast as possible)")("rate", po::value(&o.rate)->default_value(1000),
                                                              "steady mode: submits/s over all clients")(
      "jobs", po::value(&o.jobs)->default_value(0),
      "burst mode: submit exactly this many (0: for --duration)")(
      "window", po::value(&o.window)->default_value(256), "outstanding submits per client (pipelining)")(
      "job-nodes", po::value(&o.job_nodes)->default_value(1), "nodes per job (2 with --job-gpus 8: a gang)")(
      "job-gpus", po::value(&o.job_gpus)->default_value(1), "GPUs per node per job")(
      "job-seconds", po::value(&o.job_seconds)->default_value(0), "run time of a job (0: /bin/true)")(
      "array", po::value(&o.array)->default_value(0), "submit arrays of this many tasks (0: single jobs)")(
      "real-agents", po::value(&o.real_agents),
      "path of muster-agent: run --agents real agents with fake GPUs")(
      "drain-timeout", po::value(&o.drain_timeout)->default_value(60),
      "seconds to wait for the queue to empty")(
      "json", po::value(&o.json_path), "write the figures as JSON here")("keep", po::bool_switch(&o.keep),
                                                                         "keep the temporary state dir")(
      "probe-seconds", po::value(&o.probe_seconds)->default_value(1), "length of each disk probe")(
      "insecure", po::bool_switch(&o.insecure), "run musterd and every client without keys (for comparison)")(
      "recovery", po::bool_switch(&o.recovery), "time musterd's start-up over --history and --pending jobs")(
      "history", po::value(&o.history)->default_value(1000000), "recovery: finished jobs")(
      "pending", po::value(&o.pending)->default_value(100000), "recovery: pending jobs");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "muster-bench: " << e.what() << "\n" << desc;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << "usage: muster-bench --musterd PATH [options]\n" << desc;
    return 0;
  }
  if (o.musterd.empty() || o.agents < 1 || o.clients < 1 || (o.mode != "steady" && o.mode != "burst")) {
    std::cerr << "muster-bench: need --musterd PATH, --agents >= 1, --clients >= 1, --mode steady|burst\n"
              << desc;
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  return o.recovery ? RunRecovery(o) : RunLoad(o);
}
