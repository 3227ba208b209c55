// A mutex that clang's thread-safety analysis understands
// (common/base/thread_annotations.h): members marked GUARDED_BY(mu_) may be
// touched only inside a MutexLock of mu_, and the compiler checks it.
// std::mutex and std::lock_guard carry no annotations in libstdc++, so
// locks are written with these instead.
//
//   mutable Mutex mu_;
//   int count_ GUARDED_BY(mu_) = 0;
//   int Count() const { MutexLock lock(&mu_); return count_; }
#pragma once

#include <condition_variable>
#include <mutex>

#include "common/base/thread_annotations.h"

namespace muster {

class CondVar;

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds `mu` for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable waited on with a Mutex held. Wait in a loop that
// re-reads the guarded state, not with a predicate lambda: the analysis
// checks a lambda's body as a function of its own, without the lock.
//
//   MutexLock lock(&mu_);
//   while (queue_.empty()) cv_.Wait(&mu_);
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Releases `mu` while it blocks and holds it again on return (also on a
  // spurious wake-up).
  void Wait(Mutex* mu) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // still held: the caller's MutexLock unlocks it
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace muster
