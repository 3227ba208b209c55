#include "common/transport/zmtp_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "common/base/clock.h"
#include "common/proto/codec.h"

namespace muster::transport {
namespace {

// ZMTP 3.0 frame flags.
constexpr uint8_t kMore = 0x01;
constexpr uint8_t kLong = 0x02;
constexpr uint8_t kCommand = 0x04;
constexpr size_t kGreetingBytes = 64;
constexpr int kRetryConnectMs = 20;

// Signature, version 3.0, the mechanism (NULL or CURVE), as-server 0, filler.
std::string Greeting(const char* mechanism) {
  std::string g(kGreetingBytes, '\0');
  g[0] = static_cast<char>(0xFF);
  g[9] = 0x7F;
  g[10] = 3;
  g[11] = 0;
  std::memcpy(&g[12], mechanism, std::strlen(mechanism));
  return g;
}

void AppendBigEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t ReadBigEndian(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

std::string EncodeFrame(const std::string& body, uint8_t flags) {
  std::string f;
  if (body.size() > 255) {
    f.push_back(static_cast<char>(flags | kLong));
    AppendBigEndian(&f, body.size(), 8);
  } else {
    f.push_back(static_cast<char>(flags));
    f.push_back(static_cast<char>(body.size()));
  }
  return f + body;
}

// The one property a ROUTER needs of its peer: Socket-Type = DEALER.
std::string DealerMetadata() {
  std::string body;
  const std::string name = "Socket-Type", value = "DEALER";
  body.push_back(static_cast<char>(name.size()));
  body += name;
  AppendBigEndian(&body, value.size(), 4);
  body += value;
  return body;
}

// NULL security's READY command.
std::string ReadyCommand() { return EncodeFrame("\x05READY" + DealerMetadata(), kCommand); }

struct HostPort {
  std::string host, port;
};

Result<HostPort> ParseTcpEndpoint(const std::string& endpoint) {
  const std::string scheme = "tcp://";
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("bad scheduler endpoint '" + endpoint + "': " + why +
                                   " (use e.g. tcp://127.0.0.1:7600)");
  };
  if (endpoint.compare(0, scheme.size(), scheme) != 0) return bad("only tcp:// endpoints are supported");
  std::string rest = endpoint.substr(scheme.size());
  auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) return bad("no host:port");
  HostPort hp{rest.substr(0, colon), rest.substr(colon + 1)};
  if (hp.host.size() >= 2 && hp.host.front() == '[' && hp.host.back() == ']')
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  for (char c : hp.port)
    if (c < '0' || c > '9') return bad("the port is not a number");
  if (hp.port.size() > 5 || std::stoi(hp.port) == 0 || std::stoi(hp.port) > 65535)
    return bad("port out of range");
  return hp;
}

int LeftMs(int64_t deadline_ms) {
  return static_cast<int>(std::max<int64_t>(0, deadline_ms - MonotonicMs()));
}

}  // namespace

ZmtpClient::ZmtpClient(std::string endpoint, int timeout_ms, std::optional<curve::ClientKeys> keys)
    : endpoint_(std::move(endpoint)), timeout_ms_(timeout_ms), keys_(std::move(keys)) {}

ZmtpClient::~ZmtpClient() { Close(); }

void ZmtpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ready_ = false;
  session_.reset();
}

Status ZmtpClient::Unavailable(const std::string& why) const {
  return Status::Unavailable("cannot reach musterd at " + endpoint_ + " (" + why + ")");
}

Status ZmtpClient::Connect(int64_t deadline_ms) {
  auto hp = ParseTcpEndpoint(endpoint_);
  if (!hp.ok()) return hp.status();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(hp->host.c_str(), hp->port.c_str(), &hints, &found); rc != 0)
    return Status::InvalidArgument("bad scheduler endpoint '" + endpoint_ + "': " + gai_strerror(rc));
  std::string last_error = "connection refused";
  // Like libzmq, keep trying until the deadline: musterd may be starting.
  while (true) {
    for (addrinfo* a = found; a; a = a->ai_next) {
      int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fd_ = fd;
        freeaddrinfo(found);
        return Status::Ok();
      }
      last_error = std::strerror(errno);
      ::close(fd);
    }
    if (LeftMs(deadline_ms) <= kRetryConnectMs) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(kRetryConnectMs));
  }
  freeaddrinfo(found);
  return Unavailable(last_error + " for " + std::to_string(timeout_ms_) + " ms");
}

