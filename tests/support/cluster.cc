#include "tests/support/cluster.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef MUSTER_TEST_MUSTERD_BIN
#define MUSTER_TEST_MUSTERD_BIN ""
#endif
#ifndef MUSTER_TEST_AGENT_BIN
#define MUSTER_TEST_AGENT_BIN ""
#endif
#ifndef MUSTER_TEST_CLI_BIN
#define MUSTER_TEST_CLI_BIN ""
#endif

namespace muster::testing {
namespace {

constexpr const char* kTokenVar = "MUSTER_TEST_TOKEN";
constexpr const char* kListeningPrefix = "musterd listening on ";

std::string BinaryPath(const char* built, const char* name) {
  const char* dir = getenv("MUSTER_BIN_DIR");
  if (dir && *dir) return std::string(dir) + "/" + name;
  return built;
}

std::string NewToken() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  std::ostringstream os;
  os << getpid() << "-" << counter++ << "-" << std::hex << rd();
  return os.str();
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

}  // namespace

std::string MusterdBinary() { return BinaryPath(MUSTER_TEST_MUSTERD_BIN, "musterd"); }
std::string AgentBinary() { return BinaryPath(MUSTER_TEST_AGENT_BIN, "muster-agent"); }
std::string CliBinary() { return BinaryPath(MUSTER_TEST_CLI_BIN, "muster"); }

std::string MissingBinaries() {
  std::string missing;
  for (const auto& b : {MusterdBinary(), AgentBinary(), CliBinary()}) {
    if (b.empty() || access(b.c_str(), X_OK) != 0) missing += (b.empty() ? "(not built)" : b) + " ";
  }
  return missing;
}

bool PollUntil(const std::function<bool()>& cond, Millis timeout, Millis interval) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

bool IsFinalState(const std::string& s) {
  return s == "COMPLETED" || s == "FAILED" || s == "CANCELLED" || s == "TIMEOUT";
}

// ---- TestCluster ----------------------------------------------------------------

TestCluster::TestCluster(ClusterOptions options)
    : options_(std::move(options)), dir_("muster-it"), token_(NewToken()) {
  dir_.MakeSub("scratch");
  agents_.resize(options_.agents);
  const passwd* pw = getpwuid(getuid());
  operator_ = pw && pw->pw_name ? pw->pw_name : "ops";
  if (!options_.insecure) MakeKeys();
}

void TestCluster::MakeKeys() {
  namespace curve = transport::curve;
  dir_.MakeSub("keys");
  auto check = [](Status st) {
    if (!st.ok()) throw std::runtime_error("cannot write test keys: " + st.message());
  };
  server_keys_ = curve::GenerateKeyPair();
  check(curve::WriteSecretFile(dir_.Sub("keys/server.key"), server_keys_));
  check(curve::WritePublicFile(ServerPublicFile(), server_keys_.public_key));
  std::ostringstream access;
  access << "# made by tests/support/cluster.cc\n";
  std::vector<ClusterUser> users = options_.users;
  users.insert(users.begin(), ClusterUser{operator_, "", "", true});
  for (const ClusterUser& u : users) {
    curve::KeyPair k = curve::GenerateKeyPair();
    check(curve::WriteSecretFile(KeyFile(u.name), k));
    access << "user " << u.name << " " << curve::Z85(k.public_key)
           << (u.teams.empty() ? "" : " teams=" + u.teams) << (u.admin.empty() ? "" : " admin=" + u.admin)
           << (u.is_operator ? " operator" : "") << "\n";
  }
  for (int i = 0; i < options_.agents; ++i) {
    curve::KeyPair k = curve::GenerateKeyPair();
    check(curve::WriteSecretFile(NodeKeyFile(i), k));
    access << "node " << AgentName(i) << " " << curve::Z85(k.public_key) << "\n";
  }
  std::ofstream(AccessFile()) << access.str();
}

std::optional<transport::curve::ClientKeys> TestCluster::Keys(const std::string& user) const {
  if (options_.insecure) return std::nullopt;
  auto keys = transport::curve::ReadClientKeys(KeyFile(user.empty() ? operator_ : user), ServerPublicFile());
  if (!keys.ok()) throw std::runtime_error(keys.status().ToString());
  return *keys;
}

transport::curve::ClientKeys TestCluster::UnknownKeys() const {
  return {transport::curve::GenerateKeyPair(), server_keys_.public_key};
}

TestCluster::~TestCluster() {
  if (::testing::Test::HasFailure()) {
    std::cerr << "---- cluster diagnostics (" << dir_.path() << ") ----\n" << Diagnostics() << std::endl;
  }
  // Fast and thorough rather than graceful: agents die at once (their ranks
  // follow through PDEATHSIG), musterd gets a bounded SIGTERM, then every
  // process still carrying this cluster's token (stray grandchildren) is
  // killed.
  for (auto& a : agents_) {
    if (a) a->Kill9();
  }
  agents_.clear();
  musterd_.reset();
  KillProcessesWithEnv(kTokenVar, token_, Millis(2000));
}

void TestCluster::Start() {
  StartMusterd();
  for (int i = 0; i < options_.agents; ++i) StartAgent(i);
  if (!WaitForNodesUp(options_.agents)) {
    throw std::runtime_error("not all " + std::to_string(options_.agents) +
                             " agents UP in `muster nodes`: " + Cli({"nodes"}).Describe());
  }
}

void TestCluster::StartMusterd() {
  if (musterd_ && !musterd_->Exited()) throw std::runtime_error("musterd is already running");
  std::string missing = MissingBinaries();
  if (!missing.empty()) throw std::runtime_error("binaries not found: " + missing);
  const bool first = endpoint_.empty();
  std::vector<std::string> args = {"--state-dir",
                                   state_dir(),
                                   "--listen",
                                   first ? "tcp://127.0.0.1:0" : endpoint_,
                                   "--heartbeat-timeout",
                                   options_.heartbeat_timeout};
  if (options_.insecure) {
    args.push_back("--insecure");
  } else {
    for (const std::string& a :
         {std::string("--key"), dir_.Sub("keys/server.key"), std::string("--access"), AccessFile()})
      args.push_back(a);
  }
  // The default operator is the UNIX user running the tests, often root.
  if (operator_ == "root" && options_.allow_root_jobs) args.push_back("--allow-root-jobs");
  args.insert(args.end(), options_.musterd_args.begin(), options_.musterd_args.end());
  SpawnOptions so;
  so.env[kTokenVar] = token_;
  so.stderr_path = musterd_log();
  // A restart may race with the old socket's teardown: retry a few times.
  for (int attempt = 0; attempt < 5; ++attempt) {
    musterd_ = Process::Spawn(MusterdBinary(), args, so);
    auto line = musterd_->WaitForLine(kListeningPrefix, options_.startup_timeout);
    if (line) {
      std::string ep = line->substr(std::string(kListeningPrefix).size());
      while (!ep.empty() && (ep.back() == '\r' || ep.back() == ' ')) ep.pop_back();
      if (first) {
        endpoint_ = ep;
      } else if (ep != endpoint_) {
        throw std::runtime_error("musterd restarted on " + ep + ", not on " + endpoint_);
      }
      return;
    }
    if (!musterd_->Wait(Millis(200))) break;  // alive but silent: give up
    std::this_thread::sleep_for(Millis(300));
  }
  throw std::runtime_error("musterd did not print \"" + std::string(kListeningPrefix) + "...\"; stdout: [" +
                           musterd_->Stdout() + "] log: " + TailFile(musterd_log()));
}

void TestCluster::KillMusterd() {
  if (musterd_) musterd_->Kill9();
}

std::optional<int> TestCluster::StopMusterd(Millis timeout) {
  if (!musterd_) return std::nullopt;
  if (musterd_->Exited()) return musterd_->Wait(Millis(0));
  kill(musterd_->pid(), SIGTERM);
  return musterd_->Wait(timeout);
}

bool TestCluster::MusterdRunning() { return musterd_ && !musterd_->Exited(); }

int TestCluster::AgentIndex(const std::string& name) const {
  for (int i = 0; i < options_.agents; ++i) {
    if (AgentName(i) == name) return i;
  }
  return -1;
}

void TestCluster::StartAgent(int i) {
  if (endpoint_.empty()) throw std::runtime_error("start musterd before the agents");
  std::filesystem::create_directories(AgentWorkDir(i));
  std::vector<std::string> args = {"--scheduler", endpoint_, "--name", AgentName(i), "--fake-gpus",
                                   std::to_string(options_.gpus_per_agent), "--work-dir", AgentWorkDir(i),
                                   "--heartbeat-ms", std::to_string(options_.heartbeat_ms),
                                   // Ranks start with a clean environment; these two of the agent's
                                   // reach them (teardown finds them by the token).
                                   "--pass-env", std::string(kTokenVar) + ",MUSTER_TEST_NODE"};
  if (options_.insecure) {
    args.push_back("--insecure");
  } else {
    for (const std::string& a :
         {std::string("--key"), NodeKeyFile(i), std::string("--server-key"), ServerPublicFile()})
      args.push_back(a);
  }
  if (i < static_cast<int>(options_.labels.size()) && !options_.labels[i].empty()) {
    args.push_back("--labels");
    args.push_back(options_.labels[i]);
  }
  if (i < static_cast<int>(options_.agent_args.size()))
    args.insert(args.end(), options_.agent_args[i].begin(), options_.agent_args[i].end());
  SpawnOptions so;
  // Ranks get these two of the agent's environment (--pass-env): the token
  // finds them (and their grandchildren) in teardown, MUSTER_TEST_NODE tells
  // a rank where it runs.
  so.env[kTokenVar] = token_;
  so.env["MUSTER_TEST_NODE"] = AgentName(i);
  for (const auto& [k, v] : options_.agent_env) so.env[k] = v;
  so.stderr_path = AgentLog(i);
  agents_.at(i) = Process::Spawn(AgentBinary(), args, so);
  std::string prefix = "muster-agent " + AgentName(i) + " registered";
  if (!agents_[i]->WaitForLine(prefix, options_.startup_timeout)) {
    throw std::runtime_error("agent " + AgentName(i) + " did not print \"" + prefix + " ...\"; stdout: [" +
                             agents_[i]->Stdout() + "] log: " + TailFile(AgentLog(i)));
  }
}

void TestCluster::KillAgent(int i) {
  if (agents_.at(i)) {
    // Only the agent itself: its ranks lead their own groups and must die
    // because their parent did, not because we signalled them.
    kill(agents_[i]->pid(), SIGKILL);
    agents_[i]->Wait(Millis(5000));
  }
}

std::string TestCluster::RankLogPath(int agent, int64_t job, int rank) const {
  return AgentWorkDir(agent) + "/logs/" + std::to_string(job) + "/rank-" + std::to_string(rank) + ".log";
}

CommandResult TestCluster::Cli(const std::vector<std::string>& args) const {
  if (options_.insecure) return RunCli({"--insecure"}, args);
  return RunCli({"--key", KeyFile(operator_), "--server-key", ServerPublicFile()}, args);
}

CommandResult TestCluster::CliAs(const std::string& user, const std::vector<std::string>& args) const {
  return RunCli({"--key", KeyFile(user), "--server-key", ServerPublicFile()}, args);
}

CommandResult TestCluster::RunCli(const std::vector<std::string>& auth,
                                  const std::vector<std::string>& args) const {
  std::vector<std::string> full = {"--scheduler", endpoint_, "--timeout-ms",
                                   std::to_string(options_.cli_timeout_ms)};
  full.insert(full.end(), auth.begin(), auth.end());
  full.insert(full.end(), args.begin(), args.end());
  return RunCommand(CliBinary(), full, Millis(options_.cli_timeout_ms + 10000));
}

Json TestCluster::CliJson(std::vector<std::string> args) const {
  args.push_back("--json");
  CommandResult r = Cli(args);
  if (r.exit_code != 0) {
    throw std::runtime_error("muster " + Join(args) + ": " + r.Describe());
  }
  try {
    return Json::parse(r.out);
  } catch (const std::exception& e) {
    throw std::runtime_error("muster " + Join(args) + " printed invalid JSON (" + e.what() + "): " + r.out);
  }
}

int64_t TestCluster::Submit(std::vector<std::string> flags, const std::vector<std::string>& command) const {
  std::vector<std::string> args = {"submit", "--json"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.push_back("--");
  args.insert(args.end(), command.begin(), command.end());
  CommandResult r = Cli(args);
  if (r.exit_code != 0) throw std::runtime_error("muster " + Join(args) + ": " + r.Describe());
  try {
    Json j = Json::parse(r.out);
    return j.at("id").get<int64_t>();
  } catch (const std::exception& e) {
    throw std::runtime_error("muster submit --json printed no {\"id\": N} (" + std::string(e.what()) +
                             "): " + r.out);
  }
}

Json TestCluster::Jobs(const std::string& state) const {
  if (state.empty()) return CliJson({"jobs"});
  return CliJson({"jobs", "--state", state});
}

Json TestCluster::WaitForJobState(int64_t id, const std::string& state, Millis timeout) const {
  return WaitForJob(
      id,
      [&](const Json& j) {
        std::string s = j.value("state", "");
        return s == state || IsFinalState(s);
      },
      timeout);
}

Json TestCluster::WaitForJob(int64_t id, const std::function<bool(const Json&)>& pred, Millis timeout) const {
  Json last;
  PollUntil(
      [&] {
        CommandResult r = Cli({"show", std::to_string(id), "--json"});
        if (r.exit_code != 0) return false;  // e.g. musterd restarting
        try {
          last = Json::parse(r.out);
        } catch (const std::exception&) {
          return false;
        }
        return pred(last);
      },
      timeout);
  return last;
}

bool TestCluster::WaitForNodesUp(int count, Millis timeout) const {
  return PollUntil(
      [&] {
        CommandResult r = Cli({"nodes", "--json"});
        if (r.exit_code != 0) return false;
        try {
          int up = 0;
          for (const auto& n : Json::parse(r.out)) up += n.value("state", "") == "UP";
          return up >= count;
        } catch (const std::exception&) {
          return false;
        }
      },
      timeout);
}

bool TestCluster::WaitForNodeState(const std::string& node, const std::string& state, Millis timeout) const {
  return PollUntil(
      [&] {
        CommandResult r = Cli({"nodes", "--json"});
        if (r.exit_code != 0) return false;
        try {
          for (const auto& n : Json::parse(r.out)) {
            if (n.value("name", "") == node) return n.value("state", "") == state;
          }
        } catch (const std::exception&) {
        }
        return false;
      },
      timeout);
}

std::string TestCluster::Diagnostics() const {
  std::ostringstream os;
  os << "endpoint: " << endpoint_ << "\n";
  os << "== musterd stderr (tail) ==\n" << TailFile(musterd_log(), 6000) << "\n";
  for (int i = 0; i < options_.agents; ++i) {
    os << "== " << AgentName(i) << " stderr (tail) ==\n" << TailFile(AgentLog(i), 3000) << "\n";
  }
  return os.str();
}

}  // namespace muster::testing
