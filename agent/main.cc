// muster-agent: one per GPU node. Discovers GPUs, registers with musterd,
// heartbeats, launches and supervises ranks (docs/protocol.md).
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

#include "agent/gpu/fake_gpu_probe.h"
#include "agent/gpu/nvml_gpu_probe.h"
#include "agent/runtime/process_launcher.h"
#include "agent/service/agent_service.h"
#include "common/base/job_spec.h"
#include "common/base/log.h"
#include "common/base/strings.h"
#include "common/config/options.h"

namespace po = boost::program_options;
using namespace muster;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr const char* kProgram = "muster-agent";

std::string DefaultScheduler() {
  const char* env = std::getenv("MUSTER_SCHEDULER");
  return env && *env ? env : "tcp://127.0.0.1:7600";
}

std::string Hostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

std::string DefaultWorkDir(const std::string& name) {
  const char* home = std::getenv("HOME");
  std::filesystem::path base = home && *home ? home : "/tmp";
  return (base / ".local" / "state" / "muster-agent" / name).string();
}

int Usage(const std::string& message) {
  std::cerr << kProgram << ": " << message << "\n(try " << kProgram << " --help)\n";
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  SetLogTag(kProgram);
  const std::string hostname = Hostname();

  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("scheduler", po::value<std::string>()->default_value(DefaultScheduler()),
     "musterd endpoint (env MUSTER_SCHEDULER)")
    ("name", po::value<std::string>()->default_value(hostname), "node name")
    ("key", po::value<std::string>()->default_value("/etc/muster/node.key"),
     "this node's CURVE key pair (muster keygen); musterd's access file binds its public half to --name")
    ("server-key", po::value<std::string>()->default_value("/etc/muster/server.pub"), "musterd's public key")
    ("insecure", po::bool_switch(), "no keys (only against musterd --insecure, on loopback)")
    ("pass-env", po::value<std::string>()->default_value(""),
     "variables of the agent's own environment that every rank gets, e.g. http_proxy,NCCL_SOCKET_IFNAME "
     "(nothing else of it reaches a rank)")
    ("fake-gpus", po::value<int>()->default_value(0),
     "pretend to have N GPUs instead of asking NVML (no driver needed)")
    ("fake-unhealthy-gpus", po::value<std::string>()->default_value(""),
     "with --fake-gpus: these fake GPUs (e.g. 1,3) report themselves unhealthy (tests)")
    ("labels", po::value<std::string>()->default_value(""),
     "node labels for placement, e.g. rack=r1,switch=s1")
    ("work-dir", po::value<std::string>(),
     "rank logs and job dirs (default $HOME/.local/state/muster-agent/<name>)")
    ("address", po::value<std::string>()->default_value("127.0.0.1"),
     "address other nodes reach this one at (MASTER_ADDR when it hosts rank 0)")
    ("heartbeat-ms", po::value<int>()->default_value(0),
     "heartbeat interval in ms; 0: the interval musterd asks for (1000)")
    ("reserve-ttl-ms", po::value<int>()->default_value(agent::AgentOptions{}.reserve_ttl_ms),
     "drop a gang reservation that musterd neither committed nor aborted within this many ms "
     "(keep it above musterd's --reserve-timeout); a later commit is refused")
    ("config", po::value<std::string>(), "config file (key = value; the command line wins)")
    ("log-level", po::value<std::string>()->default_value(LogLevelName(LogLevel::kInfo)), "debug|info|warning|error");
  // clang-format on
  po::variables_map vm;
  switch (config::ParseCommandLine(
      argc, argv, kProgram, "[--scheduler ENDPOINT] [--name NODE] [--fake-gpus N] [options]", desc, vm)) {
    case config::ParseOutcome::kExitOk:
      return kExitOk;
    case config::ParseOutcome::kUsageError:
      return kExitUsage;
    case config::ParseOutcome::kRun:
      break;
  }

  const std::string level = vm["log-level"].as<std::string>();
  if (auto parsed = ParseLogLevel(level))
    SetLogLevel(*parsed);
  else
    return Usage("bad --log-level '" + level + "' (debug|info|warning|error)");

  agent::AgentOptions opt;
  opt.scheduler_endpoint = vm["scheduler"].as<std::string>();
  opt.node_name = vm["name"].as<std::string>();
  opt.address = vm["address"].as<std::string>();
  if (!IsValidName(opt.node_name))
    return Usage("bad node name '" + opt.node_name + "': 1 to 64 of A-Z a-z 0-9 . _ - (pass --name)");
  if (opt.address.empty()) return Usage("--address must not be empty");
  auto labels = ParseKeyValues(vm["labels"].as<std::string>());
  if (!labels.ok()) return Usage("bad --labels: " + labels.status().message());
  for (const auto& [key, value] : *labels) {
    if (!IsValidName(key))
      return Usage("bad --labels: key '" + key + "' must be 1 to 64 of A-Z a-z 0-9 . _ -");
    opt.labels[key] = value;
  }
  const int fake_gpus = vm["fake-gpus"].as<int>();
  if (fake_gpus < 0 || fake_gpus > kMaxGpusPerNode)
    return Usage("--fake-gpus must be 0.." + std::to_string(kMaxGpusPerNode));
  const std::string unhealthy_text = vm["fake-unhealthy-gpus"].as<std::string>();
  if (!unhealthy_text.empty() && fake_gpus == 0) return Usage("--fake-unhealthy-gpus needs --fake-gpus");
  auto unhealthy = agent::ParseGpuIndexList(unhealthy_text, fake_gpus);
  if (!unhealthy.ok()) return Usage("bad --fake-unhealthy-gpus: " + unhealthy.status().message());
  opt.heartbeat_ms = vm["heartbeat-ms"].as<int>();
  if (opt.heartbeat_ms < 0) return Usage("--heartbeat-ms must be >= 0");
  opt.reserve_ttl_ms = vm["reserve-ttl-ms"].as<int>();
  if (opt.reserve_ttl_ms <= 0) return Usage("--reserve-ttl-ms must be > 0");
  opt.work_dir = vm.count("work-dir") ? vm["work-dir"].as<std::string>() : DefaultWorkDir(opt.node_name);
  for (const std::string& name : Split(vm["pass-env"].as<std::string>(), ','))
    if (!name.empty()) opt.pass_env.push_back(name);
  // As root, ranks run as their job's user; otherwise every rank runs as
  // this agent's user, whoever submitted it (a single-user node).
  // --insecure: nobody is authenticated, so nobody is switched to either.
  opt.switch_user = geteuid() == 0 && !vm["insecure"].as<bool>();
  if (!opt.switch_user)
    MLOG(Warning) << "ranks run as this agent's own user (not root, or --insecure): only that user's jobs "
                     "start here";
  if (!vm["insecure"].as<bool>()) {
    auto keys =
        transport::curve::ReadClientKeys(vm["key"].as<std::string>(), vm["server-key"].as<std::string>());
    if (!keys.ok()) {
      std::cerr << kProgram << ": " << keys.status().message() << "\n";
      return kExitFailure;
    }
    opt.keys = *keys;
  }

  // Block the signals we read through signalfds before any thread exists, so
  // every thread inherits the mask: ZeroMQ starts I/O threads, and NVML
  // leaves threads behind that would otherwise take a SIGTERM's default
  // action (seen on an H100 node: the agent died instead of stopping).
  sigset_t stop_mask, all_mask;
  sigemptyset(&stop_mask);
  sigaddset(&stop_mask, SIGTERM);
  sigaddset(&stop_mask, SIGINT);
  all_mask = stop_mask;
  sigaddset(&all_mask, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &all_mask, nullptr);
  signal(SIGCHLD, SIG_DFL);  // an inherited SIG_IGN would auto-reap our ranks
  signal(SIGPIPE, SIG_IGN);  // a closed stdout must not kill the agent (ranks get it back)
  int stop_fd = signalfd(-1, &stop_mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (stop_fd < 0) {
    std::cerr << kProgram << ": signalfd: " << std::strerror(errno) << "\n";
    return kExitFailure;
  }
  opt.stop_fd = stop_fd;

  // GPUs: fake when asked, NVML otherwise; none is an error, not a 0-GPU node.
  std::shared_ptr<agent::GpuProbe> probe;
  if (fake_gpus > 0)
    probe = std::make_shared<agent::FakeGpuProbe>(fake_gpus, opt.node_name, *unhealthy);
  else
    probe = std::make_shared<agent::NvmlGpuProbe>();
  auto gpus = probe->Discover();
  if (!gpus.ok() || gpus->empty()) {
    std::cerr << kProgram << ": no GPUs found ("
              << (gpus.ok() ? std::string("NVML lists none") : gpus.status().message())
              << "); pass --fake-gpus N to run without GPUs\n";
    return kExitFailure;
  }
  const size_t gpu_count = gpus->size();
  for (const auto& g : *gpus)
    if (!g.healthy) MLOG(Warning) << "GPU " << g.index << " is unhealthy: " << g.health_reason;
  // Utilization, memory in use and health ride on the heartbeats.
  opt.sample_gpus = [probe] { return probe->Sample(); };

  auto launcher = agent::ProcessLauncher::Create();
  if (!launcher.ok()) {
    std::cerr << kProgram << ": " << launcher.status().message() << "\n";
    return kExitFailure;
  }
  const std::string endpoint = opt.scheduler_endpoint;
  const std::string name = opt.node_name;
  opt.on_registered = [&] {
    std::cout << kProgram << " " << name << " registered with " << endpoint << " (" << gpu_count << " GPUs)"
              << std::endl;
  };
  const std::string work_dir = opt.work_dir;
  auto service = agent::AgentService::Create(std::move(opt), std::move(*gpus), **launcher);
  if (!service.ok()) {
    std::cerr << kProgram << ": " << service.status().message() << "\n";
    return service.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  MLOG(Info) << "node " << name << " with " << gpu_count << " GPUs, work dir " << work_dir << ", musterd at "
             << endpoint;
  Status st = (*service)->Run();
  service->reset();
  close(stop_fd);
  if (!st.ok()) {
    MLOG(Error) << st.ToString();
    return kExitFailure;
  }
  MLOG(Info) << "stopped";
  return kExitOk;
}
