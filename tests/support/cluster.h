// A real Muster cluster on loopback for integration tests: musterd on an
// ephemeral port with its state in a temp dir, N muster-agents with fake
// GPUs and short heartbeats, and the `muster` CLI driven with --json.
//
// Secure, as a real cluster is (docs/security.md): the cluster makes
// musterd's key pair, one key per node and one per user, and writes
// musterd's access file. The CLI runs as the operator named after the
// test's UNIX user unless a test picks another user (CliAs).
//
// Every process it starts (daemons, ranks, their grandchildren) carries a
// per-cluster token in its environment; teardown kills them all, also when
// the test failed half way. On failure the tails of the daemons' logs are
// printed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/transport/curve.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace muster::testing {

using Json = nlohmann::json;

// The binaries under test: built by CMake (paths compiled in), or taken from
// $MUSTER_BIN_DIR when set.
std::string MusterdBinary();
std::string AgentBinary();
std::string CliBinary();
// Empty when all three exist; else what is missing.
std::string MissingBinaries();

// Polls `cond` every `interval` until it holds or `timeout` passes.
bool PollUntil(const std::function<bool()>& cond, Millis timeout, Millis interval = Millis(100));

// A user in musterd's access file.
struct ClusterUser {
  std::string name;
  std::string teams;  // "vision,nlp"; empty: none
  std::string admin;  // teams this user administers
  bool is_operator = false;
};

struct ClusterOptions {
  int agents = 2;
  int gpus_per_agent = 4;
  int heartbeat_ms = 200;                // muster-agent --heartbeat-ms
  std::string heartbeat_timeout = "2s";  // musterd --heartbeat-timeout
  // Per agent `--labels` value (e.g. "rack=r1,switch=s1"); missing/empty: none.
  std::vector<std::string> labels;
  std::vector<std::string> musterd_args;  // extra flags
  // Per agent extra flags (e.g. {"--fake-unhealthy-gpus", "1"}); missing: none.
  std::vector<std::vector<std::string>> agent_args;
  int cli_timeout_ms = 5000;  // muster --timeout-ms
  // Users besides the default operator.
  std::vector<ClusterUser> users;
  // No keys at all (musterd --insecure and friends).
  bool insecure = false;
  // musterd --allow-root-jobs when the default operator is root (the tests'
  // own jobs run as whoever runs the tests).
  bool allow_root_jobs = true;
  // Added to every agent's environment (ranks must not see it unless
  // passed on with --pass-env).
  std::map<std::string, std::string> agent_env;
  Millis startup_timeout{20000};  // for the "listening"/"registered" lines
};

class TestCluster {
 public:
  explicit TestCluster(ClusterOptions options = {});
  ~TestCluster();
  TestCluster(const TestCluster&) = delete;
  TestCluster& operator=(const TestCluster&) = delete;

  // musterd, then every agent; returns once `muster nodes` shows them all UP.
  // Throws std::runtime_error (a test failure) when something does not start.
  void Start();

  // ---- musterd ----
  // The first start binds port 0; later starts reuse the same endpoint and
  // state dir (a restart).
  void StartMusterd();
  void KillMusterd();  // SIGKILL: a crash
  // SIGTERM and wait; the wait status (nullopt: still running after `timeout`).
  std::optional<int> StopMusterd(Millis timeout = Millis(10000));
  void RestartMusterd() { StartMusterd(); }
  bool MusterdRunning();
  pid_t musterd_pid() const { return musterd_ ? musterd_->pid() : -1; }
  const std::string& endpoint() const { return endpoint_; }
  std::string state_dir() const { return dir_.Sub("state"); }
  std::string musterd_log() const { return dir_.Sub("musterd.log"); }

