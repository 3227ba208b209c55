// The rendezvous (docs/protocol.md, "Rendezvous") in one process: a job holds
// a node's four GPUs and a running attempt, and the test plays its ranks as
// client connections. Held requests and their deadlines run on the manual
// clock, so "answered when published, not at the deadline" is exact.
#include "tests/service/service_test_util.h"

namespace muster::testing {
namespace {

class Rendezvous : public ::testing::Test {
 protected:
  Rendezvous() : Rendezvous(Harness::Options{}) {}
  explicit Rendezvous(Harness::Options options) : h_(std::move(options)) {
    h_.AddAgent("node-a", 4);
    JobSpec spec = Spec(4);
    spec.argv = {"sleep", "120"};
    job_ = h_.Submit(spec);
    Job j = h_.Show(job_);
    EXPECT_EQ(j.state, JobState::kRunning);
    attempt_ = j.attempt;
  }

  // A rank's connection to musterd.
  transport::InProcRouter::Peer& Rank(int32_t rank) {
    std::string id = "rank-" + std::to_string(rank);
    if (auto* p = h_.router().Find(id)) return *p;
    return h_.Connect(id, "rank:" + std::to_string(job_) + ":" + std::to_string(attempt_));
  }
  // Sends from `rank` and lets musterd turn; the request id.
  uint64_t Send(int32_t rank, wire::Body body) {
    uint64_t id = Rank(rank).Send(std::move(body));
    h_.Settle();
    return id;
  }
  // The answer `rank` got to request `id`, if it has one yet.
  std::optional<wire::Body> Answer(int32_t rank, uint64_t id) {
    auto& got = answers_[Rank(rank).identity()];
    for (auto& env : Rank(rank).RecvAll()) got[env.request_id] = env.body;
    auto it = got.find(id);
    if (it == got.end()) return std::nullopt;
    return it->second;
  }
  wire::Body Call(int32_t rank, wire::Body body) {
    uint64_t id = Send(rank, std::move(body));
    auto reply = Answer(rank, id);
    if (!reply) throw std::runtime_error("no answer at once");
    return *reply;
  }
  wire::Body Put(const std::string& key, const std::string& value, int32_t attempt = 0) {
    return Call(0, wire::RdzvPut{job_, attempt ? attempt : attempt_, key, value});
  }
  uint64_t Get(int32_t rank, const std::string& key, Duration wait) {
    return Send(rank, wire::RdzvGet{job_, attempt_, key, static_cast<int32_t>(wait / kMillisecond)});
  }
  uint64_t Barrier(int32_t rank, const std::string& name, Duration wait, int32_t world = 4) {
    return Send(rank, wire::RdzvBarrier{job_, attempt_, name, rank, world,
                                        static_cast<int32_t>(wait / kMillisecond)});
  }

