// Names and parsers of the public enums, Status and Result.
#include "muster/types.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "muster/status.h"

namespace muster {
namespace {

TEST(JobStateNames, RoundTripAndCaseInsensitive) {
  std::set<std::string> names;
  for (int i = 0; i <= static_cast<int>(JobState::kNodeFail); ++i) {
    auto s = static_cast<JobState>(i);
    std::string name = JobStateName(s);
    names.insert(name);
    EXPECT_EQ(ParseJobState(name), s) << name;
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(ParseJobState(lower), s) << lower;
  }
  EXPECT_EQ(names.size(), 9u);
  EXPECT_STREQ(JobStateName(JobState::kNodeFail), "NODE_FAIL");
  EXPECT_STREQ(JobStateName(static_cast<JobState>(99)), "UNKNOWN");
  EXPECT_FALSE(ParseJobState("").has_value());
  EXPECT_FALSE(ParseJobState("RUN").has_value());
  EXPECT_FALSE(ParseJobState("UNKNOWN").has_value());
}

TEST(JobStateNames, IsFinal) {
  std::set<JobState> finals = {JobState::kCompleted, JobState::kFailed, JobState::kCancelled,
                               JobState::kTimeout};
  for (int i = 0; i <= static_cast<int>(JobState::kNodeFail); ++i) {
    auto s = static_cast<JobState>(i);
    EXPECT_EQ(IsFinal(s), finals.count(s) == 1) << JobStateName(s);
  }
}

TEST(EnumNames, PendingReasonNodeStateWindow) {
  std::set<std::string> reasons;
  for (int i = 0; i <= static_cast<int>(PendingReason::kPreempted); ++i)
    reasons.insert(PendingReasonName(static_cast<PendingReason>(i)));
  EXPECT_EQ(reasons.size(), 12u);
  EXPECT_EQ(reasons.count("Unknown"), 0u);
  EXPECT_STREQ(PendingReasonName(PendingReason::kResources), "Resources");

  EXPECT_STREQ(NodeStateName(NodeState::kUp), "UP");
  EXPECT_STREQ(NodeStateName(NodeState::kDown), "DOWN");
  EXPECT_STREQ(NodeStateName(NodeState::kDrain), "DRAIN");

  for (Window w : {Window::kAnytime, Window::kOffpeak, Window::kOffpeakPreferred})
    EXPECT_EQ(ParseWindow(WindowName(w)), w);
  EXPECT_EQ(ParseWindow("OffPeak"), Window::kOffpeak);
  EXPECT_FALSE(ParseWindow("never").has_value());
}

Result<std::string> Echo(const std::string& s) {
  if (s.empty()) return Status::InvalidArgument("empty");
  return s;
}

TEST(StatusAndResult, Basics) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.ToString(), "OK");
  Status nf = Status::NotFound("job 7");
  EXPECT_FALSE(nf.ok());
  EXPECT_EQ(nf.ToString(), "NotFound: job 7");
  EXPECT_EQ(Status(StatusCode::kVersionMismatch, "v2").ToString(), "VersionMismatch: v2");

  Result<std::string> r = Echo("five");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(*r, "five");
  EXPECT_EQ(r->size(), 4u);
  Result<std::string> e = Echo("");
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(e.status().message(), "empty");
  for (int c = 0; c <= static_cast<int>(StatusCode::kInternal); ++c)
    EXPECT_STRNE(StatusCodeName(static_cast<StatusCode>(c)), "Unknown") << c;
}

}  // namespace
}  // namespace muster
