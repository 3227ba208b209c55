// Retraining end to end (docs/retraining.md): registered models, triggers
// from the CLI, a burst of 1,000 concurrent triggers, cooldown, warm starts,
// a musterd crash, and triggers over HTTP from monitoring systems — all on the
// real musterd (RocksDB on disk), a real agent and the real CLI.
#include <httplib.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <regex>
#include <thread>

#include "common/proto/messages.h"
#include "common/transport/zmq_util.h"
#include "tests/integration/integration.h"

namespace muster::testing {
namespace {

constexpr const char* kTeamToken = "vision-token-0123456789";
constexpr const char* kOtherToken = "speech-token-0123456789";

// A trainer that records what a retrain sees and leaves a checkpoint.
std::vector<std::string> Trainer() {
  return Sh(
      "echo \"reason=$MUSTER_TRIGGER_REASON warm=$MUSTER_WARM_START model=$MUSTER_MODEL "
      "psi=$MUSTER_METRIC_PSI_AGE\"; mkdir -p \"$MUSTER_CHECKPOINT_DIR\" && "
      "echo weights > \"$MUSTER_CHECKPOINT_DIR/model.ckpt\"");
}

class IntegrationRetrain : public ClusterTest {
 protected:
  ClusterOptions Options() const override {
    std::ofstream(tokens_.Sub("tokens"))
        << "# team token\nvision " << kTeamToken << "\nspeech " << kOtherToken << "\n";
    ClusterOptions o;
    o.agents = 1;
    o.gpus_per_agent = 2;
    o.musterd_args = {"--http-listen", "127.0.0.1:0", "--http-tokens-file", tokens_.Sub("tokens")};
    return o;
  }

  // `muster model register NAME --team vision FLAGS -- CMD`.
  void Register(const std::string& name, std::vector<std::string> flags,
                const std::vector<std::string>& cmd) {
    std::vector<std::string> args = {"model", "register", name, "--team", "vision"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back("--");
    args.insert(args.end(), cmd.begin(), cmd.end());
    CommandResult r = cluster().Cli(args);
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
  }

  Json Trigger(const std::string& name, const std::string& reason, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"trigger", name, "--reason", reason};
    args.insert(args.end(), extra.begin(), extra.end());
    return cluster().CliJson(args);
  }

  Json Model(const std::string& name, int triggers = 20) {
    return cluster().CliJson({"model", "show", name, "--triggers", std::to_string(triggers)});
  }

  // The HTTP port musterd logged at its latest start.
  int HttpPort() {
    std::ifstream in(cluster().musterd_log());
    std::string line;
    int port = 0;
    std::regex re("serving HTTP triggers on 127\\.0\\.0\\.1:([0-9]+)");
    std::smatch m;
    while (std::getline(in, line))
      if (std::regex_search(line, m, re)) port = std::stoi(m[1]);
    return port;
  }

  httplib::Result Post(const std::string& path, const std::string& body, const std::string& token) {
    httplib::Client http("127.0.0.1", HttpPort());
    http.set_connection_timeout(5);
    http.set_read_timeout(5);
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return http.Post(path, headers, body, "application/json");
  }

  // Jobs of kind retrain for `model`.
  std::vector<Json> RetrainJobs(const std::string& model) {
    std::vector<Json> out;
    for (const Json& j : cluster().Jobs("all"))
      if (j.value("model", "") == model) out.push_back(j);
    return out;
  }

