// The rendezvous client library without a musterd: what it refuses before
// sending anything (environment, options, limits).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <map>
#include <optional>
#include <string>

#include "muster/rendezvous.h"

namespace muster {
namespace {

const char* const kVars[] = {"MUSTER_RDZV", "MUSTER_JOB_ID", "MUSTER_ATTEMPT", "RANK", "WORLD_SIZE"};

// Sets the rendezvous variables for one test and restores them after.
class ScopedEnv {
 public:
  explicit ScopedEnv(const std::map<std::string, std::optional<std::string>>& vars) {
    for (const char* name : kVars) {
      const char* old = getenv(name);
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
      unsetenv(name);
    }
    for (const auto& [name, value] : vars)
      if (value) setenv(name.c_str(), value->c_str(), 1);
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value)
        setenv(name.c_str(), value->c_str(), 1);
      else
        unsetenv(name.c_str());
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

std::map<std::string, std::optional<std::string>> GoodEnv() {
  return {{"MUSTER_RDZV", "tcp://127.0.0.1:1"},
          {"MUSTER_JOB_ID", "42"},
          {"MUSTER_ATTEMPT", "3"},
          {"RANK", "5"},
          {"WORLD_SIZE", "8"}};
}

bool Has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(RendezvousFromEnvironment, ReadsEveryVariable) {
  ScopedEnv env(GoodEnv());
  auto r = Rendezvous::FromEnvironment();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const RendezvousOptions& o = (*r)->options();
  EXPECT_EQ(o.endpoint, "tcp://127.0.0.1:1");
  EXPECT_EQ(o.job, 42u);
  EXPECT_EQ(o.attempt, 3);
  EXPECT_EQ(o.rank, 5);
  EXPECT_EQ(o.world_size, 8);
}

TEST(RendezvousFromEnvironment, NamesEveryMissingVariable) {
  {
    ScopedEnv env({});
    auto r = Rendezvous::FromEnvironment();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
    for (const char* name : kVars) EXPECT_TRUE(Has(r.status().message(), name)) << r.status().message();
  }
  for (const char* name : kVars) {
    SCOPED_TRACE(name);
    auto vars = GoodEnv();
    vars[name] = std::nullopt;
    ScopedEnv env(vars);
    auto r = Rendezvous::FromEnvironment();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_TRUE(Has(r.status().message(), name)) << r.status().message();
  }
  {
    auto vars = GoodEnv();
    vars["RANK"] = "";  // set but empty counts as missing
    ScopedEnv env(vars);
    auto r = Rendezvous::FromEnvironment();
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(Has(r.status().message(), "RANK")) << r.status().message();
  }
}

TEST(RendezvousFromEnvironment, RejectsMalformedNumbers) {
  const std::pair<const char*, const char*> bad[] = {
      {"MUSTER_JOB_ID", "0"},
      {"MUSTER_JOB_ID", "12x"},
      {"MUSTER_JOB_ID", "-4"},
      {"MUSTER_ATTEMPT", "a"},
      {"RANK", "8"},
      {"RANK", "-1"},
      {"RANK", " 1"},
      {"WORLD_SIZE", "0"},
      {"WORLD_SIZE", "99999999999999999999"},
  };
  for (const auto& [name, value] : bad) {
    SCOPED_TRACE(std::string(name) + "=" + value);
    auto vars = GoodEnv();
    vars[name] = value;
    ScopedEnv env(vars);
    auto r = Rendezvous::FromEnvironment();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(Has(r.status().message(), name)) << r.status().message();
    EXPECT_TRUE(Has(r.status().message(), value)) << r.status().message();
  }
}

TEST(RendezvousFromEnvironment, RejectsAMalformedEndpoint) {
  auto vars = GoodEnv();
  vars["MUSTER_RDZV"] = "not an endpoint";
  ScopedEnv env(vars);
  auto r = Rendezvous::FromEnvironment();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Has(r.status().message(), "not an endpoint")) << r.status().message();
}

TEST(RendezvousConnect, ValidatesOptions) {
  RendezvousOptions good{"tcp://127.0.0.1:1", 7, 1, 0, 2, 1000};
  EXPECT_TRUE(Rendezvous::Connect(good).ok());
  auto with = [&](auto change) {
    RendezvousOptions o = good;
    change(o);
    return Rendezvous::Connect(o).status();
  };
  EXPECT_EQ(with([](auto& o) { o.endpoint = ""; }).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](auto& o) { o.job = kNoJob; }).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](auto& o) { o.world_size = 0; }).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](auto& o) { o.rank = 2; }).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](auto& o) { o.rank = -1; }).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](auto& o) { o.request_timeout_ms = 0; }).code(), StatusCode::kInvalidArgument);
}

// Limits are checked before anything is sent: these return at once even
// though nothing listens at the endpoint.
TEST(RendezvousLimits, RefusedLocally) {
  auto r = Rendezvous::Connect({"tcp://127.0.0.1:1", 7, 1, 0, 2, 60000});
  ASSERT_TRUE(r.ok());
  Rendezvous& rdzv = **r;
  EXPECT_EQ(rdzv.Publish("", "v").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(rdzv.Publish(std::string(257, 'k'), "v").code(), StatusCode::kInvalidArgument);
  Status big = rdzv.Publish("k", std::string(1024 * 1024 + 1, 'v'));
  EXPECT_EQ(big.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Has(big.message(), "1048577")) << big.message();
  EXPECT_EQ(rdzv.Await(std::string(257, 'k'), 1000).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(rdzv.Barrier("", 1000).code(), StatusCode::kInvalidArgument);
}

// Nobody answers: a bounded wait and a clear error, never a hang.
TEST(RendezvousUnreachable, FailsWithinItsTimeout) {
  auto r = Rendezvous::Connect({"tcp://127.0.0.1:1", 7, 1, 0, 2, 300});
  ASSERT_TRUE(r.ok());
  Status st = (*r)->Publish("k", "v");
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Has(st.message(), "tcp://127.0.0.1:1")) << st.message();
  auto a = (*r)->Await("k", 100);  // 100 ms wait + at least 1 s of slack
  EXPECT_EQ(a.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace muster
