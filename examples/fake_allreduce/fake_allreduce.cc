// fake_allreduce: an "NCCL-like" rank program without a GPU. It bootstraps
// the way an NCCL job does (through Muster's rendezvous, docs/rendezvous.md)
// and then does what NCCL's ring does, over plain TCP on the CPU:
//
//   1. listen on a TCP port (this node's address toward MASTER_ADDR, port 0)
//   2. publish "addr/<rank>" = host:port; await every other rank's address
//   3. ring all-reduce (sum) of N doubles: reduce-scatter, then all-gather
//   4. check every element against the expected sum, print
//      "rank R/W allreduce ok, N doubles, X MB/s", Barrier("done")
//
// Exit status: 0 only when the result is correct; 1 wrong result; 2 the
// rendezvous failed (environment, timeout, musterd); 3 the ring's sockets
// failed; 64 bad usage. Every blocking step is bounded by --timeout-ms.
//
// Usage: fake_allreduce [--timeout-ms MS] [--silent-rank R] [--host H] [N]
//   N                 doubles per rank (default 65536)
//   --timeout-ms MS   bound for the rendezvous and each ring phase (60000)
//   --silent-rank R   fault injection: rank R never publishes its address and
//                     sleeps until killed (the others must fail, not hang)
//   --host H          the address to publish (default: the local address
//                     that routes to MASTER_ADDR, 127.0.0.1 on loopback)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "muster/rendezvous.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitWrong = 1;
constexpr int kExitRendezvous = 2;
constexpr int kExitNetwork = 3;
constexpr int kExitUsage = 64;
constexpr uint32_t kHelloMagic = 0x4d555354;  // "MUST"

using Clock = std::chrono::steady_clock;

struct Args {
  int64_t n = 1 << 16;
  int32_t timeout_ms = 60000;
  int32_t silent_rank = -1;
  std::string host;
};

bool ParseInt(const char* s, int64_t lo, int64_t hi, int64_t* out) {
  const char* digits = s[0] == '-' ? s + 1 : s;
  if (*digits < '0' || *digits > '9') return false;  // strtoll would skip blanks, take '+'
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s, &end, 10);
  if (*s == '\0' || *end != '\0' || errno == ERANGE || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool ParseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    int64_t v = 0;
    if (arg == "--help" || arg == "-h") return false;
    if ((arg == "--timeout-ms" || arg == "--silent-rank" || arg == "--host") && i + 1 >= argc) {
      std::fprintf(stderr, "fake_allreduce: %s needs a value\n", arg.c_str());
      return false;
    }
    if (arg == "--timeout-ms") {
      if (!ParseInt(argv[++i], 1, 24 * 3600 * 1000, &v)) return false;
      a->timeout_ms = static_cast<int32_t>(v);
    } else if (arg == "--silent-rank") {
      if (!ParseInt(argv[++i], 0, 1 << 30, &v)) return false;
      a->silent_rank = static_cast<int32_t>(v);
    } else if (arg == "--host") {
      a->host = argv[++i];
    } else if (ParseInt(arg.c_str(), 1, int64_t{1} << 30, &v)) {
      a->n = v;
    } else {
      std::fprintf(stderr, "fake_allreduce: unexpected argument '%s'\n", arg.c_str());
      return false;
    }
  }
  return true;
}

// ---- sockets: every wait bounded by a deadline ---------------------------------

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

int MsLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 1 << 30));
}

int32_t MsLeft32(Clock::time_point deadline) { return static_cast<int32_t>(MsLeft(deadline)); }

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

bool SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL, 0);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

bool ResolveIpv4(const std::string& host, in_addr* out) {
  if (::inet_pton(AF_INET, host.c_str(), out) == 1) return true;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res) return false;
  *out = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr;
  ::freeaddrinfo(res);
  return true;
}

// The local address the kernel would use to reach MASTER_ADDR (a UDP
// connect sends nothing): 127.0.0.1 on a loopback cluster, the right
// interface on a real one.
std::string LocalAddressTowardMaster() {
  const char* master = std::getenv("MASTER_ADDR");
  in_addr dst{};
  if (!master || !*master || !ResolveIpv4(master, &dst)) return "127.0.0.1";
  Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) return "127.0.0.1";
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr = dst;
  to.sin_port = htons(9);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) return "127.0.0.1";
  sockaddr_in me{};
  socklen_t len = sizeof me;
  if (::getsockname(s.get(), reinterpret_cast<sockaddr*>(&me), &len) != 0) return "127.0.0.1";
  char buf[INET_ADDRSTRLEN];
  return ::inet_ntop(AF_INET, &me.sin_addr, buf, sizeof buf) ? buf : "127.0.0.1";
}

