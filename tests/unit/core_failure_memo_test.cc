// The per-cycle memo of gang shapes that cannot be placed (docs/policy.md,
// "Speed"): a failed shape implies every shape at least as large in both
// dimensions fails, and nothing else.
#include <gtest/gtest.h>

#include "scheduler/core/failure_memo.h"
#include "scheduler/core/snapshot.h"
#include "tests/unit/core_test_util.h"

namespace muster::core {
namespace {

TEST(CoreFailureMemo, KnowsNothingAtFirst) {
  FailureMemo memo(8);
  EXPECT_FALSE(memo.Fails({1, 1}));
  EXPECT_FALSE(memo.Fails({64, 8}));
}

TEST(CoreFailureMemo, AFailedShapeCoversEveryLargerShape) {
  FailureMemo memo(8);
  memo.Record({2, 4});
  EXPECT_TRUE(memo.Fails({2, 4}));
  EXPECT_TRUE(memo.Fails({3, 4})) << "more nodes";
  EXPECT_TRUE(memo.Fails({2, 8})) << "more GPUs per node";
  EXPECT_FALSE(memo.Fails({1, 4})) << "fewer nodes may still fit";
  EXPECT_FALSE(memo.Fails({2, 3})) << "smaller nodes may still fit";
}

TEST(CoreFailureMemo, AFlexibleJobFailsOnlyWhenEachOfItsSplitsDoes) {
  // 8 GPUs on 8-GPU nodes: 1x8, 2x4, 4x2, 8x1.
  FailureMemo memo(8);
  PendingJob flexible = PendingJobBuilder(1).Gpus(8);
  memo.Record({1, 8});
  memo.Record({2, 4});
  EXPECT_FALSE(memo.FailsAll(flexible));
  memo.Record({4, 2});
  memo.Record({8, 1});
  EXPECT_TRUE(memo.FailsAll(flexible));
}

TEST(CoreFailureMemo, AJobWithAHardTopologyRecordsNothing) {
  // Failing inside one switch says nothing about a job that may spread.
  FailureMemo memo(8);
  memo.RecordAll(PendingJobBuilder(1).Gang(2, 4).SameSwitch());
  EXPECT_FALSE(memo.Fails({2, 4}));
  memo.RecordAll(PendingJobBuilder(2).Gang(2, 4));
  EXPECT_TRUE(memo.FailsAll(PendingJobBuilder(3).Gang(2, 4)));
}

}  // namespace
}  // namespace muster::core
