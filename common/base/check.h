// Invariants in code: MUSTER_CHECK(cond) << "context" aborts with the file,
// line, condition and message when `cond` is false, in every build type
// (unlike assert, which NDEBUG removes). For broken invariants only: an
// expected failure (bad input, a full disk, a dead peer) is a Status
// (docs/architecture.md "Errors").
#pragma once

#include <sstream>

namespace muster::internal {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;
  template <typename T>
  CheckFailure& operator<<(const T& v) {
    os_ << v;
    return *this;
  }

 private:
  std::ostringstream os_;
};

}  // namespace muster::internal

// A one-pass for loop, like MLOG: safe inside an unbraced if/else, and the
// message is only built when the check fails.
#define MUSTER_CHECK(cond)                                                                      \
  for (bool muster_check_failed_ = !(cond); muster_check_failed_; muster_check_failed_ = false) \
  ::muster::internal::CheckFailure(__FILE__, __LINE__, #cond)
