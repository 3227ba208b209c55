// Who may send what (scheduler/service/authz.h), as a table: every request
// type of the wire protocol x every kind of caller, against the real
// Server's one dispatch point. A request type without a row fails the test,
// so a new message cannot slip in unchecked. Plus what a refusal looks like
// and what the credential decides (the user and team of a submit).
#include "scheduler/service/authz.h"

#include <utility>

#include "common/base/check.h"
#include "tests/service/service_test_util.h"

namespace muster::testing {
namespace {

enum Caller { kNobody, kOwner, kOtherUser, kTeamAdmin, kOperator, kOwnAgent, kOtherAgent, kRank, kCallers };
const char* const kCallerNames[kCallers] = {
    "unauthenticated", "the job's owner",        "another user",         "the team's admin",
    "an operator",     "the job's node's agent", "another node's agent", "a rank of the job"};

// A cluster with one job of alice's (team vision) running on node-a, and a
// model of team vision.
struct World {
  Harness h;
  JobId job = kNoJob;
  int32_t attempt = 0;

  World() {
    h.AddUser("alice", {"vision"});
    h.AddUser("bob", {"nlp"});
    h.AddUser("carol", {}, {"vision"});
    h.AddAgent("node-a", 4);
    h.AddAgent("node-b", 1);
    auto& alice = h.Connect("alice", "user:alice");
    JobSpec spec = Spec(2);
    spec.argv = {"sleep", "100"};
    alice.Send(wire::SubmitJob{spec});
    h.Settle();
    auto reply = alice.Recv();
    MUSTER_CHECK(reply && std::holds_alternative<wire::SubmitReply>(reply->body));
    job = std::get<wire::SubmitReply>(reply->body).id;
    Job j = h.Show(job);
    MUSTER_CHECK(j.state == JobState::kRunning && j.placement[0].node == "node-a");
    attempt = j.attempt;
    wire::PutModel model;
    model.create = true;
    model.spec.name = "resnet";
    model.spec.job = Spec(1);
    MUSTER_CHECK(std::holds_alternative<wire::Ok>(h.Call(model)));
  }

  // A request of each type about this world's job, model and nodes.
  void Fill(wire::Body& body) {
    std::visit(
        [&](auto& m) {
          using T = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<T, wire::SubmitJob>) {
            m.spec = Spec(1);
            m.spec.user.clear();
            m.spec.team.clear();
          } else if constexpr (std::is_same_v<T, wire::ListEvents> || std::is_same_v<T, wire::ReadLog>) {
            m.job = job;
          } else if constexpr (std::is_same_v<T, wire::CancelJob> || std::is_same_v<T, wire::JobAction>) {
            m.id = job;
          } else if constexpr (std::is_same_v<T, wire::NodeAction>) {
            m.node = "node-b";
          } else if constexpr (std::is_same_v<T, wire::PutQueue>) {
            m.spec.name = "q2";
            m.create = true;
          } else if constexpr (std::is_same_v<T, wire::DeleteQueue>) {
            m.name = "default";
          } else if constexpr (std::is_same_v<T, wire::PutModel>) {
            m.spec.name = "resnet";
            m.spec.job = Spec(1);
          } else if constexpr (std::is_same_v<T, wire::DeleteModel>) {
            m.name = "resnet";
          } else if constexpr (std::is_same_v<T, wire::TriggerModel>) {
            m.model = "resnet";
            m.reason = "drift";
          } else if constexpr (std::is_same_v<T, wire::RdzvPut> || std::is_same_v<T, wire::RdzvGet> ||
                               std::is_same_v<T, wire::RdzvBarrier>) {
            m.job = job;
            m.attempt = attempt;
            if constexpr (std::is_same_v<T, wire::RdzvBarrier>)
              m.name = "b";
            else
              m.key = "k";
          } else if constexpr (std::is_same_v<T, wire::Register>) {
            m.node.name = "node-a";
          } else if constexpr (std::is_same_v<T, wire::Heartbeat>) {
            m.node = "node-a";
          } else if constexpr (std::is_same_v<T, wire::Reserved>) {
            m.job = job;
            m.attempt = attempt;
            m.ok = true;
          } else if constexpr (std::is_same_v<T, wire::RankStarted>) {
            m.ref = {job, attempt, 0};
          } else if constexpr (std::is_same_v<T, wire::RankExited>) {
            m.exit.ref = {job, attempt, 0};
          }
        },
        body);
  }

