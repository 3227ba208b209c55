#include "scheduler/sim/progress.h"

#include <unistd.h>

namespace muster::sim {

void TtyProgress::Update(const std::string& policy, int64_t done, int64_t total) {
  int percent = total > 0 ? static_cast<int>(done * 100 / total) : 100;
  if (percent == last_percent_) return;
  last_percent_ = percent;
  constexpr int kWidth = 40;
  int fill = percent * kWidth / 100;
  std::fprintf(out_, "\r  %-7s [%s%s] %3d%%  %lld/%lld jobs", policy.c_str(), std::string(fill, '#').c_str(),
               std::string(kWidth - fill, '.').c_str(), percent, static_cast<long long>(done),
               static_cast<long long>(total));
  std::fflush(out_);
}

void TtyProgress::Done(const std::string& policy) {
  std::fprintf(out_, "\r%*s\r", 90, "");
  std::fflush(out_);
  last_percent_ = -1;
}

bool WantProgress(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  return isatty(STDERR_FILENO) == 1;
}

}  // namespace muster::sim
