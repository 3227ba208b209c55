#include "common/base/check.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace muster::internal {

CheckFailure::CheckFailure(const char* file, int line, const char* condition) {
  os_ << file << ":" << line << ": check failed: " << condition;
}

CheckFailure::~CheckFailure() {
  std::string text = os_.str();
  // Not through MLOG: the log level must not hide why the process died.
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace muster::internal
