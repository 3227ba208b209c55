// The rendezvous at the wire, against a real musterd: a job that just sleeps
// holds GPUs and a running attempt, and the test plays its ranks.
#include <atomic>
#include <future>
#include <thread>

#include "tests/rdzv/rdzv_test_util.h"

namespace muster::testing {
namespace {

using Steady = std::chrono::steady_clock;

class RdzvWire : public ClusterTest {
 protected:
  ClusterOptions Options() const override {
    ClusterOptions o;
    o.agents = 1;
    o.gpus_per_agent = 4;
    return o;
  }
  void SetUp() override {
    ClusterTest::SetUp();
    job_ = cluster().Submit({"--name", "holder", "--gpus", "4"}, {"sleep", "120"});
    Json j = cluster().WaitForJobState(job_, "RUNNING", Millis(15000));
    ASSERT_EQ(j["state"], "RUNNING") << j.dump(2);
    attempt_ = j["attempt"].get<int32_t>();
    ASSERT_GE(attempt_, 1);
  }
  std::unique_ptr<Rendezvous> Rank(int32_t rank, int32_t world = 4) {
    return RankClient(cluster().endpoint(), job_, attempt_, rank, world);
  }
  wire::Body Call(const wire::Body& request) { return RawCall(cluster().endpoint(), request); }

  int64_t job_ = 0;
  int32_t attempt_ = 0;
};

TEST_F(RdzvWire, PublishedValuesAreReadBackAndReplaced) {
  auto r0 = Rank(0), r1 = Rank(1);
  const std::string id("\x01\x00nccl-id\xff", 11);  // opaque bytes, NULs included
  ASSERT_TRUE(r0->Publish("nccl-id", id).ok());
  auto got = r1->Await("nccl-id", 1000);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, id);
  ASSERT_TRUE(r0->Publish("nccl-id", "second").ok());
  EXPECT_EQ(r1->Await("nccl-id", 0).value(), "second");
  ASSERT_TRUE(r0->Publish("empty", "").ok());
  EXPECT_EQ(r1->Await("empty", 0).value(), "");

