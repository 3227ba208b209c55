#pragma once

#include <cstdint>
#include <string>

#include "common/proto/messages.h"
#include "muster/status.h"

namespace muster::agent {

constexpr uint32_t kMaxLogChunkBytes = 1 << 20;  // docs/protocol.md: ReadLog cap

// Up to min(max_bytes, 1 MiB) bytes of `path` from `offset`. `eof` when the
// chunk reaches the file's current end. `job_finished` is left to the caller.
// No such file: kNotFound.
Result<wire::LogChunk> ReadLogChunk(const std::string& path, uint64_t offset, uint32_t max_bytes);

}  // namespace muster::agent
