// UsageLedger (fair_share.h): decayed GPU-hours per queue and team; time is
// passed in.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <utility>

#include "scheduler/core/fair_share.h"

namespace muster::core {
namespace {

constexpr Time kT0 = 1'795'708'800LL * kSecond;
constexpr Duration kWeek = 7 * kDay;

TEST(CoreUsageLedger, StartsEmpty) {
  UsageLedger ledger;
  EXPECT_EQ(ledger.half_life(), kWeek);
  EXPECT_EQ(ledger.last(), kNoTime);
  EXPECT_EQ(ledger.Queue("a"), 0.0);
  EXPECT_EQ(ledger.Team("a", "x"), 0.0);
}

TEST(CoreUsageLedger, TheFirstAdvanceOnlySetsTheClock) {
  UsageLedger ledger(kHour);
  ledger.Advance(kT0, {{"a", "x", 8}});
  EXPECT_EQ(ledger.last(), kT0);
  EXPECT_EQ(ledger.Queue("a"), 0.0);
}

TEST(CoreUsageLedger, UsageHalvesAfterOneHalfLife) {
  UsageLedger ledger(kWeek);
  ledger.Restore(kT0, {{"a", 8.0}, {"b", 2.0}}, {{{"a", "x"}, 4.0}});
  ledger.Advance(kT0 + kWeek, {});
  EXPECT_NEAR(ledger.Queue("a"), 4.0, 1e-9);
  EXPECT_NEAR(ledger.Queue("b"), 1.0, 1e-9);
  EXPECT_NEAR(ledger.Team("a", "x"), 2.0, 1e-9);
  ledger.Advance(kT0 + 2 * kWeek, {});
  EXPECT_NEAR(ledger.Queue("a"), 2.0, 1e-9);
}

TEST(CoreUsageLedger, DecayDoesNotDependOnHowTimeIsSliced) {
  UsageLedger one(kDay), many(kDay);
  one.Restore(kT0, {{"a", 10.0}}, {});
  many.Restore(kT0, {{"a", 10.0}}, {});
  one.Advance(kT0 + 3 * kDay, {});
  for (int h = 1; h <= 72; ++h) many.Advance(kT0 + h * kHour, {});
  EXPECT_NEAR(one.Queue("a"), 1.25, 1e-9);
  EXPECT_NEAR(many.Queue("a"), 1.25, 1e-9);
}

TEST(CoreUsageLedger, ChargesAccumulateGpuHours) {
  UsageLedger ledger(1000 * kWeek);  // decay negligible
  ledger.Advance(kT0, {});
  ledger.Advance(kT0 + kHour, {{"a", "x", 4}});
  EXPECT_NEAR(ledger.Queue("a"), 4.0, 1e-3);
  EXPECT_NEAR(ledger.Team("a", "x"), 4.0, 1e-3);
  ledger.Advance(kT0 + 3 * kHour, {{"a", "x", 4}, {"a", "y", 2}, {"b", "z", 1}});
  EXPECT_NEAR(ledger.Queue("a"), 4.0 + 8.0 + 4.0, 1e-3);
  EXPECT_NEAR(ledger.Team("a", "x"), 12.0, 1e-3);
  EXPECT_NEAR(ledger.Team("a", "y"), 4.0, 1e-3);
  EXPECT_NEAR(ledger.Queue("b"), 2.0, 1e-3);
  EXPECT_NEAR(ledger.Team("b", "z"), 2.0, 1e-3);
}

TEST(CoreUsageLedger, UsageChargedDuringAnIntervalDecaysWithinIt) {
  // One GPU for one half-life: between half an hour and an hour of credit.
  UsageLedger ledger(kHour);
  ledger.Advance(kT0, {});
  ledger.Advance(kT0 + kHour, {{"a", "x", 1}});
  EXPECT_GT(ledger.Queue("a"), 0.5);
  EXPECT_LT(ledger.Queue("a"), 1.0);
}

TEST(CoreUsageLedger, TimeGoingBackwardsChangesNothing) {
  UsageLedger ledger(kHour);
  ledger.Restore(kT0, {{"a", 8.0}}, {});
  ledger.Advance(kT0 - kHour, {{"a", "x", 100}});
  ledger.Advance(kT0, {{"a", "x", 100}});
  EXPECT_EQ(ledger.Queue("a"), 8.0);
  EXPECT_EQ(ledger.last(), kT0);
}

TEST(CoreUsageLedger, RestoreRoundTrips) {
  UsageLedger a(kDay);
  a.Advance(kT0, {});
  a.Advance(kT0 + 5 * kHour, {{"a", "x", 3}, {"b", "y", 1}});
  UsageLedger b(kDay);
  b.Restore(a.last(), a.queues(), a.teams());
  EXPECT_EQ(b.last(), a.last());
  EXPECT_EQ(b.queues(), a.queues());
  EXPECT_EQ(b.teams(), a.teams());
  // And both go on identically.
  a.Advance(kT0 + 9 * kHour, {{"a", "x", 2}});
  b.Advance(kT0 + 9 * kHour, {{"a", "x", 2}});
  EXPECT_EQ(b.queues(), a.queues());
  EXPECT_EQ(b.teams(), a.teams());
}

}  // namespace
}  // namespace muster::core
