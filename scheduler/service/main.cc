// musterd: the Muster scheduler daemon.
#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/base/strings.h"
#include "common/config/options.h"
#include "common/transport/zmq_router.h"
#include "scheduler/service/access.h"
#include "scheduler/service/http_gateway.h"
#include "scheduler/service/server.h"
#include "scheduler/store/state_store.h"

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};
void OnSignal(int) { g_stop.store(true); }
void OnHangup(int) { g_reload.store(true); }

// --insecure is for experiments on one machine: a loopback or ipc endpoint.
bool IsLoopback(const std::string& endpoint) {
  for (const char* p : {"tcp://127.", "tcp://localhost:", "tcp://[::1]:", "ipc://", "inproc://"})
    if (endpoint.rfind(p, 0) == 0) return true;
  return false;
}

std::string DefaultStateDir() {
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/state/muster";
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  using namespace muster;
  SetLogTag("musterd");

  // Every default comes from ServerOptions: the flags, the tests and the
  // in-process harness cannot drift apart.
  const service::ServerOptions defaults;
  po::options_description desc("musterd options");
  desc.add_options()("help,h", "show this help")("config", po::value<std::string>(),
                                                 "config file (key = value lines; the command line wins)")(
      "state-dir", po::value<std::string>()->default_value(DefaultStateDir()),
      "where the RocksDB state lives")("listen", po::value<std::string>()->default_value(defaults.listen),
                                       "ZeroMQ endpoint for clients and agents (port 0: any free port)")(
      "advertise", po::value<std::string>(),
      "the endpoint ranks on other hosts dial for the rendezvous (MUSTER_RDZV), e.g. tcp://sched-1:7600 "
      "(default: the bound one; a wildcard host becomes this host's name)")(
      "heartbeat-timeout",
      po::value<std::string>()->default_value(FormatDuration(defaults.heartbeat_timeout)),
      "a node with no heartbeat for this long is DOWN and its gangs are requeued")(
      "start-timeout", po::value<std::string>()->default_value(FormatDuration(defaults.start_timeout)),
      "a gang whose ranks have not all started this long after its launch is torn down and requeued")(
      "reserve-timeout", po::value<std::string>()->default_value(FormatDuration(defaults.reserve_timeout)),
      "a gang not reserved by all its nodes this long after its launch is aborted and requeued")(
      "heartbeat-interval",
      po::value<std::string>()->default_value(FormatDuration(defaults.heartbeat_interval_ms * kMillisecond)),
      "heartbeat period told to agents")(
      "checkpoint-root", po::value<std::string>(),
      "MUSTER_CHECKPOINT_DIR is <root>/<job id> (default <state-dir>/checkpoints; use a shared filesystem)")(
      "recent-finished", po::value<size_t>()->default_value(defaults.recent_finished),
      "finished jobs kept in memory")(
      "offpeak", po::value<std::vector<std::string>>()->composing(),
      "an off-peak window, repeatable: \"Mon-Fri 20:00-07:00\", \"Sat-Sun 00:00-24:00\"")(
      "timezone", po::value<std::string>()->default_value(defaults.timezone),
      "time zone of the off-peak windows (IANA name)")(
      "fair-share-half-life",
      po::value<std::string>()->default_value(FormatDuration(defaults.fair_share_half_life)),
      "decay half-life of fair-share usage")("backfill", po::value<bool>()->default_value(defaults.backfill),
                                             "EASY backfill (true|false)")(
      "queue-depth", po::value<size_t>()->default_value(defaults.queue_depth),
      "pending jobs per queue and team that each scheduling cycle considers, in priority order (0: all; "
      "like Slurm's default_queue_depth)")(
      "full-queue-depth", po::value<size_t>()->default_value(defaults.full_queue_depth),
      "the same for the full cycle once a second, which backfills and refreshes pending reasons (0: all; "
      "like Slurm's bf_max_job_test)")(
      "http-listen", po::value<std::string>(),
      "serve HTTP triggers (plain JSON and Alertmanager webhooks) on [HOST:]PORT; HOST defaults to "
      "127.0.0.1 (default: no HTTP)")(
      "http-tokens-file", po::value<std::string>(),
      "bearer tokens for HTTP triggers: one \"TEAM TOKEN\" per line; a team triggers only its own models "
      "(team * triggers any)")("http-model-label",
                               po::value<std::string>()->default_value(service::HttpOptions{}.model_label),
                               "the Alertmanager alert label that names the model to retrain")(
      "key", po::value<std::string>()->default_value("/etc/muster/server.key"),
      "musterd's CURVE key pair (muster keygen); clients and agents are given its public half")(
      "access", po::value<std::string>()->default_value("/etc/muster/access"),
      "who may connect: one \"user NAME KEY [teams=..] [admin=..] [operator]\" or \"node NAME KEY\" per line "
      "(docs/security.md); re-read on SIGHUP")(
      "max-jobs-per-user", po::value<size_t>()->default_value(defaults.max_jobs_per_user),
      "unfinished jobs and array tasks a user may have (operators: no limit; 0: none)")(
      "max-submit-rate", po::value<double>()->default_value(defaults.max_submits_per_user_per_s),
      "submits per second per user, in bursts of up to 4 seconds' worth (operators: no limit; 0: none)")(
      "allow-root-jobs", po::bool_switch(),
      "run jobs whose user is root as root on the nodes (refused by default)")(
      "insecure", po::bool_switch(),
      "no keys: anyone who can connect is trusted with everything (loopback endpoints only; experiments)")(
      "log-level", po::value<std::string>()->default_value(LogLevelName(LogLevel::kInfo)),
      "debug | info | warning | error");
  po::variables_map vm;
  switch (config::ParseCommandLine(argc, argv, "musterd",
                                   "[--state-dir DIR] [--listen ENDPOINT] [--config FILE]", desc, vm)) {
    case config::ParseOutcome::kExitOk:
      return 0;
    case config::ParseOutcome::kUsageError:
      return 2;
    case config::ParseOutcome::kRun:
      break;
  }

  auto level = ParseLogLevel(vm["log-level"].as<std::string>());
  if (!level) {
    std::cerr << "musterd: --log-level must be debug, info, warning or error\n";
    return 2;
  }
  SetLogLevel(*level);

  service::ServerOptions options;
  options.state_dir = vm["state-dir"].as<std::string>();
  options.listen = vm["listen"].as<std::string>();
  if (vm.count("advertise")) options.advertise = vm["advertise"].as<std::string>();
  options.recent_finished = vm["recent-finished"].as<size_t>();
  if (vm.count("checkpoint-root")) options.checkpoint_root = vm["checkpoint-root"].as<std::string>();
  if (vm.count("offpeak")) options.offpeak = vm["offpeak"].as<std::vector<std::string>>();
  options.timezone = vm["timezone"].as<std::string>();
  options.backfill = vm["backfill"].as<bool>();
  options.allow_root_jobs = vm["allow-root-jobs"].as<bool>();
  options.max_jobs_per_user = vm["max-jobs-per-user"].as<size_t>();
  options.max_submits_per_user_per_s = vm["max-submit-rate"].as<double>();
  options.submit_burst = 4 * options.max_submits_per_user_per_s;
  options.queue_depth = vm["queue-depth"].as<size_t>();
  options.full_queue_depth = vm["full-queue-depth"].as<size_t>();
  for (auto [flag, target] : {std::pair{"heartbeat-timeout", &options.heartbeat_timeout},
                              std::pair{"fair-share-half-life", &options.fair_share_half_life},
                              std::pair{"start-timeout", &options.start_timeout},
                              std::pair{"reserve-timeout", &options.reserve_timeout}}) {
    auto d = ParseDuration(vm[flag].as<std::string>());
    if (!d.ok() || *d <= 0) {
      std::cerr << "musterd: --" << flag << ": " << (d.ok() ? "must be positive" : d.status().message())
                << "\n";
      return 2;
    }
    *target = *d;
  }
  auto interval = ParseDuration(vm["heartbeat-interval"].as<std::string>());
  if (!interval.ok() || *interval < 10 * kMillisecond) {
    std::cerr << "musterd: --heartbeat-interval: use e.g. 1s or 200ms-or-more as 0:00:01\n";
    return 2;
  }
  options.heartbeat_interval_ms = static_cast<int32_t>(*interval / kMillisecond);

  std::optional<service::HttpOptions> http;
  if (vm.count("http-listen")) {
    http.emplace();
    if (Status st = service::ParseHttpListen(vm["http-listen"].as<std::string>(), &*http); !st.ok()) {
      std::cerr << "musterd: " << st.message() << "\n";
      return 2;
    }
    if (!vm.count("http-tokens-file")) {
      std::cerr << "musterd: --http-listen needs --http-tokens-file (no unauthenticated triggers)\n";
      return 2;
    }
    auto tokens = service::LoadHttpTokens(vm["http-tokens-file"].as<std::string>());
    if (!tokens.ok()) {
      std::cerr << "musterd: " << tokens.status().message() << "\n";
      return 2;
    }
    http->tokens = std::move(*tokens);
    http->model_label = vm["http-model-label"].as<std::string>();
  }

  // Every client and agent connection is a descriptor: the soft limit
  // (1,024 by default) would let idle connections lock agents out.
  if (rlimit rl{}; getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) MLOG(Warning) << "could not raise the open-file limit";
  }
  std::error_code ec;
  std::filesystem::create_directories(options.state_dir, ec);
  if (ec) {
    std::cerr << "musterd: cannot create state dir " << options.state_dir << ": " << ec.message() << "\n";
    return 1;
  }
  auto store = store::OpenRocksDbStore({options.state_dir + "/db", true});
  if (!store.ok()) {
    std::cerr << "musterd: " << store.status().message() << "\n";
    return 1;
  }
  // Who may connect: every key from the access file, plus the keys musterd
  // makes itself (ranks, the HTTP gateway). --insecure: nobody is asked.
  std::shared_ptr<service::AccessTable> access;
  std::optional<transport::CurveServer> curve;
  const bool insecure = vm["insecure"].as<bool>();
  if (insecure) {
    if (!IsLoopback(options.listen) || (http && http->host != "127.0.0.1" && http->host != "localhost")) {
      std::cerr << "musterd: --insecure only on a loopback endpoint (" << options.listen
                << "): without keys anyone who can connect may do anything\n";
      return 2;
    }
    MLOG(Warning) << "--insecure: connections are not authenticated and every request is trusted";
  } else {
    auto keys = transport::curve::ReadSecretFile(vm["key"].as<std::string>());
    if (!keys.ok()) {
      std::cerr << "musterd: " << keys.status().message()
                << " (make one with `muster keygen`; --insecure for a loopback experiment)\n";
      return 1;
    }
    auto table = service::AccessTable::Load(*keys, vm["access"].as<std::string>());
    if (!table.ok()) {
      std::cerr << "musterd: " << table.status().message() << "\n";
      return 1;
    }
    access = std::move(*table);
    curve = transport::CurveServer{*keys,
                                   [access](const transport::curve::Key& k) { return access->Authorize(k); }};
    if (http) http->musterd_keys = transport::curve::ClientKeys{access->GatewayKeys(), keys->public_key};
  }
  auto router = transport::BindZmqRouter(options.listen, std::move(curve));
  if (!router.ok()) {
    std::cerr << "musterd: " << router.status().message() << "\n";
    return 1;
  }
  SystemClock clock;
  auto server = service::Server::Create(options, std::move(*store), std::move(*router), clock, access);
  if (!server.ok()) {
    std::cerr << "musterd: " << server.status().message() << "\n";
    return 1;
  }

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction hup {};
  hup.sa_handler = OnHangup;
  sigemptyset(&hup.sa_mask);
  sigaction(SIGHUP, &hup, nullptr);

  std::printf("musterd listening on %s\n", (*server)->endpoint().c_str());
  std::unique_ptr<service::HttpGateway> gateway;
  if (http) {
    // The gateway is a client of this musterd, over its own socket.
    std::string self = (*server)->endpoint();
    if (auto any = self.find("0.0.0.0"); any != std::string::npos) self.replace(any, 7, "127.0.0.1");
    auto started = service::HttpGateway::Start(*http, self);
    if (!started.ok()) {
      std::cerr << "musterd: " << started.status().message() << "\n";
      return 1;
    }
    gateway = std::move(*started);
    std::printf("musterd http on %s:%d\n", http->host.c_str(), gateway->port());
    MLOG(Info) << "serving HTTP triggers on " << http->host << ":" << gateway->port();
  }
  std::fflush(stdout);
  MLOG(Info) << "state in " << options.state_dir << ", listening on " << (*server)->endpoint();
  // The access file is re-read on SIGHUP, off the loop (the table is shared
  // with the ZAP handler under its own lock).
  std::thread reloader([&] {
    while (!g_stop.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!g_reload.exchange(false) || !access) continue;
      Status st = access->Reload(vm["access"].as<std::string>());
      if (st.ok())
        MLOG(Info) << "re-read the access file " << vm["access"].as<std::string>();
      else
        MLOG(Error) << "kept the old access table: " << st.message();
    }
  });
  Status st = (*server)->Run(g_stop);
  g_stop = true;
  reloader.join();
  {
    // The loop's counters (group-commit batch sizes, heartbeats) for
    // muster-bench and operators; written at every exit, replaced each time.
    std::ofstream stats(options.state_dir + "/stats.json", std::ios::trunc);
    stats << service::StatsJson((*server)->stats()) << "\n";
  }
  if (!st.ok()) {
    std::cerr << "musterd: " << st.ToString() << "\n";
    return 1;
  }
  return 0;
}
