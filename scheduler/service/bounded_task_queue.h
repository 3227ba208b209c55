#pragma once

// A worker pool for cpp-httplib whose queue of accepted connections is
// bounded. httplib's own ThreadPool (0.11, Debian 12) queues without limit,
// so a flood of connections grows memory and delays every trigger behind it.
// Past the bound the listener thread serves the connection itself: it stops
// accepting meanwhile, and the kernel's listen backlog, which is bounded,
// holds (or refuses) the rest.
#include <httplib.h>

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "common/base/mutex.h"

namespace muster::service {

class BoundedTaskQueue final : public httplib::TaskQueue {
 public:
  BoundedTaskQueue(size_t workers, size_t max_queued);
  ~BoundedTaskQueue() override;
  BoundedTaskQueue(const BoundedTaskQueue&) = delete;
  BoundedTaskQueue& operator=(const BoundedTaskQueue&) = delete;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  // Connections the caller had to serve itself because the queue was full.
  size_t ran_inline() const;

 private:
  void Work();

  const size_t max_queued_;  // constant after construction
  // State below is protected by mu_.
  mutable Mutex mu_;
  CondVar cv_;  // jobs_ or stopping_ changed
  std::deque<std::function<void()>> jobs_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  size_t ran_inline_ GUARDED_BY(mu_) = 0;
  // Not guarded: only the constructor, shutdown() and the destructor touch
  // it, and httplib calls all three on its listener thread.
  std::vector<std::thread> threads_;
};

}  // namespace muster::service