  transport::InProcRouter::Peer& PeerOf(Caller c) {
    switch (c) {
      case kNobody:
        return h.Connect("stranger", "");
      case kOwner:
        return *h.router().Find("alice");
      case kOtherUser:
        return h.Connect("bob", "user:bob");
      case kTeamAdmin:
        return h.Connect("carol", "user:carol");
      case kOperator:
        return h.Connect("ops", Harness::kOperator);
      case kOwnAgent:
        return h.agent("node-a").peer();
      case kOtherAgent:
        return h.agent("node-b").peer();
      case kRank:
      case kCallers:
        break;
    }
    return h.Connect("rank", "rank:" + std::to_string(job) + ":" + std::to_string(attempt));
  }
};

// Which callers get past the permission check, per request type, in the
// order of Caller.
using Row = std::array<bool, kCallers>;
constexpr Row kUsersOnly = {false, true, true, true, true, false, false, false};
constexpr Row kJobOwner = {false, true, false, true, true, false, false, false};
constexpr Row kOperatorOnly = {false, false, false, false, true, false, false, false};
constexpr Row kModelAdmin = {false, false, false, true, true, false, false, false};
constexpr Row kModelTeam = {false, true, false, true, true, false, false, false};
constexpr Row kRankOnly = {false, false, false, false, false, false, false, true};
constexpr Row kNodeOwnOnly = {false, false, false, false, false, true, false, false};
// Reports about a connection's own node pass the check; whether the rank is
// placed there is the gang coordinator's check (below).
constexpr Row kAnyAgent = {false, false, false, false, false, true, true, false};
constexpr Row kNoOne = {};

const std::map<std::string, Row>& Table() {
  static const std::map<std::string, Row> table = {
      {"SubmitJob", kUsersOnly},    {"ListJobs", kUsersOnly},
      {"ListEvents", kUsersOnly},   {"CancelJob", kJobOwner},
      {"JobAction", kJobOwner},     {"ReadLog", kJobOwner},
      {"ListNodes", kUsersOnly},    {"ListQueues", kUsersOnly},
      {"ListModels", kUsersOnly},   {"NodeAction", kOperatorOnly},
      {"PutQueue", kOperatorOnly},  {"DeleteQueue", kOperatorOnly},
      {"PutModel", kModelAdmin},    {"DeleteModel", kModelAdmin},
      {"TriggerModel", kModelTeam}, {"RdzvPut", kRankOnly},
      {"RdzvGet", kRankOnly},       {"RdzvBarrier", kRankOnly},
      {"Register", kNodeOwnOnly},   {"Heartbeat", kNodeOwnOnly},
      {"Reserved", kAnyAgent},      {"RankStarted", kAnyAgent},
      {"RankExited", kAnyAgent},    {"LogChunk", kAnyAgent},
      {"Error", kAnyAgent},         {"Ok", kAnyAgent},
      {"SubmitReply", kNoOne},      {"JobList", kNoOne},
      {"NodeList", kNoOne},         {"RegisterReply", kNoOne},
      {"LaunchRanks", kNoOne},      {"AckExit", kNoOne},
      {"KillJob", kNoOne},          {"QueueList", kNoOne},
      {"RdzvValue", kNoOne},        {"ReserveRanks", kNoOne},
      {"CommitRanks", kNoOne},      {"AbortRanks", kNoOne},
      {"ModelList", kNoOne},        {"TriggerReply", kNoOne},
      {"EventList", kNoOne},
  };
  return table;
}

template <size_t... I>
std::vector<wire::Body> EveryBody(std::index_sequence<I...>) {
  return {wire::Body(std::in_place_index<I>)...};
}

TEST(Authz, EveryRequestTypeTimesEveryCaller) {
  const auto bodies = EveryBody(std::make_index_sequence<std::variant_size_v<wire::Body>>{});
  for (const wire::Body& prototype : bodies) {
    const std::string name = wire::BodyName(prototype);
    auto row = Table().find(name);
    ASSERT_NE(row, Table().end()) << name << " has no row in the table";
    for (int c = 0; c < kCallers; ++c) {
      SCOPED_TRACE(name + " from " + kCallerNames[c]);
      World w;  // fresh: what one request changes cannot colour the next
      wire::Body body = prototype;
      w.Fill(body);
      auto& peer = w.PeerOf(static_cast<Caller>(c));
      peer.RecvAll();
      // A fake agent reads its own messages: what it got is in received().
      FakeAgent* agent = c == kOwnAgent     ? &w.h.agent("node-a")
                         : c == kOtherAgent ? &w.h.agent("node-b")
                                            : nullptr;
      if (agent) agent->ClearReceived();
      const uint64_t refused = w.h.server().stats().refused;
      peer.Send(body);
      w.h.Settle();
      const bool allowed = w.h.server().stats().refused == refused;
      EXPECT_EQ(allowed, row->second[c]);
      if (allowed || name == "Error" || name == "Ok") continue;
      // A refusal is an answer that says so (never to an answer).
      bool said = false;
      for (const auto& env : agent ? agent->received() : peer.RecvAll()) {
        if (!std::holds_alternative<wire::Error>(env.body)) continue;
        const auto& e = std::get<wire::Error>(env.body);
        said = row->second == kNoOne ? e.message.find("does not accept") != std::string::npos
                                     : e.code == wire::ErrorCode::kPermissionDenied;
      }
      EXPECT_TRUE(said);
    }
  }
}

TEST(Authz, BobCancellingAlicesJobIsToldWhyAndTheJobRunsOn) {
  World w;
  auto& bob = w.h.Connect("bob", "user:bob");
  bob.Send(wire::CancelJob{w.job});
  w.h.Settle();
  auto reply = bob.Recv();
  ASSERT_TRUE(reply);
  EXPECT_EQ(ErrorOf(reply->body).message, "permission denied: user bob may not cancel job " +
                                              std::to_string(w.job) +
                                              ": the job is alice's (team vision); only its user, an "
                                              "admin of its team or an operator may");
  EXPECT_EQ(w.h.Show(w.job).state, JobState::kRunning);
}

TEST(Authz, ASubmitIsTheCallersWhateverItsUserFieldSays) {
  World w;
  auto& bob = w.h.Connect("bob", "user:bob");
  JobSpec spec = Spec(1);
  spec.user = "alice";
  spec.team.clear();
  bob.Send(wire::SubmitJob{spec});
  w.h.Settle();
  auto reply = bob.Recv();
  ASSERT_TRUE(reply && std::holds_alternative<wire::SubmitReply>(reply->body));
  Job j = w.h.Show(std::get<wire::SubmitReply>(reply->body).id);
  EXPECT_EQ(j.spec.user, "bob");
  EXPECT_EQ(j.spec.team, "nlp") << "a user's first team by default";

  spec.team = "vision";  // not bob's
  bob.Send(wire::SubmitJob{spec});
  w.h.Settle();
  reply = bob.Recv();
  ASSERT_TRUE(reply);
  EXPECT_EQ(ErrorOf(reply->body).message, "permission denied: user bob is not in team vision (teams: nlp)");
}

TEST(Authz, AUserMayLowerTheirJobsPriorityButNotRaiseIt) {
  World w;
  auto& alice = *w.h.router().Find("alice");
  alice.RecvAll();
  alice.Send(wire::JobAction{w.job, wire::JobOp::kSetPriority, -5});
  w.h.Settle();
  auto reply = alice.Recv();
  ASSERT_TRUE(reply);
  EXPECT_TRUE(std::holds_alternative<wire::Ok>(reply->body)) << wire::BodyName(reply->body);
  alice.Send(wire::JobAction{w.job, wire::JobOp::kSetPriority, 10});
  w.h.Settle();
  reply = alice.Recv();
  ASSERT_TRUE(reply);
  EXPECT_EQ(ErrorOf(reply->body).code, wire::ErrorCode::kPermissionDenied);
  EXPECT_EQ(w.h.Show(w.job).spec.priority, -5);
  auto& carol = w.h.Connect("carol", "user:carol");  // the team's admin
  carol.Send(wire::JobAction{w.job, wire::JobOp::kSetPriority, 10});
  w.h.Settle();
  EXPECT_EQ(w.h.Show(w.job).spec.priority, 10);
}

TEST(Authz, AForgedRankExitFromAnotherNodeChangesNothing) {
  World w;
  auto& b = w.h.agent("node-b").peer();
  wire::RankExited forged;
  forged.exit.ref = {w.job, w.attempt, 0};
  forged.exit.exit_code = 1;
  b.Send(forged);
  w.h.Settle();
  EXPECT_EQ(w.h.Show(w.job).state, JobState::kRunning);
  // The real node's report still counts.
  w.h.agent("node-a").Exit(w.job, 0);
  w.h.Settle();
  EXPECT_EQ(w.h.Show(w.job).state, JobState::kCompleted);
}

TEST(Authz, AnotherNodesKeyCannotRegisterALiveNodesName) {
  World w;
  auto& impostor = w.h.Connect("impostor", "node:node-b");
  wire::Register m;
  m.node.name = "node-a";
  impostor.Send(m);
  w.h.Settle();
  auto reply = impostor.Recv();
  ASSERT_TRUE(reply);
  EXPECT_EQ(ErrorOf(reply->body).message,
            "permission denied: the agent of node node-b may not register as node node-a: it is node "
            "node-b's key, not node "
            "node-a's");
  EXPECT_EQ(w.h.Show(w.job).state, JobState::kRunning) << "the real node keeps its ranks";
}

TEST(Authz, TheRanksKeyOpensOnlyItsOwnAttemptsRendezvous) {
  World w;
  auto& rank = w.h.Connect("rank", "rank:" + std::to_string(w.job) + ":" + std::to_string(w.attempt));
  rank.Send(wire::RdzvPut{w.job, w.attempt, "addr", "x"});
  rank.Send(wire::RdzvPut{w.job, w.attempt + 1, "addr", "x"});
  w.h.Settle();
  auto replies = rank.RecvAll();
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<wire::Ok>(replies[0].body));
  EXPECT_EQ(ErrorOf(replies[1].body).code, wire::ErrorCode::kPermissionDenied);
}