  // ---- agents ----
  int agent_count() const { return options_.agents; }
  static std::string AgentName(int i) { return "node-" + std::to_string(i); }
  // Index of the agent named `name`, or -1.
  int AgentIndex(const std::string& name) const;
  void StartAgent(int i);
  void KillAgent(int i);  // SIGKILL: its ranks die with it (PDEATHSIG)
  Process* agent(int i) { return agents_.at(i).get(); }
  std::string AgentWorkDir(int i) const { return dir_.Sub("agent-" + std::to_string(i)); }
  std::string AgentLog(int i) const { return dir_.Sub("agent-" + std::to_string(i) + ".log"); }
  std::string RankLogPath(int agent, int64_t job, int rank) const;

  // ---- the CLI ----
  // `muster --scheduler <endpoint> --timeout-ms N args...`, as the default
  // operator.
  CommandResult Cli(const std::vector<std::string>& args) const;
  // The same as one of options().users (or any name with a key file here).
  CommandResult CliAs(const std::string& user, const std::vector<std::string>& args) const;
  // ---- keys ----
  // The default operator's name (the UNIX user running the test).
  const std::string& operator_name() const { return operator_; }
  std::string KeyFile(const std::string& user) const { return dir_.Sub("keys/user-" + user + ".key"); }
  std::string NodeKeyFile(int i) const { return dir_.Sub("keys/node-" + std::to_string(i) + ".key"); }
  std::string ServerPublicFile() const { return dir_.Sub("keys/server.pub"); }
  std::string AccessFile() const { return dir_.Sub("keys/access"); }
  // What a test's own client needs to connect as `user` (default: the
  // operator); nullopt when the cluster is insecure.
  std::optional<transport::curve::ClientKeys> Keys(const std::string& user = "") const;
  // A fresh key pair that is in no access file (an impostor's).
  transport::curve::ClientKeys UnknownKeys() const;
  // musterd's own key pair (tests derive the ranks' keys from it).
  const transport::curve::KeyPair& server_keys() const { return server_keys_; }
  bool insecure() const { return options_.insecure; }
  // Cli(args + --json); throws unless it exits 0 with valid JSON.
  Json CliJson(std::vector<std::string> args) const;
  // `muster submit --json <flags> -- <command>`; throws unless accepted.
  int64_t Submit(std::vector<std::string> flags, const std::vector<std::string>& command) const;
  Json Show(int64_t id) const { return CliJson({"show", std::to_string(id)}); }
  Json Jobs(const std::string& state = "") const;
  Json Nodes() const { return CliJson({"nodes"}); }

  // Polls `muster show` until the job is in `state`, or in another final
  // state (no point waiting), or `timeout`. Returns the last job object seen;
  // the caller asserts on it.
  Json WaitForJobState(int64_t id, const std::string& state, Millis timeout = Millis(15000)) const;
  // Polls until `pred(job)` holds or `timeout`; the last job object seen.
  Json WaitForJob(int64_t id, const std::function<bool(const Json&)>& pred, Millis timeout) const;
  // Until `muster nodes` shows `count` nodes UP.
  bool WaitForNodesUp(int count, Millis timeout = Millis(15000)) const;
  // Until the node is in `state` ("UP", "DOWN", ...).
  bool WaitForNodeState(const std::string& node, const std::string& state, Millis timeout) const;

  // Scratch space for the test's own files (pid files, markers).
  const TempDir& dir() const { return dir_; }
  std::string Scratch(const std::string& name) const { return dir_.Sub("scratch/" + name); }

  // Tails of musterd's and the agents' logs.
  std::string Diagnostics() const;

 private:
  void MakeKeys();
  CommandResult RunCli(const std::vector<std::string>& auth, const std::vector<std::string>& args) const;

  ClusterOptions options_;
  TempDir dir_;
  std::string operator_;
  transport::curve::KeyPair server_keys_;
  std::string token_;  // MUSTER_TEST_TOKEN of every process of this cluster
  std::string endpoint_;
  std::unique_ptr<Process> musterd_;
  std::vector<std::unique_ptr<Process>> agents_;
};

bool IsFinalState(const std::string& state);

}  // namespace muster::testing