Status ZmtpClient::WriteAll(const std::string& bytes, int64_t deadline_ms) {
  size_t done = 0;
  while (done < bytes.size()) {
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, LeftMs(deadline_ms)) <= 0) return Unavailable("timed out sending");
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno != EINTR && errno != EAGAIN) {
      broke_ = ready_;
      return Unavailable(std::string("send: ") + std::strerror(errno));
    }
    if (n > 0) done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status ZmtpClient::ReadExactly(size_t n, std::string* out, int64_t deadline_ms) {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    pollfd p{fd_, POLLIN, 0};
    int left = LeftMs(deadline_ms);
    if (left <= 0 || ::poll(&p, 1, left) <= 0)
      return Unavailable("no reply in " + std::to_string(timeout_ms_) + " ms");
    ssize_t got = ::recv(fd_, out->data() + done, n - done, 0);
    if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
      broke_ = ready_;
      return Unavailable(got == 0 ? "musterd closed the connection"
                                  : std::string("recv: ") + std::strerror(errno));
    }
    if (got > 0) done += static_cast<size_t>(got);
  }
  return Status::Ok();
}

Result<ZmtpClient::Frame> ZmtpClient::ReadFrame(int64_t deadline_ms) {
  std::string head;
  MUSTER_RETURN_IF_ERROR(ReadExactly(2, &head, deadline_ms));
  const auto flags = static_cast<uint8_t>(head[0]);
  uint64_t size = static_cast<uint8_t>(head[1]);
  if (flags & kLong) {
    std::string more;
    MUSTER_RETURN_IF_ERROR(ReadExactly(7, &more, deadline_ms));
    size = ReadBigEndian(head.substr(1) + more, 0, 8);
  }
  if (size > 4 * wire::kMaxFrameBytes)
    return Status::ResourceExhausted("a frame of " + std::to_string(size) + " bytes");
  Frame f;
  f.command = flags & kCommand;
  f.more = flags & kMore;
  MUSTER_RETURN_IF_ERROR(ReadExactly(size, &f.body, deadline_ms));
  return f;
}

Status ZmtpClient::Handshake(int64_t deadline_ms) {
  const char* mechanism = keys_ ? "CURVE" : "NULL";
  // Greetings first: a peer of another mechanism closes the connection on
  // reading ours, and its own greeting says why.
  MUSTER_RETURN_IF_ERROR(WriteAll(Greeting(mechanism), deadline_ms));
  std::string greeting;
  if (Status st = ReadExactly(kGreetingBytes, &greeting, deadline_ms); !st.ok()) {
    // libzmq closes at once on a greeting of another mechanism, often before
    // its own greeting is out.
    if (st.message().find("closed the connection") != std::string::npos ||
        st.message().find("reset by peer") != std::string::npos)
      return Unavailable(std::string("the peer closed the connection on our ") + mechanism +
                         " greeting: it may use another security mechanism" +
                         (keys_ ? "" : " (CURVE: see docs/security.md)"));
    return st;
  }
  if (static_cast<uint8_t>(greeting[0]) != 0xFF || greeting[9] != 0x7F || greeting[10] < 3)
    return Unavailable("the peer does not speak ZMTP 3");
  if (greeting.compare(12, 20, std::string(mechanism) + std::string(20 - std::strlen(mechanism), '\0')) != 0)
    return Unavailable(std::string("the peer does not use ") + mechanism + " security" +
                       (keys_ ? "" : " (is musterd run with CURVE keys? see docs/security.md)"));
  if (keys_) return CurveHandshake(deadline_ms);
  MUSTER_RETURN_IF_ERROR(WriteAll(ReadyCommand(), deadline_ms));
  auto ready = ReadFrame(deadline_ms);
  if (!ready.ok()) return ready.status();
  if (!ready->command || ready->body.size() < 6 || ready->body.compare(1, 5, "READY") != 0)
    return Unavailable("the peer refused the ZMTP handshake");
  return Status::Ok();
}

