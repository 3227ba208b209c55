// What every policy-core test shares: the builders of tests/support and one
// fixed "now". Included by the core_*_test.cc files only.
#pragma once

#include "muster/time.h"
#include "tests/support/builders.h"

namespace muster::core {

using testing::ClusterBuilder;
using testing::DiffPlans;
using testing::FindPlacement;
using testing::FindVerdict;
using testing::IsNeverRunnable;
using testing::PendingJobBuilder;
using testing::QueueBuilder;
using testing::QueueConfigBuilder;
using testing::RunningJobBuilder;
using testing::Victims;

// Thursday 2026-11-26T16:00:00Z.
constexpr Time kNow = 1'795'708'800LL * kSecond;

}  // namespace muster::core
