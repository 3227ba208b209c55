#include "agent/service/log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace muster::agent {

Result<wire::LogChunk> ReadLogChunk(const std::string& path, uint64_t offset, uint32_t max_bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no log file " + path);
    return Status::IoError("open " + path + ": " + std::strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return Status::IoError("stat " + path + ": " + std::strerror(err));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  wire::LogChunk chunk;
  const uint64_t want =
      offset >= size ? 0 : std::min<uint64_t>(size - offset, std::min(max_bytes, kMaxLogChunkBytes));
  chunk.data.resize(want);
  uint64_t got = 0;
  while (got < want) {
    ssize_t n = pread(fd, chunk.data.data() + got, want - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return Status::IoError("read " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;  // truncated under us
    got += static_cast<uint64_t>(n);
  }
  close(fd);
  chunk.data.resize(got);
  chunk.next_offset = offset + got;
  chunk.eof = chunk.next_offset >= size;
  return chunk;
}

}  // namespace muster::agent