TEST(Authz, TheLaunchCarriesTheAttemptsRendezvousKeyAndItIsForgottenAtTheEnd) {
  World w;
  const auto& launched = w.h.agent("node-a").launched();
  auto it = launched.find({w.job, w.attempt});
  ASSERT_NE(it, launched.end());
  const wire::LaunchRanks* launch = &it->second;
  std::map<std::string, std::string> env;
  for (const auto& v : launch->env) env[v.name] = v.value;
  ASSERT_TRUE(env.count("MUSTER_RDZV_PUBLIC_KEY") && env.count("MUSTER_RDZV_SECRET_KEY") &&
              env.count("MUSTER_RDZV_SERVER_KEY"));
  auto pub = transport::curve::ParseZ85(env["MUSTER_RDZV_PUBLIC_KEY"]);
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(w.h.access()->Authorize(*pub), "rank:" + std::to_string(w.job) + ":" + std::to_string(w.attempt));
  w.h.agent("node-a").Exit(w.job, 0);
  w.h.Settle();
  EXPECT_EQ(w.h.access()->Authorize(*pub), std::nullopt) << "the key dies with the attempt";
}

TEST(Authz, EveryoneSeesEveryJobButOnlyThoseWhoMayActOnItSeeItsEnvironment) {
  World w;
  auto& alice = *w.h.router().Find("alice");
  alice.RecvAll();
  JobSpec spec = Spec(1);
  spec.env = {{"HF_TOKEN", "hf_secret"}};
  alice.Send(wire::SubmitJob{spec});
  w.h.Settle();
  auto reply = alice.Recv();
  ASSERT_TRUE(reply && std::holds_alternative<wire::SubmitReply>(reply->body));
  const JobId id = std::get<wire::SubmitReply>(reply->body).id;
  auto env_seen_by = [&](const std::string& peer, const std::string& principal) {
    auto* p = w.h.router().Find(peer);
    auto& c = p ? *p : w.h.Connect(peer, principal);
    c.RecvAll();
    wire::ListJobs q;
    q.ids = {id};
    c.Send(q);
    w.h.Settle();
    auto r = c.Recv();
    if (!r || !std::holds_alternative<wire::JobList>(r->body)) return std::string("no list");
    return std::get<wire::JobList>(r->body).jobs.at(0).spec.env.at(0).value;
  };
  EXPECT_EQ(env_seen_by("bob", "user:bob"), service::kHiddenValue);
  EXPECT_EQ(env_seen_by("alice", ""), "hf_secret");
  EXPECT_EQ(env_seen_by("carol", "user:carol"), "hf_secret") << "the team's admin";
  EXPECT_EQ(env_seen_by("ops", Harness::kOperator), "hf_secret");
}

