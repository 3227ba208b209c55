// A progress bar on stderr for long runs, drawn only when stderr is a
// terminal (or when asked): never in files or pipes, never in the results.
#pragma once

#include <cstdio>
#include <string>

#include "scheduler/sim/engine.h"

namespace muster::sim {

class TtyProgress final : public ProgressSink {
 public:
  explicit TtyProgress(std::FILE* out) : out_(out) {}
  void Update(const std::string& policy, int64_t done, int64_t total) override;
  void Done(const std::string& policy) override;

 private:
  std::FILE* out_;
  int last_percent_ = -1;
};

// Whether `mode` ("auto", "always", "never") wants a bar on stderr.
bool WantProgress(const std::string& mode);

}  // namespace muster::sim