  Harness h_;
  JobId job_ = kNoJob;
  int32_t attempt_ = 0;
  std::map<std::string, std::map<uint64_t, wire::Body>> answers_;
};

bool IsOk(const wire::Body& b) { return std::holds_alternative<wire::Ok>(b); }

TEST_F(Rendezvous, PublishedValuesAreReadBackAndReplaced) {
  const std::string id("\x01\x00nccl-id\xff", 11);  // opaque bytes, NULs included
  ASSERT_TRUE(IsOk(Put("nccl-id", id)));
  auto got = Answer(1, Get(1, "nccl-id", kSecond));
  ASSERT_TRUE(got);
  EXPECT_EQ(std::get<wire::RdzvValue>(*got), (wire::RdzvValue{true, id}));
  ASSERT_TRUE(IsOk(Put("nccl-id", "second")));
  EXPECT_EQ(std::get<wire::RdzvValue>(*Answer(1, Get(1, "nccl-id", 0))).value, "second");
  ASSERT_TRUE(IsOk(Put("empty", "")));
  EXPECT_EQ(std::get<wire::RdzvValue>(*Answer(1, Get(1, "empty", 0))), (wire::RdzvValue{true, ""}));
  // A get with no wait for a key nobody set: found = false at once.
  EXPECT_FALSE(std::get<wire::RdzvValue>(*Answer(2, Get(2, "nobody", 0))).found);
}

TEST_F(Rendezvous, LimitsGiveClearErrors) {
  wire::Error e = ErrorOf(Put(std::string(257, 'k'), "v"));
  EXPECT_EQ(e.code, wire::ErrorCode::kTooLarge);
  EXPECT_TRUE(Contains(e.message, "256")) << e.message;
  e = ErrorOf(Put("big", std::string(1024 * 1024 + 1, 'v')));
  EXPECT_EQ(e.code, wire::ErrorCode::kTooLarge);
  EXPECT_TRUE(Contains(e.message, "1048576")) << e.message;
  e = ErrorOf(Put("", "v"));
  EXPECT_EQ(e.code, wire::ErrorCode::kBadRequest);
  // Exactly at the limits is fine.
  EXPECT_TRUE(IsOk(Put(std::string(256, 'k'), std::string(1024 * 1024, 'v'))));

  // 1024 keys per attempt; replacing one of them is still allowed.
  for (int i = 1; i < 1024; ++i) {
    auto reply = Put("key/" + std::to_string(i), "v");
    ASSERT_TRUE(IsOk(reply)) << i << ": " << ErrorOf(reply).message;
  }
  e = ErrorOf(Put("one-too-many", "v"));
  EXPECT_EQ(e.code, wire::ErrorCode::kTooLarge);
  EXPECT_TRUE(Contains(e.message, "1024")) << e.message;
  EXPECT_TRUE(IsOk(Put("key/7", "again")));

  // Barrier arguments.
  e = ErrorOf(Call(0, wire::RdzvBarrier{job_, attempt_, "b", 4, 4, 0}));
  EXPECT_EQ(e.code, wire::ErrorCode::kBadRequest);
  EXPECT_TRUE(Contains(e.message, "out of range")) << e.message;
}

// The rendezvous' own checks, behind the permission check that a secure
// musterd makes first (below): what a rank of another attempt would get.
class RendezvousWithoutKeys : public Rendezvous {
 protected:
  RendezvousWithoutKeys() : Rendezvous(Insecure()) {}
  static Harness::Options Insecure() {
    Harness::Options o;
    o.insecure = true;
    return o;
  }
};

TEST_F(Rendezvous, ARanksKeyOpensOnlyItsOwnAttempt) {
  for (const wire::Body& other : {wire::Body{wire::RdzvPut{job_, attempt_ + 1, "k", "v"}},
                                  wire::Body{wire::RdzvGet{job_, attempt_ - 1, "k", 0}},
                                  wire::Body{wire::RdzvGet{job_ + 1000, 1, "k", 0}}}) {
    wire::Error e = ErrorOf(Call(0, other));
    EXPECT_EQ(e.code, wire::ErrorCode::kPermissionDenied) << e.message;
    EXPECT_TRUE(Contains(e.message, "a rank of job " + std::to_string(job_) + " attempt " +
                                        std::to_string(attempt_) + " may not"))
        << e.message;
  }
  EXPECT_TRUE(IsOk(Put("k", "v"))) << "its own attempt";
}

TEST_F(RendezvousWithoutKeys, OnlyTheRunningAttemptIsServed) {
  wire::Error e = ErrorOf(Put("k", "v", attempt_ + 1));
  EXPECT_EQ(e.code, wire::ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(e.message, "job " + std::to_string(job_) + " attempt " + std::to_string(attempt_ + 1) +
                                      " is not running"))
      << e.message;
  e = ErrorOf(Call(0, wire::RdzvGet{job_, attempt_ - 1, "k", 0}));
  EXPECT_EQ(e.code, wire::ErrorCode::kFailedPrecondition);
  e = ErrorOf(Call(0, wire::RdzvGet{job_ + 1000, 1, "k", 0}));
  EXPECT_EQ(e.code, wire::ErrorCode::kNotFound);
  // A job still pending (the holder has every GPU) has no rendezvous yet.
  JobId pending = h_.Submit(Spec(1));
  e = ErrorOf(Call(0, wire::RdzvPut{pending, 1, "k", "v"}));
  EXPECT_EQ(e.code, wire::ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(e.message, "PENDING")) << e.message;
}

TEST_F(Rendezvous, AHeldGetIsAnsweredByALaterPublishNotAtItsDeadline) {
  std::vector<uint64_t> held;
  for (int r = 1; r < 4; ++r) held.push_back(Get(r, "nccl-id", 20 * kSecond));
  h_.Advance(300 * kMillisecond);
  for (int r = 1; r < 4; ++r)
    EXPECT_FALSE(Answer(r, held[r - 1])) << "rank " << r << " answered before the publish";
  ASSERT_TRUE(IsOk(Put("nccl-id", "the-id")));
  for (int r = 1; r < 4; ++r) {
    auto got = Answer(r, held[r - 1]);
    ASSERT_TRUE(got) << "rank " << r << " is still held after the publish";
    EXPECT_EQ(std::get<wire::RdzvValue>(*got), (wire::RdzvValue{true, "the-id"}));
  }
}

TEST_F(Rendezvous, AHeldGetIsAnsweredNotFoundAtItsDeadline) {
  uint64_t id = Get(1, "never", 400 * kMillisecond);
  h_.Advance(390 * kMillisecond, 10 * kMillisecond);
  EXPECT_FALSE(Answer(1, id)) << "answered before its deadline";
  h_.Advance(20 * kMillisecond, 10 * kMillisecond);
  auto got = Answer(1, id);
  ASSERT_TRUE(got) << "not answered at its deadline";
  EXPECT_EQ(std::get<wire::RdzvValue>(*got), (wire::RdzvValue{false, ""}));
}

TEST_F(Rendezvous, ABarrierReleasesEveryRankOnceAllArrivedAndCanBeUsedAgain) {
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<uint64_t> ids;
    for (int r = 0; r < 3; ++r) ids.push_back(Barrier(r, "ready", 20 * kSecond));
    for (int r = 0; r < 3; ++r)
      EXPECT_FALSE(Answer(r, ids[r])) << "rank " << r << " released before rank 3 came";
    ids.push_back(Barrier(3, "ready", 20 * kSecond));
    for (int r = 0; r < 4; ++r) {
      auto got = Answer(r, ids[r]);
      ASSERT_TRUE(got) << "rank " << r;
      EXPECT_TRUE(IsOk(*got)) << ErrorOf(*got).message;
    }
  }
}

TEST_F(Rendezvous, ABarrierThatIsNotFullTimesOutNamingWhoNeverCame) {
  std::vector<std::pair<int32_t, uint64_t>> ids;
  for (int r : {0, 1, 3}) ids.emplace_back(r, Barrier(r, "start", 500 * kMillisecond));
  h_.Advance(600 * kMillisecond, 50 * kMillisecond);
  for (auto [r, id] : ids) {
    auto got = Answer(r, id);
    ASSERT_TRUE(got) << "rank " << r << " still held after its deadline";
    wire::Error e = ErrorOf(*got);
    EXPECT_EQ(e.code, wire::ErrorCode::kUnavailable);
    EXPECT_TRUE(Contains(e.message, "barrier timed out: 'start' has")) << e.message;
    EXPECT_TRUE(Contains(e.message, "of 4 ranks; missing")) << e.message;
    EXPECT_TRUE(Contains(e.message, "2")) << e.message;
  }
  // No wait: a barrier that is not full fails at once.
  wire::Error e = ErrorOf(Call(1, wire::RdzvBarrier{job_, attempt_, "alone", 1, 3, 0}));
  EXPECT_EQ(e.code, wire::ErrorCode::kUnavailable);
  EXPECT_TRUE(Contains(e.message, "barrier timed out")) << e.message;
  // A world size that does not match the ranks already waiting.
  uint64_t held = Barrier(0, "mixed", kSecond);
  e = ErrorOf(Call(1, wire::RdzvBarrier{job_, attempt_, "mixed", 1, 2, 1000}));
  EXPECT_EQ(e.code, wire::ErrorCode::kBadRequest);
  EXPECT_TRUE(Contains(e.message, "world size 4")) << e.message;
  h_.Advance(1100 * kMillisecond, 100 * kMillisecond);
  auto got = Answer(0, held);
  ASSERT_TRUE(got);
  EXPECT_EQ(ErrorOf(*got).code, wire::ErrorCode::kUnavailable);
}

TEST_F(Rendezvous, KeysAndHeldRequestsDieWithTheAttempt) {
  ASSERT_TRUE(IsOk(Put("addr/0", "127.0.0.1:1")));
  uint64_t get = Get(1, "never", 30 * kSecond);
  uint64_t barrier = Barrier(2, "b", 30 * kSecond);
  ASSERT_TRUE(IsOk(h_.Call(wire::CancelJob{job_})));

  for (auto [rank, id] : {std::pair{1, get}, std::pair{2, barrier}}) {
    auto got = Answer(rank, id);
    ASSERT_TRUE(got) << "rank " << rank << " still held after the cancel";
    wire::Error e = ErrorOf(*got);
    EXPECT_EQ(e.code, wire::ErrorCode::kNotFound) << e.message;
    EXPECT_TRUE(Contains(e.message, "job attempt ended")) << e.message;
  }
  EXPECT_EQ(h_.Show(job_).state, JobState::kCancelled);
  // The attempt's key died with it: its ranks are nobody now.
  wire::Error e = ErrorOf(Call(0, wire::RdzvGet{job_, attempt_, "addr/0", 0}));
  EXPECT_EQ(e.code, wire::ErrorCode::kPermissionDenied) << e.message;
  EXPECT_TRUE(Contains(e.message, "unauthenticated")) << e.message;
}

TEST_F(Rendezvous, ARankWhoseConnectionIsGoneDoesNotStopTheOthers) {
  uint64_t lost = Get(1, "nccl-id", 20 * kSecond);
  Rank(1).Disconnect();
  uint64_t live = Get(2, "nccl-id", 20 * kSecond);
  ASSERT_TRUE(IsOk(Put("nccl-id", "v")));
  auto got = Answer(2, live);
  ASSERT_TRUE(got);
  EXPECT_EQ(std::get<wire::RdzvValue>(*got).value, "v");
  EXPECT_FALSE(Answer(1, lost));
  EXPECT_EQ(h_.Show(job_).state, JobState::kRunning);
}

}  // namespace
}  // namespace muster::testing
