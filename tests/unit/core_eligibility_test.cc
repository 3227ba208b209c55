// Eligibility, stage 1 of a cycle (docs/policy.md, "One cycle"), through
// CheckEligibility alone: each check, its pending reason and detail, and
// which check wins when several apply.
#include <gtest/gtest.h>

#include <string>

#include "common/base/strings.h"
#include "scheduler/core/eligibility.h"
#include "scheduler/core/snapshot.h"
#include "tests/unit/core_test_util.h"

namespace muster::core {
namespace {

using Outcome = Eligibility::Outcome;

constexpr int32_t kEightGpuNodes = 8;  // the largest schedulable node, for most tests

Eligibility Check(const PendingJob& j, const QueueSnapshot& q, int32_t max_gpn = kEightGpuNodes) {
  return CheckEligibility(j, q, max_gpn, kNow);
}

TEST(CoreEligibilityStage, APlainJobIsEligible) {
  Eligibility e = Check(PendingJobBuilder(1).Gpus(4), QueueBuilder());
  EXPECT_TRUE(e.eligible());
  EXPECT_EQ(e.reason, PendingReason::kNone);
  EXPECT_EQ(e.detail, "");
}

TEST(CoreEligibilityStage, AJobOfAQueueThatDoesNotExistReadsAsPaused) {
  Eligibility e = Check(PendingJobBuilder(1).Queue(3), QueueBuilder());
  EXPECT_EQ(e.outcome, Outcome::kPending);
  EXPECT_EQ(e.reason, PendingReason::kQueuePaused);
  EXPECT_EQ(e.detail, "its queue does not exist");
}

TEST(CoreEligibilityStage, ADependencyThatCanNeverBeMetMakesTheJobNeverRunnable) {
  // Even held: the job fails, there is nothing to release it for.
  Eligibility e = Check(PendingJobBuilder(1).NeverSatisfied().Held(), QueueBuilder());
  EXPECT_EQ(e.outcome, Outcome::kNeverRunnable);
}

TEST(CoreEligibilityStage, AWaitingDependencyKeepsItPending) {
  Eligibility e = Check(PendingJobBuilder(1).Waiting(), QueueBuilder());
  EXPECT_EQ(e.outcome, Outcome::kPending);
  EXPECT_EQ(e.reason, PendingReason::kDependency);
  EXPECT_EQ(e.detail, "waiting for afterok dependencies");
}

TEST(CoreEligibilityStage, AHeldJobSaysHowToReleaseIt) {
  Eligibility e = Check(PendingJobBuilder(1).Held(), QueueBuilder());
  EXPECT_EQ(e.reason, PendingReason::kHeld);
  EXPECT_NE(e.detail.find("muster release"), std::string::npos) << e.detail;
}

TEST(CoreEligibilityStage, APausedQueuesJobNamesTheQueue) {
  QueueSnapshot q = QueueBuilder().Queue(1, QueueConfigBuilder("vision").Paused());
  Eligibility e = Check(PendingJobBuilder(1).Queue(1), q);
  EXPECT_EQ(e.reason, PendingReason::kQueuePaused);
  EXPECT_EQ(e.detail, "queue vision is paused");
}

TEST(CoreEligibilityStage, HeldIsToldBeforeAPausedQueue) {
  QueueSnapshot q = QueueBuilder().Queue(0, QueueConfigBuilder("vision").Paused());
  EXPECT_EQ(Check(PendingJobBuilder(1).Held(), q).reason, PendingReason::kHeld);
}

TEST(CoreEligibilityStage, AnOffpeakJobWaitsForTheNextWindowWithItsStartAsEta) {
  Time opens = kNow + 4 * kHour;
  QueueSnapshot q = QueueBuilder().Offpeak(opens, opens + 11 * kHour);
  Eligibility e = Check(PendingJobBuilder(1).Offpeak().TimeLimit(kHour), q);
  EXPECT_EQ(e.reason, PendingReason::kOffPeakWindow);
  EXPECT_EQ(e.eta, opens);
  EXPECT_EQ(e.detail, "eligible " + FormatRfc3339(opens));
}

TEST(CoreEligibilityStage, TheWindowCountsTheQueuesDefaultTimeLimit) {
  // The open window has one hour left: enough for the job's own 30 min
  // limit, not for the 2 h its queue gives a job without one.
  QueueSnapshot q = QueueBuilder()
                        .Queue(0, QueueConfigBuilder().DefaultTimeLimit(2 * kHour))
                        .Offpeak(kNow - kHour, kNow + kHour)
                        .Offpeak(kNow + 10 * kHour, kNow + 20 * kHour);
  EXPECT_TRUE(Check(PendingJobBuilder(1).Offpeak().TimeLimit(30 * kMinute), q).eligible());
  Eligibility e = Check(PendingJobBuilder(2).Offpeak(), q);
  EXPECT_EQ(e.reason, PendingReason::kOffPeakWindow);
  EXPECT_EQ(e.eta, kNow + 10 * kHour);
}

TEST(CoreEligibilityStage, AnOffpeakJobWithoutWindowsSaysNoneIsConfigured) {
  Eligibility e = Check(PendingJobBuilder(1).Offpeak(), QueueBuilder());
  EXPECT_EQ(e.reason, PendingReason::kOffPeakWindow);
  EXPECT_EQ(e.eta, kNoTime);
  EXPECT_EQ(e.detail, "no off-peak window is configured");
}

TEST(CoreEligibilityStage, AGangWiderThanEveryNodeNamesTheLargestNode) {
  Eligibility e = Check(PendingJobBuilder(1).Gang(2, 16), QueueBuilder());
  EXPECT_EQ(e.reason, PendingReason::kResources);
  EXPECT_EQ(e.detail, "needs 2x16 GPUs; no node is large enough (largest has 8 GPUs)");
  // A flexible job of the same size splits over nodes and stays eligible.
  EXPECT_TRUE(Check(PendingJobBuilder(2).Gpus(32), QueueBuilder()).eligible());
}

TEST(CoreEligibilityStage, WithoutASchedulableNodeNothingIsEligible) {
  Eligibility e = Check(PendingJobBuilder(1), QueueBuilder(), /*max_gpn=*/0);
  EXPECT_EQ(e.reason, PendingReason::kResources);
  EXPECT_EQ(e.detail, "needs 1 GPU; no node can take work (none registered, or all down or drained)");
}

}  // namespace
}  // namespace muster::core