// HELLO, WELCOME, INITIATE, READY (curve.h builds and checks each).
Status ZmtpClient::CurveHandshake(int64_t deadline_ms) {
  session_.emplace(*keys_);
  auto hello = session_->Hello();
  if (!hello.ok()) return Unavailable(hello.status().message());
  MUSTER_RETURN_IF_ERROR(WriteAll(EncodeFrame(*hello, kCommand), deadline_ms));
  auto welcome = ReadFrame(deadline_ms);
  if (!welcome.ok()) {
    // libzmq drops a HELLO it cannot open without a word.
    if (welcome.status().message().find("closed the connection") != std::string::npos)
      return Unavailable(
          "musterd closed the connection during the CURVE handshake (is the server key right?)");
    return welcome.status();
  }
  auto initiate = session_->Initiate(welcome->body, DealerMetadata());
  if (!initiate.ok()) return Unavailable(initiate.status().message());
  MUSTER_RETURN_IF_ERROR(WriteAll(EncodeFrame(*initiate, kCommand), deadline_ms));
  auto ready = ReadFrame(deadline_ms);
  if (!ready.ok()) return ready.status();
  auto metadata = session_->Ready(ready->body);
  if (metadata.status().code() == StatusCode::kPermissionDenied)
    return Status::PermissionDenied("musterd at " + endpoint_ + " does not know this key: " +
                                    "ask an operator to add its public key to musterd's access file (" +
                                    metadata.status().message() + ")");
  if (!metadata.ok()) return Unavailable(metadata.status().message());
  return Status::Ok();
}

Result<ZmtpClient::Frame> ZmtpClient::ReadMessage(int64_t deadline_ms) {
  auto frame = ReadFrame(deadline_ms);
  if (!frame.ok() || !session_) return frame;
  // Under CURVE every frame is a MESSAGE box, its flags inside.
  auto unboxed = session_->Unbox(frame->body);
  if (!unboxed.ok()) return Unavailable(unboxed.status().message());
  frame->command = unboxed->command;
  frame->more = unboxed->more;
  frame->body = std::move(unboxed->payload);
  return frame;
}

Status ZmtpClient::SendMessage(const std::string& payload, int64_t deadline_ms) {
  if (session_) return WriteAll(EncodeFrame(session_->Box(payload), 0), deadline_ms);
  return WriteAll(EncodeFrame(payload, 0), deadline_ms);
}

Result<wire::Body> ZmtpClient::Call(const wire::Body& request) {
  const int64_t deadline = MonotonicMs() + timeout_ms_;
  broke_ = false;
  if (fd_ < 0) {
    MUSTER_RETURN_IF_ERROR(Connect(deadline));
    if (Status st = Handshake(deadline); !st.ok()) {
      Close();
      return st;
    }
    ready_ = true;
  }
  wire::Envelope env;
  env.request_id = next_id_++;
  env.body = request;
  if (Status st = SendMessage(wire::Encode(env), deadline); !st.ok()) {
    Close();
    return st;
  }
  while (true) {
    auto frame = ReadMessage(deadline);
    if (!frame.ok()) {
      Close();
      return frame.status();
    }
    if (frame->command) continue;  // PING and the like: nothing to answer
    std::string payload = std::move(frame->body);
    while (frame->more) {  // not our protocol; read the rest and let Decode refuse it
      frame = ReadMessage(deadline);
      if (!frame.ok()) return frame.status();
      payload += frame->body;
    }
    auto reply = wire::Decode(payload);
    if (!reply.ok()) return reply.status();
    if (reply->request_id != env.request_id && reply->request_id != 0) continue;  // stale
    return std::move(reply->body);
  }
}

}  // namespace muster::transport
