// Seeded, order-independent randomness (docs/architecture.md principle 6): a job's draw depends on
// (seed, stream, its index) only, so filtering or reordering other jobs never
// changes it, and the values are the same on every platform (no
// std::uniform_*_distribution, whose output is implementation-defined).
#pragma once

#include <cstdint>

namespace muster::sim {

inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Streams keep unrelated draws independent.
enum class RngStream : uint64_t { kDeferrable = 1, kTimeLimitNoise = 2 };

// Uniform in [0, 1), 53 bits.
inline double UnitUniform(uint64_t seed, RngStream stream, uint64_t index) {
  uint64_t h = SplitMix64(SplitMix64(seed ^ (static_cast<uint64_t>(stream) << 56)) ^ index);
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

}  // namespace muster::sim
