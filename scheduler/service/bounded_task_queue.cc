#include "scheduler/service/bounded_task_queue.h"

namespace muster::service {

BoundedTaskQueue::BoundedTaskQueue(size_t workers, size_t max_queued) : max_queued_(max_queued) {
  for (size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { Work(); });
}

BoundedTaskQueue::~BoundedTaskQueue() { shutdown(); }

void BoundedTaskQueue::enqueue(std::function<void()> fn) {
  {
    MutexLock lock(&mu_);
    if (!stopping_ && jobs_.size() < max_queued_) {
      jobs_.push_back(std::move(fn));
      cv_.Signal();
      return;
    }
    ++ran_inline_;
  }
  fn();  // full (or stopping): the caller serves it, and accepts nothing meanwhile
}

void BoundedTaskQueue::shutdown() {
  {
    MutexLock lock(&mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.SignalAll();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

size_t BoundedTaskQueue::ran_inline() const {
  MutexLock lock(&mu_);
  return ran_inline_;
}

void BoundedTaskQueue::Work() {
  while (true) {
    std::function<void()> fn;
    {
      MutexLock lock(&mu_);
      while (!stopping_ && jobs_.empty()) cv_.Wait(&mu_);
      if (jobs_.empty()) return;  // stopping, and every queued connection served
      fn = std::move(jobs_.front());
      jobs_.pop_front();
    }
    fn();
  }
}

}  // namespace muster::service