  TempDir tokens_{"muster-tokens"};
};

TEST_F(IntegrationRetrain, TriggerRunsTheTemplateAndTheNextRetrainWarmStartsFromTheLastGoodCheckpoint) {
  ASSERT_NO_FATAL_FAILURE(
      Register("fraud", {"--gpus", "1", "--window", "anytime", "--deadline", "12h"}, Trainer()));

  Json first = Trigger("fraud", "psi above 0.2 on age", {"--metric", "psi.age=0.31"});
  ASSERT_EQ(first["outcome"], "submitted") << first.dump(2);
  int64_t id1 = first["job"].get<int64_t>();
  Json job = cluster().WaitForJobState(id1, "COMPLETED");
  ASSERT_EQ(job["state"], "COMPLETED") << job.dump(2);
  EXPECT_EQ(job["kind"], "retrain");
  EXPECT_EQ(job["model"], "fraud");
  EXPECT_FALSE(job["deadline"].is_null()) << "the template's deadline counts from the trigger";
  CommandResult logs = cluster().Cli({"logs", std::to_string(id1)});
  EXPECT_TRUE(Contains(logs.out, "reason=psi above 0.2 on age warm= model=fraud psi=0.31")) << logs.out;

  // The model now warm-starts from that run's checkpoint.
  Json model = Model("fraud");
  const std::string ckpt1 = cluster().state_dir() + "/checkpoints/" + std::to_string(id1);
  EXPECT_EQ(model["warm_start"], ckpt1) << model.dump(2);
  EXPECT_EQ(model["last_success_job"], id1);
  EXPECT_TRUE(std::ifstream(ckpt1 + "/model.ckpt").good())
      << "the trainer's checkpoint is where the model says";

  Json second = Trigger("fraud", "accuracy dropped");
  ASSERT_EQ(second["outcome"], "submitted") << "no cooldown: a new retrain";
  int64_t id2 = second["job"].get<int64_t>();
  ASSERT_EQ(cluster().WaitForJobState(id2, "COMPLETED")["state"], "COMPLETED");
  logs = cluster().Cli({"logs", std::to_string(id2)});
  EXPECT_TRUE(Contains(logs.out, "reason=accuracy dropped warm=" + ckpt1 + " ")) << logs.out;
  EXPECT_EQ(Model("fraud")["warm_start"], cluster().state_dir() + "/checkpoints/" + std::to_string(id2));
}

TEST_F(IntegrationRetrain, ABurstOfAThousandConcurrentTriggersSubmitsExactlyOneRetrain) {
  // The retrain runs long enough to outlive the burst; the cooldown covers
  // the case where it does not.
  ASSERT_NO_FATAL_FAILURE(
      Register("ranker", {"--gpus", "1", "--window", "anytime", "--cooldown", "6h"}, Sh("sleep 30")));
  constexpr int kClients = 8, kPerClient = 125;
  std::atomic<int> submitted{0}, coalesced{0}, deferred{0}, failed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      transport::Client client(cluster().endpoint(), 10000, cluster().Keys());
      for (int i = 0; i < kPerClient; ++i) {
        wire::TriggerModel t{"ranker", "drift " + std::to_string(c) + "/" + std::to_string(i), {}, "test"};
        auto reply = client.Call(t);
        auto* r = reply.ok() ? std::get_if<wire::TriggerReply>(&*reply) : nullptr;
        if (!r)
          ++failed;
        else if (r->outcome == TriggerOutcome::kSubmitted)
          ++submitted;
        else if (r->outcome == TriggerOutcome::kCoalesced)
          ++coalesced;
        else
          ++deferred;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(submitted.load(), 1);
  EXPECT_EQ(coalesced.load(), kClients * kPerClient - 1) << "the retrain (sleep 30) outlives the burst";
  EXPECT_EQ(deferred.load(), 0);
  std::vector<Json> jobs = RetrainJobs("ranker");
  ASSERT_EQ(jobs.size(), 1u) << "exactly one retrain for 1,000 triggers";

  Json model = Model("ranker", 2000);
  EXPECT_EQ(model["triggers"], kClients * kPerClient);
  ASSERT_EQ(model["recent_triggers"].size(), static_cast<size_t>(kClients * kPerClient))
      << "every trigger is kept";
  std::set<uint64_t> seqs;
  for (const Json& t : model["recent_triggers"]) {
    seqs.insert(t["seq"].get<uint64_t>());
    EXPECT_EQ(t["source"], "test");
    if (t["outcome"] == "coalesced") {
      EXPECT_EQ(t["job"], jobs[0]["id"]);
    }
  }
  EXPECT_EQ(seqs.size(), static_cast<size_t>(kClients * kPerClient)) << "sequence numbers are unique";
}

TEST_F(IntegrationRetrain, ATriggerInTheCooldownIsDeferredAndRunsWhenItEnds) {
  ASSERT_NO_FATAL_FAILURE(
      Register("churn", {"--gpus", "1", "--window", "anytime", "--cooldown", "3s"}, Trainer()));
  int64_t id1 = Trigger("churn", "weekly")["job"].get<int64_t>();
  ASSERT_EQ(cluster().WaitForJobState(id1, "COMPLETED")["state"], "COMPLETED");

  Json deferred = Trigger("churn", "drift during cooldown", {"--metric", "psi.age=0.5"});
  ASSERT_EQ(deferred["outcome"], "deferred") << deferred.dump(2);
  EXPECT_TRUE(deferred["job"].is_null());
  EXPECT_FALSE(deferred["cooldown_end"].is_null());
  Json again = Trigger("churn", "more drift");
  EXPECT_EQ(again["outcome"], "deferred");
  EXPECT_EQ(RetrainJobs("churn").size(), 1u) << "nothing submitted inside the cooldown";
  EXPECT_EQ(Model("churn")["due"], true);
  // A due retrain survives a crash inside the cooldown.
  cluster().KillMusterd();
  cluster().RestartMusterd();
  EXPECT_EQ(Model("churn")["due"], true);

  // When the cooldown ends, one retrain runs for the newest deferred trigger.
  Json model;
  ASSERT_TRUE(PollUntil(
      [&] {
        model = Model("churn");
        return !model["active_job"].is_null() || model["last_job"] != id1;
      },
      Millis(10000)))
      << model.dump(2);
  EXPECT_EQ(RetrainJobs("churn").size(), 2u);
  int64_t id2 =
      model["active_job"].is_null() ? model["last_job"].get<int64_t>() : model["active_job"].get<int64_t>();
  ASSERT_EQ(cluster().WaitForJobState(id2, "COMPLETED")["state"], "COMPLETED");
  CommandResult logs = cluster().Cli({"logs", std::to_string(id2)});
  EXPECT_TRUE(Contains(
      logs.out, "reason=more drift warm=" + cluster().state_dir() + "/checkpoints/" + std::to_string(id1)))
      << logs.out;
  EXPECT_EQ(Model("churn")["due"], false);
}

TEST_F(IntegrationRetrain, ModelsTheirStateAndHistorySurviveAMusterdCrash) {
  ASSERT_NO_FATAL_FAILURE(
      Register("fraud", {"--gpus", "2", "--window", "anytime", "--cooldown", "1h"}, Sh("sleep 30")));
  int64_t id = Trigger("fraud", "first")["job"].get<int64_t>();
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(Trigger("fraud", "again " + std::to_string(i))["outcome"], "coalesced");
  ASSERT_EQ(cluster().WaitForJobState(id, "RUNNING")["state"], "RUNNING");

  cluster().KillMusterd();
  cluster().RestartMusterd();

  Json model = Model("fraud");
  EXPECT_EQ(model["active_job"], id);
  EXPECT_EQ(model["triggers"], 6);
  ASSERT_EQ(model["recent_triggers"].size(), 6u);
  EXPECT_EQ(model["recent_triggers"][5]["reason"], "again 4");
  EXPECT_EQ(model["cooldown_s"], 3600);
  EXPECT_EQ(Trigger("fraud", "after restart")["outcome"], "coalesced")
      << "still coalesces into the running retrain";

  // The retrain ends (cancelled): the model records it and the cooldown starts.
  ASSERT_EQ(cluster().Cli({"cancel", std::to_string(id)}).exit_code, 0);
  ASSERT_EQ(cluster().WaitForJobState(id, "CANCELLED")["state"], "CANCELLED");
  ASSERT_TRUE(PollUntil([&] { return Model("fraud")["active_job"].is_null(); }, Millis(5000)));
  model = Model("fraud");
  EXPECT_EQ(model["last_job"], id);
  EXPECT_EQ(model["last_state"], "CANCELLED");
  EXPECT_TRUE(model["warm_start"].is_null()) << "a cancelled run is no warm start";
  EXPECT_EQ(Trigger("fraud", "in cooldown")["outcome"], "deferred");
}

TEST_F(IntegrationRetrain, DriftCheckWithTriggerRetrainsOnlyWhenTheDataDrifted) {
  ASSERT_NO_FATAL_FAILURE(Register("fraud", {"--gpus", "1", "--window", "anytime"}, Trainer()));
  // age shifts by 30 between the reference and the drifted data; country does not change.
  std::ofstream ref(cluster().Scratch("ref.csv")), same(cluster().Scratch("same.csv")),
      drifted(cluster().Scratch("drifted.csv"));
  for (auto* f : {&ref, &same, &drifted}) *f << "age,country\n";
  for (int i = 0; i < 400; ++i) {
    const char* country = i % 3 == 0 ? "fr" : "de";
    ref << 20 + i % 40 << "," << country << "\n";
    same << 20 + (i * 7) % 40 << "," << country << "\n";
    drifted << 50 + i % 40 << "," << country << "\n";
  }
  ref.close();
  same.close();
  drifted.close();

  CommandResult r =
      cluster().Cli({"drift", "check", "--model", "fraud", "--reference", cluster().Scratch("ref.csv"),
                     "--current", cluster().Scratch("same.csv"), "--trigger"});
  EXPECT_EQ(r.exit_code, 0) << "no drift: " << r.Describe();
  EXPECT_EQ(Model("fraud")["triggers"], 0) << "no drift, no trigger";

  r = cluster().Cli({"drift", "check", "--model", "fraud", "--reference", cluster().Scratch("ref.csv"),
                     "--current", cluster().Scratch("drifted.csv"), "--trigger"});
  EXPECT_EQ(r.exit_code, 10) << "drift: " << r.Describe();
  Json model = Model("fraud");
  ASSERT_EQ(model["triggers"], 1) << model.dump(2);
  const Json& t = model["recent_triggers"][0];
  EXPECT_EQ(t["outcome"], "submitted");
  EXPECT_TRUE(Contains(t["reason"].get<std::string>(), "age")) << t.dump(2);
  ASSERT_TRUE(t["metrics"].contains("psi.age")) << t.dump(2);
  EXPECT_GT(std::stod(t["metrics"]["psi.age"].get<std::string>()), 0.2);
  ASSERT_TRUE(t["metrics"].contains("ks.age")) << t.dump(2);
  EXPECT_GT(std::stod(t["metrics"]["ks.age"].get<std::string>()), 0.5);
  EXPECT_EQ(cluster().WaitForJobState(t["job"].get<int64_t>(), "COMPLETED")["state"], "COMPLETED");
}

TEST_F(IntegrationRetrain, BadModelsAndTriggersGetClearErrorsAndChangeNothing) {
  CommandResult r = cluster().Cli({"model", "register", "bad/name", "--", "true"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  r = cluster().Cli({"model", "register", "nocmd", "--gpus", "1"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  r = cluster().Cli({"model", "register", "q", "--queue", "nope", "--", "true"});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "unknown queue 'nope'")) << r.err;
  r = cluster().Cli({"model", "register", "x", "--cooldown", "soon", "--", "true"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  r = cluster().Cli({"trigger", "ghost", "--reason", "x"});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "no model 'ghost'")) << r.err;
  ASSERT_NO_FATAL_FAILURE(Register("m", {"--gpus", "1"}, Sh("true")));
  r = cluster().Cli({"model", "register", "m", "--", "true"});
  EXPECT_EQ(r.exit_code, 1) << "registering twice is refused: " << r.Describe();
  r = cluster().Cli({"trigger", "m"});
  EXPECT_EQ(r.exit_code, 2) << "a trigger needs a reason: " << r.Describe();
  r = cluster().Cli({"trigger", "m", "--reason", "x", "--metric", "novalue"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  // What only musterd can check (any client may speak the wire protocol).
  transport::Client client(cluster().endpoint(), 5000, cluster().Keys());
  auto refused = [&](wire::TriggerModel t, wire::ErrorCode code) {
    auto reply = client.Call(t);
    auto* e = reply.ok() ? std::get_if<wire::Error>(&*reply) : nullptr;
    return e && e->code == code;
  };
  EXPECT_TRUE(refused({"m", "x", {{"a=b", "1"}}, "test"}, wire::ErrorCode::kBadRequest))
      << "'=' in a metric name";
  EXPECT_TRUE(refused({"m", "two\nlines", {}, "test"}, wire::ErrorCode::kBadRequest));
  EXPECT_TRUE(refused({"m", std::string(5000, 'x'), {}, "test"}, wire::ErrorCode::kBadRequest));
  EXPECT_TRUE(
      refused({"m", "x", std::vector<EnvVar>(300, EnvVar{"k", "v"}), "test"}, wire::ErrorCode::kBadRequest));
  EXPECT_TRUE(refused({"m", "x", {}, "http:speech", "speech"}, wire::ErrorCode::kPermissionDenied))
      << "a team may trigger only its own models";
  EXPECT_EQ(Model("m")["triggers"], 0) << "refused triggers leave no trace";
  EXPECT_TRUE(RetrainJobs("m").empty());
  ASSERT_EQ(cluster().Cli({"queue", "create", "nightly"}).exit_code, 0);
  ASSERT_EQ(cluster().Cli({"model", "update", "m", "--queue", "nightly"}).exit_code, 0);
  r = cluster().Cli({"queue", "delete", "nightly"});
  EXPECT_EQ(r.exit_code, 1) << "a model's queue stays: " << r.Describe();
  EXPECT_TRUE(Contains(r.err, "model 'm'")) << r.err;

  // Update keeps state; delete removes the model and its history.
  r = cluster().Cli({"model", "update", "m", "--gpus", "2", "--cooldown", "2h"});  // only these change
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  Json m = Model("m");
  EXPECT_EQ(m["gpus"], 2);
  EXPECT_EQ(m["argv"], Json({"/bin/sh", "-c", "true"})) << "an update without -- keeps the command";
  EXPECT_EQ(m["cooldown_s"], 7200);
  EXPECT_EQ(m["team"], "vision") << "flags not given keep their values";
  EXPECT_EQ(m["window"], "offpeak-preferred");
  r = cluster().Cli({"model", "update", "m"});
  EXPECT_EQ(r.exit_code, 2) << "nothing to update: " << r.Describe();

  // Switches turn off and variables go away again.
  ASSERT_EQ(
      cluster().Cli({"model", "update", "m", "--preemptible", "--env", "A=1", "--env", "B=2"}).exit_code, 0);
  m = Model("m");
  EXPECT_EQ(m["preemptible"], true) << m.dump(2);
  EXPECT_EQ(m["env_names"], Json({"A", "B"}));
  r = cluster().Cli({"model", "update", "m", "--no-preemptible", "--unset-env", "A"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  m = Model("m");
  EXPECT_EQ(m["preemptible"], false) << m.dump(2);
  EXPECT_EQ(m["env_names"], Json({"B"}));
  EXPECT_EQ(m["gpus"], 2) << "the rest stays";
  r = cluster().Cli({"model", "update", "m", "--unset-env", "A", "--cooldown", "1h"});
  EXPECT_EQ(r.exit_code, 2) << "A is gone: " << r.Describe();
  EXPECT_TRUE(Contains(r.err, "sets no variable A (it sets: B)")) << r.err;
  r = cluster().Cli({"model", "update", "m", "--preemptible", "--no-preemptible"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  r = cluster().Cli({"model", "register", "m2", "--no-preemptible", "--", "true"});
  EXPECT_EQ(r.exit_code, 2) << "nothing to undo in a new template: " << r.Describe();
  m = Model("m");
  EXPECT_EQ(m["cooldown_s"], 7200) << "a refused update changes nothing";
  EXPECT_EQ(m["preemptible"], false);
  ASSERT_EQ(cluster().Cli({"model", "delete", "m"}).exit_code, 0);
  EXPECT_EQ(cluster().Cli({"model", "show", "m"}).exit_code, 1);
  EXPECT_TRUE(cluster().CliJson({"model", "list"}).empty());
}

TEST_F(IntegrationRetrain, HttpTriggersAuthenticateByTeamAndAcceptAlertmanagerWebhooks) {
  ASSERT_NO_FATAL_FAILURE(
      Register("fraud", {"--gpus", "1", "--window", "anytime", "--cooldown", "1h"}, Sh("sleep 30")));
  ASSERT_GT(HttpPort(), 0) << cluster().Diagnostics();

  auto r = Post("/v1/models/fraud/trigger", R"({"reason": "psi 0.4", "metrics": {"psi.age": 0.4}})", "");
  ASSERT_TRUE(r) << "no HTTP answer";
  EXPECT_EQ(r->status, 401);
  r = Post("/v1/models/fraud/trigger", R"({"reason": "psi 0.4"})", "not-a-token-at-all");
  EXPECT_EQ(r->status, 401);
  r = Post("/v1/models/fraud/trigger", R"({"reason": "psi 0.4"})", kOtherToken);
  EXPECT_EQ(r->status, 403) << r->body;
  r = Post("/v1/models/fraud/trigger", R"({"reason": )", kTeamToken);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_TRUE(Contains(r->body, "not JSON")) << r->body;
  r = Post("/v1/models/fraud/trigger", R"({"metrics": {}})", kTeamToken);
  EXPECT_EQ(r->status, 400) << r->body;
  r = Post("/v1/models/fraud/trigger", R"({"reason": "x", "metrics": [1, 2]})", kTeamToken);
  EXPECT_EQ(r->status, 400) << r->body;
  r = Post("/v1/models/ghost/trigger", R"({"reason": "x"})", kTeamToken);
  EXPECT_EQ(r->status, 404) << r->body;
  EXPECT_EQ(Model("fraud")["triggers"], 0) << "refused requests leave no trace";

  r = Post("/v1/models/fraud/trigger", R"({"reason": "psi 0.4", "metrics": {"psi.age": 0.4}})", kTeamToken);
  ASSERT_EQ(r->status, 200) << r->body;
  Json answer = Json::parse(r->body);
  EXPECT_EQ(answer["outcome"], "submitted");
  int64_t id = answer["job"].get<int64_t>();

  // Alertmanager's webhook: a firing alert whose labels name the model; a
  // resolved one is ignored.
  const std::string webhook = R"({
    "version": "4", "status": "firing", "receiver": "muster", "groupKey": "{}:{alertname=\"DataDrift\"}",
    "alerts": [
      {"status": "firing", "labels": {"alertname": "DataDrift", "model": "fraud", "severity": "page"},
       "annotations": {"summary": "PSI 0.41 on age", "value": "0.41"}, "startsAt": "2026-11-26T10:00:00Z"},
      {"status": "resolved", "labels": {"alertname": "DataDrift", "model": "fraud"}, "annotations": {}}
    ]})";
  r = Post("/v1/alertmanager", webhook, kTeamToken);
  ASSERT_EQ(r->status, 200) << r->body;
  answer = Json::parse(r->body);
  ASSERT_EQ(answer["results"].size(), 1u) << r->body;
  EXPECT_EQ(answer["results"][0]["outcome"], "coalesced");
  EXPECT_EQ(answer["results"][0]["job"], id);
  r = Post("/v1/alertmanager", R"({"alerts": [{"status": "firing", "labels": {"alertname": "NoModel"}}]})",
           kTeamToken);
  EXPECT_EQ(r->status, 422) << r->body;
  r = Post("/v1/alertmanager", R"({"receiver": "x"})", kTeamToken);
  EXPECT_EQ(r->status, 400) << r->body;
  r = Post("/v1/alertmanager",
           R"({"alerts": [{"status": "firing", "labels": {"alertname": "A", "model": "fraud"}}, 7]})",
           kTeamToken);
  EXPECT_EQ(r->status, 400) << "one malformed alert refuses the whole body before anything triggers: "
                            << r->body;
  r = Post("/v1/alertmanager",
           R"({"alerts": [{"status": "firing", "labels": {"alertname": "A", "model": "fraud"}}]})",
           kOtherToken);
  EXPECT_EQ(r->status, 403) << "another team's model, also through Alertmanager: " << r->body;

  Json model = Model("fraud");
  ASSERT_EQ(model["recent_triggers"].size(), 2u) << model.dump(2);
  EXPECT_EQ(model["recent_triggers"][0]["source"], "http:vision");
  EXPECT_EQ(model["recent_triggers"][0]["metrics"]["psi.age"], "0.4");
  EXPECT_EQ(model["recent_triggers"][1]["source"], "alertmanager:vision/muster");
  EXPECT_EQ(model["recent_triggers"][1]["reason"], "alert DataDrift: PSI 0.41 on age");
  EXPECT_EQ(model["recent_triggers"][1]["metrics"]["value"], "0.41");
}

// An HTTP body is read only after the token checked out, chunked or not,
// and never past 1 MiB: a stranger's 256 MiB chunked upload is refused
// from its headers, and musterd's memory does not grow with it.
TEST_F(IntegrationRetrain, HttpBodiesAreReadOnlyForATokenAndNeverPastTheLimit) {
  ASSERT_NO_FATAL_FAILURE(Register("fraud", {"--gpus", "1"}, Sh("true")));
  const int port = HttpPort();
  ASSERT_GT(port, 0);
  // The upload is cut off mid-way: its writes then fail rather than kill us.
  signal(SIGPIPE, SIG_IGN);
  auto chunked = [&](const std::string& token, size_t mib, size_t* sent) {
    httplib::Client http("127.0.0.1", port);
    http.set_connection_timeout(5);
    http.set_read_timeout(10);
    http.set_write_timeout(10);
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    const std::string chunk(1024 * 1024, ' ');
    *sent = 0;
    return http.Post(
        "/v1/models/fraud/trigger", headers,
        [&](size_t, httplib::DataSink& sink) {
          if (*sent >= mib) {
            sink.done();
            return true;
          }
          ++*sent;
          return sink.write(chunk.data(), chunk.size());
        },
        "application/json");
  };
  auto rss_kib = [&] {
    std::ifstream status("/proc/" + std::to_string(cluster().musterd_pid()) + "/status");
    std::string line;
    while (std::getline(status, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return 0L;
  };
  const long before = rss_kib();
  size_t sent = 0;
  auto r = chunked("", 256, &sent);
  if (r) {
    EXPECT_EQ(r->status, 401) << r->body;
  }
  EXPECT_LT(sent, 256u) << "the upload was cut off, not read to the end";
  r = chunked(kTeamToken, 8, &sent);
  if (r) {
    EXPECT_EQ(r->status, 413) << r->body;
  }
  EXPECT_LT(rss_kib() - before, 100 * 1024) << "musterd's RSS grew by more than 100 MiB";
  EXPECT_EQ(Model("fraud")["triggers"], 0);
}

}  // namespace
}  // namespace muster::testing