TEST(Authz, AJobAsRootIsRefusedUnlessMusterdAllowsIt) {
  for (bool allow : {false, true}) {
    SCOPED_TRACE(allow ? "--allow-root-jobs" : "default");
    Harness::Options o;
    o.server.allow_root_jobs = allow;
    Harness h(o);
    h.AddAgent("node-a", 1);
    auto& root = h.Connect("root", h.AddUser("root"));
    JobSpec spec = Spec(1);
    spec.user.clear();
    spec.team.clear();
    root.Send(wire::SubmitJob{spec});
    h.Settle();
    auto reply = root.Recv();
    ASSERT_TRUE(reply);
    if (!allow) {
      EXPECT_EQ(ErrorOf(reply->body).message,
                "permission denied: jobs as root are refused (musterd --allow-root-jobs allows them)");
      continue;
    }
    ASSERT_TRUE(std::holds_alternative<wire::SubmitReply>(reply->body)) << wire::BodyName(reply->body);
    const JobId id = std::get<wire::SubmitReply>(reply->body).id;
    const auto& launched = h.agent("node-a").launched();
    auto it = launched.find({id, h.Show(id).attempt});
    ASSERT_NE(it, launched.end());
    const wire::LaunchRanks* launch = &it->second;
    EXPECT_EQ(launch->user, "root");
    EXPECT_TRUE(launch->allow_root) << "the agent is told, and checks the uid itself";
  }
}

}  // namespace
}  // namespace muster::testing
