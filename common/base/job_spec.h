#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "muster/status.h"
#include "muster/types.h"

namespace muster {

// A whole spec (its command, environment and strings) at most: 40 held
// jobs of megabytes each would otherwise make a listing too large for one
// frame.
constexpr size_t kMaxSpecBytes = 256 * 1024;

// Every rule a submitted spec must satisfy, with a message that tells the
// user what to change. Shared by musterd (authoritative) and the CLI.
Status ValidateJobSpec(const JobSpec& spec);

// Every rule a retraining template must satisfy (`muster model register`):
// a valid model name, a valid job spec (not an array, no dependencies), and
// non-negative deadline and cooldown.
Status ValidateModelSpec(const ModelSpec& spec);

// `--array 0-99%8`: task indices as inclusive ranges, and at most
// `max_running` tasks at once (0: no cap).
struct ArraySpec {
  std::vector<std::pair<int32_t, int32_t>> ranges;  // sorted, disjoint
  int32_t max_running = 0;
  int64_t count = 0;
};
constexpr int64_t kMaxArrayTasks = 1'000'000;
constexpr int32_t kMaxArrayIndex = 10'000'000;
Result<ArraySpec> ParseArraySpec(std::string_view text);
// "0-7,9,12-20" <-> ranges (sorted, merged).
Result<std::vector<std::pair<int32_t, int32_t>>> ParseRanges(std::string_view text);
std::string FormatRanges(const std::vector<std::pair<int32_t, int32_t>>& ranges);

// A name is 1..64 of [A-Za-z0-9._-]: teams, queues, nodes, label keys.
bool IsValidName(std::string_view s);

}  // namespace muster