  // A get with no wait for a key nobody set: found = false at once.
  auto none = Call(wire::RdzvGet{static_cast<JobId>(job_), attempt_, "nobody", 0});
  ASSERT_TRUE(std::holds_alternative<wire::RdzvValue>(none)) << wire::BodyName(none);
  EXPECT_FALSE(std::get<wire::RdzvValue>(none).found);
}

TEST_F(RdzvWire, LimitsGiveClearErrors) {
  JobId job = static_cast<JobId>(job_);
  wire::Error e = ErrorOf(Call(wire::RdzvPut{job, attempt_, std::string(257, 'k'), "v"}));
  EXPECT_EQ(e.code, wire::ErrorCode::kTooLarge);
  EXPECT_TRUE(Contains(e.message, "256")) << e.message;
  e = ErrorOf(Call(wire::RdzvPut{job, attempt_, "big", std::string(1024 * 1024 + 1, 'v')}));
  EXPECT_EQ(e.code, wire::ErrorCode::kTooLarge);
  EXPECT_TRUE(Contains(e.message, "1048576")) << e.message;
  e = ErrorOf(Call(wire::RdzvPut{job, attempt_, "", "v"}));
  EXPECT_EQ(e.code, wire::ErrorCode::kBadRequest);
  // Exactly at the limits is fine.
  EXPECT_TRUE(std::holds_alternative<wire::Ok>(
      Call(wire::RdzvPut{job, attempt_, std::string(256, 'k'), std::string(1024 * 1024, 'v')})));

  // 1024 keys per attempt; replacing one of them is still allowed.
  for (int i = 1; i < 1024; ++i) {
    auto reply = Call(wire::RdzvPut{job, attempt_, "key/" + std::to_string(i), "v"});
    ASSERT_TRUE(std::holds_alternative<wire::Ok>(reply)) << i << ": " << ErrorOf(reply).message;
  }
  e = ErrorOf(Call(wire::RdzvPut{job, attempt_, "one-too-many", "v"}));
  EXPECT_EQ(e.code, wire::ErrorCode::kTooLarge);
  EXPECT_TRUE(Contains(e.message, "1024")) << e.message;
  EXPECT_TRUE(std::holds_alternative<wire::Ok>(Call(wire::RdzvPut{job, attempt_, "key/7", "again"})));

  // Barrier arguments.
  e = ErrorOf(Call(wire::RdzvBarrier{job, attempt_, "b", 4, 4, 0}));
  EXPECT_EQ(e.code, wire::ErrorCode::kBadRequest);
  EXPECT_TRUE(Contains(e.message, "out of range")) << e.message;
}

TEST_F(RdzvWire, OnlyTheRunningAttemptIsServed) {
  JobId job = static_cast<JobId>(job_);
  wire::Error e = ErrorOf(Call(wire::RdzvPut{job, attempt_ + 1, "k", "v"}));
  EXPECT_EQ(e.code, wire::ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(e.message, "job " + std::to_string(job_) + " attempt " + std::to_string(attempt_ + 1) +
                                      " is not running"))
      << e.message;
  e = ErrorOf(Call(wire::RdzvGet{job, attempt_ - 1, "k", 0}));
  EXPECT_EQ(e.code, wire::ErrorCode::kFailedPrecondition);
  e = ErrorOf(Call(wire::RdzvGet{job + 1000, 1, "k", 0}));
  EXPECT_EQ(e.code, wire::ErrorCode::kNotFound);
  // A job still pending (the holder has every GPU) has no rendezvous yet.
  int64_t pending = cluster().Submit({"--gpus", "1"}, {"true"});
  e = ErrorOf(Call(wire::RdzvPut{static_cast<JobId>(pending), 1, "k", "v"}));
  EXPECT_EQ(e.code, wire::ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(e.message, "PENDING")) << e.message;
}

TEST_F(RdzvWire, AHeldGetIsAnsweredByALaterPublish) {
  auto r0 = Rank(0);
  std::vector<std::future<Result<std::string>>> waiting;
  for (int r = 1; r < 4; ++r) {
    waiting.push_back(std::async(std::launch::async, [this, r] { return Rank(r)->Await("nccl-id", 20000); }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto t0 = Steady::now();
  ASSERT_TRUE(r0->Publish("nccl-id", "the-id").ok());
  for (auto& f : waiting) {
    auto v = f.get();
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(*v, "the-id");
  }
  EXPECT_LT(ElapsedMs(t0), 5000)
      << "waiters must be answered when the key is published, not at their deadline";
}

TEST_F(RdzvWire, AGetTimesOutWithAClearError) {
  auto t0 = Steady::now();
  auto v = Rank(1)->Await("never", 400);
  int64_t ms = ElapsedMs(t0);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(v.status().message(), "'never' was not published within 400 ms"))
      << v.status().message();
  EXPECT_GE(ms, 350);
  EXPECT_LT(ms, 3000) << "musterd answers at its deadline, not at the transport's";
}

TEST_F(RdzvWire, ABarrierReleasesEveryRankOnceAllArrived) {
  for (int round = 0; round < 2; ++round) {  // the same name can be used again
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<std::future<Status>> ranks;
    for (int r = 0; r < 4; ++r)
      ranks.push_back(std::async(std::launch::async, [this, r] { return Rank(r)->Barrier("ready", 20000); }));
    for (auto& f : ranks) {
      Status st = f.get();
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
  }
}

TEST_F(RdzvWire, ABarrierThatIsNotFullTimesOut) {
  auto t0 = Steady::now();
  std::vector<std::future<Status>> ranks;
  for (int r : {0, 1, 3})
    ranks.push_back(std::async(std::launch::async, [this, r] { return Rank(r)->Barrier("start", 500); }));
  for (auto& f : ranks) {
    Status st = f.get();
    EXPECT_EQ(st.code(), StatusCode::kUnavailable);
    EXPECT_TRUE(Contains(st.message(), "barrier timed out: 'start' has")) << st.message();
    // Whoever times out is told who never came: rank 2 at least.
    EXPECT_TRUE(Contains(st.message(), "of 4 ranks; missing")) << st.message();
    EXPECT_TRUE(Contains(st.message(), "2")) << st.message();
  }
  EXPECT_LT(ElapsedMs(t0), 5000);
  // No wait: a barrier that is not full fails at once.
  wire::Error e = ErrorOf(Call(wire::RdzvBarrier{static_cast<JobId>(job_), attempt_, "alone", 1, 3, 0}));
  EXPECT_EQ(e.code, wire::ErrorCode::kUnavailable);
  EXPECT_TRUE(Contains(e.message, "barrier timed out")) << e.message;
  // A world size that does not match the ranks already waiting.
  auto held = std::async(std::launch::async, [this] { return Rank(0)->Barrier("mixed", 1000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  e = ErrorOf(Call(wire::RdzvBarrier{static_cast<JobId>(job_), attempt_, "mixed", 1, 2, 1000}));
  EXPECT_EQ(e.code, wire::ErrorCode::kBadRequest);
  EXPECT_TRUE(Contains(e.message, "world size 4")) << e.message;
  EXPECT_EQ(held.get().code(), StatusCode::kUnavailable);
}

// (c) Keys and held requests die with the attempt.
TEST_F(RdzvWire, KeysAndHeldRequestsDieWithTheAttempt) {
  ASSERT_TRUE(Rank(0)->Publish("addr/0", "127.0.0.1:1").ok());
  auto get = std::async(std::launch::async, [this] { return Rank(1)->Await("never", 30000); });
  auto barrier = std::async(std::launch::async, [this] { return Rank(2)->Barrier("b", 30000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto t0 = Steady::now();
  CommandResult cancel = cluster().Cli({"cancel", std::to_string(job_)});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.Describe();

  auto v = get.get();
  EXPECT_EQ(v.status().code(), StatusCode::kNotFound) << v.status().ToString();
  EXPECT_TRUE(Contains(v.status().message(), "job attempt ended")) << v.status().message();
  Status b = barrier.get();
  EXPECT_EQ(b.code(), StatusCode::kNotFound) << b.ToString();
  EXPECT_LT(ElapsedMs(t0), 15000);

  Json j = cluster().WaitForJobState(job_, "CANCELLED");
  ASSERT_EQ(j["state"], "CANCELLED") << j.dump(2);
  wire::Error e = ErrorOf(Call(wire::RdzvGet{static_cast<JobId>(job_), attempt_, "addr/0", 0}));
  EXPECT_EQ(e.code, wire::ErrorCode::kFailedPrecondition) << e.message;
  EXPECT_TRUE(Contains(e.message, "is not running")) << e.message;
}

}  // namespace
}  // namespace muster::testing