bool Listen(const std::string& host, Fd* out, int* port, std::string* err) {
  in_addr addr{};
  if (!ResolveIpv4(host, &addr)) return *err = "cannot resolve " + host, false;
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) return *err = Errno("socket"), false;
  int one = 1;
  ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr = addr;
  sa.sin_port = 0;
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return *err = Errno("bind"), false;
  if (::listen(s.get(), 64) != 0) return *err = Errno("listen"), false;
  socklen_t len = sizeof sa;
  if (::getsockname(s.get(), reinterpret_cast<sockaddr*>(&sa), &len) != 0)
    return *err = Errno("getsockname"), false;
  if (!SetNonBlocking(s.get())) return *err = Errno("fcntl"), false;
  *port = ntohs(sa.sin_port);
  *out = std::move(s);
  return true;
}

// Sends and receives at once (both may be empty) until both are done: a ring
// where every rank first sent and then received would deadlock as soon as a
// chunk is larger than the socket buffers.
bool Exchange(int send_fd, const char* sbuf, size_t slen, int recv_fd, char* rbuf, size_t rlen,
              Clock::time_point deadline, std::string* err) {
  size_t sent = 0, got = 0;
  while (sent < slen || got < rlen) {
    pollfd p[2];
    int n = 0, si = -1, ri = -1;
    if (sent < slen) p[si = n++] = {send_fd, POLLOUT, 0};
    if (got < rlen) p[ri = n++] = {recv_fd, POLLIN, 0};
    int left = MsLeft(deadline);
    if (left == 0) return *err = "timed out in the ring", false;
    int r = ::poll(p, n, left);
    if (r < 0) {
      if (errno == EINTR) continue;
      return *err = Errno("poll"), false;
    }
    if (si >= 0 && (p[si].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t k = ::send(send_fd, sbuf + sent, slen - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (k > 0)
        sent += static_cast<size_t>(k);
      else if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        return *err = Errno("send to the next rank"), false;
    }
    if (ri >= 0 && (p[ri].revents & (POLLIN | POLLERR | POLLHUP))) {
      ssize_t k = ::recv(recv_fd, rbuf + got, rlen - got, MSG_DONTWAIT);
      if (k > 0)
        got += static_cast<size_t>(k);
      else if (k == 0)
        return *err = "the previous rank closed the connection", false;
      else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        return *err = Errno("recv from the previous rank"), false;
    }
  }
  return true;
}

struct Hello {
  uint32_t magic;
  int32_t rank;
  uint64_t job;
  int32_t attempt;
};
constexpr size_t kHelloBytes = 20;

void PackHello(const Hello& h, char* out) {
  std::memcpy(out, &h.magic, 4);
  std::memcpy(out + 4, &h.rank, 4);
  std::memcpy(out + 8, &h.job, 8);
  std::memcpy(out + 16, &h.attempt, 4);
}

Hello UnpackHello(const char* in) {
  Hello h{};
  std::memcpy(&h.magic, in, 4);
  std::memcpy(&h.rank, in + 4, 4);
  std::memcpy(&h.job, in + 8, 8);
  std::memcpy(&h.attempt, in + 16, 4);
  return h;
}

// Connects to the next rank (retrying while it is not accepting yet) and
// introduces itself.
bool ConnectNext(const std::string& addr, const Hello& me, Clock::time_point deadline, Fd* out,
                 std::string* err) {
  auto colon = addr.rfind(':');
  in_addr ip{};
  int64_t port = 0;
  if (colon == std::string::npos || !ResolveIpv4(addr.substr(0, colon), &ip) ||
      !ParseInt(addr.substr(colon + 1).c_str(), 1, 65535, &port))
    return *err = "bad peer address '" + addr + "'", false;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr = ip;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  while (true) {
    Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (s.get() < 0) return *err = Errno("socket"), false;
    int rc = ::connect(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{s.get(), POLLOUT, 0};
      int r = ::poll(&p, 1, MsLeft(deadline));
      if (r == 0) return *err = "timed out connecting to " + addr, false;
      if (r < 0) continue;  // EINTR: start over with a fresh socket
      int so_error = 0;
      socklen_t len = sizeof so_error;
      ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &so_error, &len);
      rc = so_error == 0 ? 0 : -1;
      errno = so_error;
    }
    if (rc == 0) {
      int one = 1;
      ::setsockopt(s.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      char buf[kHelloBytes];
      PackHello(me, buf);
      if (!Exchange(s.get(), buf, kHelloBytes, s.get(), nullptr, 0, deadline, err)) return false;
      *out = std::move(s);
      return true;
    }
    if (errno != ECONNREFUSED && errno != EAGAIN && errno != ETIMEDOUT)
      return *err = Errno(("connect to " + addr).c_str()), false;
    if (MsLeft(deadline) == 0) return *err = "timed out connecting to " + addr, false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// Accepts the previous rank's connection; anything else that connects (a
// stray client, another job) is dropped.
bool AcceptPrev(int listen_fd, const Hello& expect, Clock::time_point deadline, Fd* out, std::string* err) {
  while (true) {
    pollfd p{listen_fd, POLLIN, 0};
    int r = ::poll(&p, 1, MsLeft(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      return *err = "timed out waiting for rank " + std::to_string(expect.rank) + " to connect", false;
    Fd s(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (s.get() < 0) {
      if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) continue;
      return *err = Errno("accept"), false;
    }
    char buf[kHelloBytes];
    std::string why;
    auto hello_deadline = std::min(deadline, Clock::now() + std::chrono::seconds(5));
    if (!Exchange(s.get(), nullptr, 0, s.get(), buf, kHelloBytes, hello_deadline, &why)) continue;
    Hello h = UnpackHello(buf);
    if (h.magic != kHelloMagic || h.rank != expect.rank || h.job != expect.job || h.attempt != expect.attempt)
      continue;
    int one = 1;
    ::setsockopt(s.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *out = std::move(s);
    return true;
  }
}

// ---- the ring ------------------------------------------------------------------

// Chunk c of W over n elements: [begin, end).
int64_t ChunkBegin(int64_t n, int32_t w, int32_t c) { return n * c / w; }

bool RingAllReduce(std::vector<double>& data, int32_t rank, int32_t world, int send_fd, int recv_fd,
                   Clock::time_point deadline, std::string* err) {
  const int64_t n = static_cast<int64_t>(data.size());
  auto bytes = [](int64_t elems) { return static_cast<size_t>(elems) * sizeof(double); };
  std::vector<double> incoming(static_cast<size_t>(n / world + 1));
  // Reduce-scatter: after W-1 steps rank r holds the full sum of chunk r+1.
  for (int32_t s = 0; s < world - 1; ++s) {
    int32_t sc = ((rank - s) % world + world) % world;
    int32_t rc = ((rank - s - 1) % world + world) % world;
    int64_t sb = ChunkBegin(n, world, sc), se = ChunkBegin(n, world, sc + 1);
    int64_t rb = ChunkBegin(n, world, rc), re = ChunkBegin(n, world, rc + 1);
    if (!Exchange(send_fd, reinterpret_cast<const char*>(data.data() + sb), bytes(se - sb), recv_fd,
                  reinterpret_cast<char*>(incoming.data()), bytes(re - rb), deadline, err))
      return false;
    for (int64_t i = rb; i < re; ++i) data[i] += incoming[i - rb];
  }
  // All-gather: pass the finished chunks around the ring.
  for (int32_t s = 0; s < world - 1; ++s) {
    int32_t sc = ((rank + 1 - s) % world + world) % world;
    int32_t rc = ((rank - s) % world + world) % world;
    int64_t sb = ChunkBegin(n, world, sc), se = ChunkBegin(n, world, sc + 1);
    int64_t rb = ChunkBegin(n, world, rc), re = ChunkBegin(n, world, rc + 1);
    if (!Exchange(send_fd, reinterpret_cast<const char*>(data.data() + sb), bytes(se - sb), recv_fd,
                  reinterpret_cast<char*>(data.data() + rb), bytes(re - rb), deadline, err))
      return false;
  }
  return true;
}

void Usage() {
  std::fprintf(stderr,
               "usage: fake_allreduce [--timeout-ms MS] [--silent-rank R] [--host H] [N]\n"
               "  A rank of a Muster gang: rendezvous, then a ring all-reduce of N doubles\n"
               "  (default 65536) over TCP. Exit 0 correct, 1 wrong sum, 2 rendezvous\n"
               "  failed, 3 network failed.\n");
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) {
    Usage();
    return kExitUsage;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  auto rdzv_or = muster::Rendezvous::FromEnvironment();
  if (!rdzv_or.ok()) {
    std::fprintf(stderr, "fake_allreduce: rendezvous: %s\n", rdzv_or.status().ToString().c_str());
    return kExitRendezvous;
  }
  std::unique_ptr<muster::Rendezvous> rdzv = std::move(*rdzv_or);
  const auto& o = rdzv->options();
  const int32_t rank = o.rank, world = o.world_size;
  std::string tag = "rank " + std::to_string(rank) + "/" + std::to_string(world);
  auto fail = [&](int code, const std::string& what) {
    std::fprintf(stderr, "%s: %s\n", tag.c_str(), what.c_str());
    return code;
  };

  std::string host = args.host.empty() ? LocalAddressTowardMaster() : args.host;
  Fd listener;
  int port = 0;
  std::string err;
  if (!Listen(host, &listener, &port, &err)) return fail(kExitNetwork, "cannot listen: " + err);
  const std::string my_addr = host + ":" + std::to_string(port);

  if (rank == args.silent_rank) {
    // Fault injection: never publish; outlive the others' timeouts, but not forever.
    std::printf("%s: silent (--silent-rank): not publishing %s\n", tag.c_str(), my_addr.c_str());
    std::this_thread::sleep_for(std::chrono::milliseconds(int64_t{args.timeout_ms} * 3 + 10000));
    return fail(kExitRendezvous, "silent rank gave up waiting to be stopped");
  }

  // ---- rendezvous: exchange listening addresses ---------------------------------
  auto rdzv_deadline = Clock::now() + std::chrono::milliseconds(args.timeout_ms);
  if (muster::Status st = rdzv->Publish("addr/" + std::to_string(rank), my_addr); !st.ok())
    return fail(kExitRendezvous, "publishing my address: " + st.ToString());
  std::vector<std::string> addrs(world);
  addrs[rank] = my_addr;
  for (int32_t r = 0; r < world; ++r) {
    if (r == rank) continue;
    auto a = rdzv->Await("addr/" + std::to_string(r), MsLeft32(rdzv_deadline));
    if (!a.ok())
      return fail(kExitRendezvous, "awaiting rank " + std::to_string(r) + ": " + a.status().ToString());
    addrs[r] = *a;
  }

  // ---- data and the ring ----------------------------------------------------------
  std::vector<double> data(static_cast<size_t>(args.n));
  for (int64_t i = 0; i < args.n; ++i) data[i] = (rank + 1) + static_cast<double>(i) * 1e-6;

  auto t0 = Clock::now();
  if (world > 1) {
    auto net_deadline = Clock::now() + std::chrono::milliseconds(args.timeout_ms);
    const int32_t next = (rank + 1) % world, prev = (rank - 1 + world) % world;
    Hello me{kHelloMagic, rank, o.job, o.attempt};
    Hello expect{kHelloMagic, prev, o.job, o.attempt};
    Fd to_next, from_prev;
    if (!ConnectNext(addrs[next], me, net_deadline, &to_next, &err))
      return fail(kExitNetwork,
                  "connecting to rank " + std::to_string(next) + " at " + addrs[next] + ": " + err);
    if (!AcceptPrev(listener.get(), expect, net_deadline, &from_prev, &err)) return fail(kExitNetwork, err);
    t0 = Clock::now();
    if (!RingAllReduce(data, rank, world, to_next.get(), from_prev.get(), net_deadline, &err))
      return fail(kExitNetwork, "all-reduce: " + err);
  }
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();

  // ---- check ------------------------------------------------------------------------
  const double base = world * (world + 1) / 2.0;
  int64_t wrong = 0, first_wrong = -1;
  for (int64_t i = 0; i < args.n; ++i) {
    double expect = base + world * static_cast<double>(i) * 1e-6;
    if (std::fabs(data[i] - expect) > 1e-9 * std::max(1.0, std::fabs(expect))) {
      if (first_wrong < 0) first_wrong = i;
      ++wrong;
    }
  }
  if (wrong) {
    double expect = base + world * static_cast<double>(first_wrong) * 1e-6;
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "allreduce WRONG: %lld of %lld elements differ; [%lld] = %.9f, expected %.9f",
                  static_cast<long long>(wrong), static_cast<long long>(args.n),
                  static_cast<long long>(first_wrong), data[first_wrong], expect);
    return fail(kExitWrong, buf);
  }
  double mbps = static_cast<double>(args.n) * sizeof(double) / std::max(seconds, 1e-9) / 1e6;
  std::printf("%s allreduce ok, %lld doubles, %.1f MB/s\n", tag.c_str(), static_cast<long long>(args.n),
              mbps);

  if (muster::Status st = rdzv->Barrier("done", args.timeout_ms); !st.ok())
    return fail(kExitRendezvous, "barrier 'done': " + st.ToString());
  return kExitOk;
}
