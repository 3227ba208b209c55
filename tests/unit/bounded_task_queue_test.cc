// The HTTP gateway's worker pool: accepted connections wait in a bounded
// queue; past it the listener serves one itself instead of queueing more.
#include "scheduler/service/bounded_task_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace muster::service {
namespace {

bool WaitFor(const std::atomic<bool>& flag) {
  for (int i = 0; i < 500 && !flag.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return flag.load();
}

TEST(BoundedTaskQueueTest, PastTheBoundTheCallerServesTheConnectionItself) {
  BoundedTaskQueue q(/*workers=*/1, /*max_queued=*/1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> a_started{false}, b_ran{false};
  std::thread::id b_thread, c_thread;
  q.enqueue([&] {  // the only worker is busy with this one
    a_started = true;
    released.wait();
  });
  ASSERT_TRUE(WaitFor(a_started));
  q.enqueue([&] {  // queued: the bound is one
    b_thread = std::this_thread::get_id();
    b_ran = true;
  });
  q.enqueue([&] { c_thread = std::this_thread::get_id(); });  // full: served right here
  EXPECT_EQ(c_thread, std::this_thread::get_id());
  EXPECT_EQ(q.ran_inline(), 1u);
  EXPECT_FALSE(b_ran.load()) << "the queued connection waits for the worker";

  release.set_value();
  ASSERT_TRUE(WaitFor(b_ran));
  EXPECT_NE(b_thread, std::this_thread::get_id());
  q.shutdown();
}

TEST(BoundedTaskQueueTest, ShutdownServesEveryQueuedConnectionFirst) {
  // Each task closes a client's socket: none may be dropped at shutdown.
  std::atomic<int> served{0};
  {
    BoundedTaskQueue q(/*workers=*/2, /*max_queued=*/100);
    for (int i = 0; i < 50; ++i)
      q.enqueue([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ++served;
      });
    q.shutdown();
    EXPECT_EQ(served.load(), 50);
    EXPECT_EQ(q.ran_inline(), 0u);
  }  // the destructor after an explicit shutdown is harmless
  EXPECT_EQ(served.load(), 50);
}

}  // namespace
}  // namespace muster::service
