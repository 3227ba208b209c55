#include "common/transport/curve.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/base/check.h"

namespace muster::transport::curve {
namespace {

static_assert(crypto_box_PUBLICKEYBYTES == kKeyBytes && crypto_box_SECRETKEYBYTES == kKeyBytes);
static_assert(crypto_box_NONCEBYTES == 24 && crypto_box_MACBYTES == 16);
constexpr size_t kMac = crypto_box_MACBYTES;

const char kZ85[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

void InitSodium() {
  static const int rc = sodium_init();  // thread-safe, idempotent
  (void)rc;
}

using Nonce = std::array<uint8_t, crypto_box_NONCEBYTES>;

// A nonce: a 16- (or 8-) byte text prefix and the rest.
Nonce MakeNonce(std::string_view prefix, const uint8_t* rest) {
  Nonce n{};
  std::memcpy(n.data(), prefix.data(), prefix.size());
  std::memcpy(n.data() + prefix.size(), rest, n.size() - prefix.size());
  return n;
}

void PutBigEndian(uint8_t* out, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<uint8_t>(v & 0xFF);
}

uint64_t GetBigEndian(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | in[i];
  return v;
}

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

Status Protocol(const std::string& why) { return Status::Unavailable("CURVE handshake failed: " + why); }

Result<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read key file " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The value of `name = value` in a key file's text; empty when absent.
std::string Field(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    auto trim = [](std::string s) {
      s.erase(0, s.find_first_not_of(" \t\r\""));
      s.erase(s.find_last_not_of(" \t\r\"") + 1);
      return s;
    };
    if (trim(line.substr(0, eq)) == name) return trim(line.substr(eq + 1));
  }
  return "";
}

Result<Key> KeyField(const std::string& path, const std::string& text, const std::string& name) {
  std::string z = Field(text, name);
  if (z.empty()) return Status::InvalidArgument("key file " + path + " has no " + name);
  auto key = ParseZ85(z);
  if (!key.ok())
    return Status::InvalidArgument("key file " + path + ": " + name + ": " + key.status().message());
  return key;
}

// Writes `text` to `path` atomically with `mode` (a temp file, then rename).
Status WriteFileAtomically(const std::string& path, const std::string& text, mode_t mode) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Status::IoError("cannot write " + tmp + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, mode) == 0 &&
            ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) err = errno;
    ::unlink(tmp.c_str());
    return Status::IoError("cannot write " + path + ": " + std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace

std::string Z85(const Key& key) {
  std::string out;
  out.reserve(key.size() * 5 / 4);
  for (size_t i = 0; i < key.size(); i += 4) {
    uint32_t v =
        (uint32_t{key[i]} << 24) | (uint32_t{key[i + 1]} << 16) | (uint32_t{key[i + 2]} << 8) | key[i + 3];
    char chunk[5];
    for (int j = 4; j >= 0; --j, v /= 85) chunk[j] = kZ85[v % 85];
    out.append(chunk, 5);
  }
  return out;
}

Result<Key> ParseZ85(std::string_view text) {
  if (text.size() != kKeyBytes * 5 / 4)
    return Status::InvalidArgument("a key is 40 Z85 characters, not " + std::to_string(text.size()));
  Key key{};
  for (size_t i = 0; i < text.size(); i += 5) {
    uint64_t v = 0;
    for (size_t j = 0; j < 5; ++j) {
      const char* at = std::strchr(kZ85, text[i + j]);
      if (text[i + j] == '\0' || at == nullptr)
        return Status::InvalidArgument(std::string("not a Z85 character: '") + text[i + j] + "'");
      v = v * 85 + static_cast<uint64_t>(at - kZ85);
    }
    if (v > 0xFFFFFFFFull) return Status::InvalidArgument("not a Z85 key (a group overflows 32 bits)");
    for (int j = 3; j >= 0; --j, v >>= 8) key[i / 5 * 4 + j] = static_cast<uint8_t>(v & 0xFF);
  }
  return key;
}

KeyPair GenerateKeyPair() {
  InitSodium();
  KeyPair kp;
  MUSTER_CHECK(crypto_box_keypair(kp.public_key.data(), kp.secret_key.data()) == 0);
  return kp;
}

Result<ClientKeys> ReadClientKeys(const std::string& secret_file, const std::string& server_public_file) {
  auto own = ReadSecretFile(secret_file);
  if (!own.ok()) return own.status();
  auto server = ReadPublicFile(server_public_file);
  if (!server.ok()) return server.status();
  return ClientKeys{*own, *server};
}

KeyPair DeriveKeyPair(const Key& secret, std::string_view context) {
  InitSodium();
  static_assert(crypto_box_SEEDBYTES == kKeyBytes);
  Key seed{};
  MUSTER_CHECK(crypto_generichash(seed.data(), seed.size(), Bytes(context), context.size(), secret.data(),
                                  secret.size()) == 0);
  KeyPair kp;
  MUSTER_CHECK(crypto_box_seed_keypair(kp.public_key.data(), kp.secret_key.data(), seed.data()) == 0);
  sodium_memzero(seed.data(), seed.size());
  return kp;
}

Status WriteSecretFile(const std::string& path, const KeyPair& keys) {
  return WriteFileAtomically(path,
                             "# Muster CURVE key pair: keep this file secret (mode 0600).\n"
                             "public-key = " +
                                 Z85(keys.public_key) + "\nsecret-key = " + Z85(keys.secret_key) + "\n",
                             0600);
}

Status WritePublicFile(const std::string& path, const Key& public_key) {
  return WriteFileAtomically(path, "# Muster CURVE public key.\npublic-key = " + Z85(public_key) + "\n",
                             0644);
}

Result<KeyPair> ReadSecretFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Status::NotFound("cannot read key file " + path + ": " + std::strerror(errno));
  if (st.st_mode & 077)
    return Status::FailedPrecondition(
        "key file " + path + " is readable by others (mode " + std::to_string((st.st_mode >> 6) & 7) +
        std::to_string((st.st_mode >> 3) & 7) + std::to_string(st.st_mode & 7) + "); make it 0600");
  auto text = ReadKeyFile(path);
  if (!text.ok()) return text.status();
  KeyPair kp;
  auto pub = KeyField(path, *text, "public-key");
  if (!pub.ok()) return pub.status();
  auto sec = KeyField(path, *text, "secret-key");
  if (!sec.ok()) return sec.status();
  kp.public_key = *pub;
  kp.secret_key = *sec;
  Key derived{};
  MUSTER_CHECK(crypto_scalarmult_base(derived.data(), kp.secret_key.data()) == 0);
  if (derived != kp.public_key)
    return Status::InvalidArgument("key file " + path + ": the public key is not the secret key's");
  return kp;
}

Result<Key> ReadPublicFile(const std::string& path) {
  auto text = ReadKeyFile(path);
  if (!text.ok()) return text.status();
  return KeyField(path, *text, "public-key");
}

ClientSession::ClientSession(const ClientKeys& keys) : keys_(keys) {
  InitSodium();
  transient_ = GenerateKeyPair();
}

Result<std::string> ClientSession::Hello() {
  std::string out(200, '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  std::memcpy(p, "\x05HELLO", 6);
  p[6] = 1;  // CurveZMQ 1.0
  p[7] = 0;
  // 72 bytes of zeros: anti-amplification padding.
  std::memcpy(p + 80, transient_.public_key.data(), kKeyBytes);
  PutBigEndian(p + 112, NextNonce());
  const uint8_t zeros[64] = {};
  Nonce n = MakeNonce("CurveZMQHELLO---", p + 112);
  if (crypto_box_easy(p + 120, zeros, sizeof zeros, n.data(), keys_.server.data(),
                      transient_.secret_key.data()) != 0)
    return Protocol("the server key is not usable (a weak Curve25519 point)");
  return out;
}

Result<std::string> ClientSession::Initiate(std::string_view welcome, std::string_view metadata) {
  if (!StartsWith(welcome, "\x07WELCOME")) {
    std::string why = ErrorReason(welcome);
    return Protocol(why.empty() ? "expected WELCOME" : "the server refused: " + why);
  }
  if (welcome.size() != 168) return Protocol("WELCOME of " + std::to_string(welcome.size()) + " bytes");
  // Box[S' + cookie](S->C'), nonce "WELCOME-" + 16 bytes.
  Nonce n = MakeNonce("WELCOME-", Bytes(welcome) + 8);
  uint8_t plain[128];
  if (crypto_box_open_easy(plain, Bytes(welcome) + 24, 144, n.data(), keys_.server.data(),
                           transient_.secret_key.data()) != 0)
    return Protocol("WELCOME does not open with the server key we have (is it the right musterd key?)");
  std::memcpy(server_transient_.data(), plain, kKeyBytes);
  std::memcpy(cookie_.data(), plain + 32, cookie_.size());
  if (crypto_box_beforenm(shared_.data(), server_transient_.data(), transient_.secret_key.data()) != 0)
    return Protocol("WELCOME carries a weak short-term key");
  welcomed_ = true;

  // vouch = Box[C' + S](C->S'), nonce "VOUCH---" + 16 random bytes.
  uint8_t vouch_plain[64];
  std::memcpy(vouch_plain, transient_.public_key.data(), kKeyBytes);
  std::memcpy(vouch_plain + 32, keys_.server.data(), kKeyBytes);
  uint8_t vouch_rest[16];
  randombytes_buf(vouch_rest, sizeof vouch_rest);
  Nonce vn = MakeNonce("VOUCH---", vouch_rest);
  uint8_t vouch[64 + kMac];
  if (crypto_box_easy(vouch, vouch_plain, sizeof vouch_plain, vn.data(), server_transient_.data(),
                      keys_.client.secret_key.data()) != 0)
    return Protocol("cannot vouch for our short-term key");

  // Box[C + vouch nonce + vouch + metadata](C'->S').
  std::string plain_init(32 + 16 + sizeof vouch, '\0');
  auto* q = reinterpret_cast<uint8_t*>(plain_init.data());
  std::memcpy(q, keys_.client.public_key.data(), kKeyBytes);
  std::memcpy(q + 32, vouch_rest, 16);
  std::memcpy(q + 48, vouch, sizeof vouch);
  plain_init.append(metadata);

  std::string out(9 + 96 + 8 + plain_init.size() + kMac, '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  std::memcpy(p, "\x08INITIATE", 9);
  std::memcpy(p + 9, cookie_.data(), cookie_.size());
  PutBigEndian(p + 105, NextNonce());
  Nonce in = MakeNonce("CurveZMQINITIATE", p + 105);
  MUSTER_CHECK(
      crypto_box_easy_afternm(p + 113, Bytes(plain_init), plain_init.size(), in.data(), shared_.data()) == 0);
  sodium_memzero(plain_init.data(), plain_init.size());
  return out;
}

Result<std::string> ClientSession::Ready(std::string_view ready) {
  if (!welcomed_) return Protocol("READY before WELCOME");
  if (!StartsWith(ready, "\x05READY")) {
    std::string why = ErrorReason(ready);
    if (why.empty()) return Protocol("expected READY");
    // An ERROR instead of READY: the server's ZAP handler turned our key down.
    return Status::PermissionDenied("the server refused this key (" + why + ")");
  }
  if (ready.size() < 14 + kMac) return Protocol("READY too short");
  Nonce n = MakeNonce("CurveZMQREADY---", Bytes(ready) + 6);
  std::string metadata(ready.size() - 14 - kMac, '\0');
  if (crypto_box_open_easy_afternm(reinterpret_cast<uint8_t*>(metadata.data()), Bytes(ready) + 14,
                                   ready.size() - 14, n.data(), shared_.data()) != 0)
    return Protocol("READY does not open");
  peer_nonce_ = GetBigEndian(Bytes(ready) + 6);
  ready_ = true;
  return metadata;
}

std::string ClientSession::Box(std::string_view payload, bool more) {
  MUSTER_CHECK(ready_) << "CURVE message before the handshake ended";
  std::string plain(1, static_cast<char>(more ? 0x01 : 0x00));
  plain.append(payload);
  std::string out(16 + plain.size() + kMac, '\0');
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  std::memcpy(p, "\x07MESSAGE", 8);
  PutBigEndian(p + 8, NextNonce());
  Nonce n = MakeNonce("CurveZMQMESSAGEC", p + 8);
  MUSTER_CHECK(crypto_box_easy_afternm(p + 16, Bytes(plain), plain.size(), n.data(), shared_.data()) == 0);
  return out;
}

Result<ClientSession::Unboxed> ClientSession::Unbox(std::string_view frame) {
  if (!ready_) return Protocol("a message before the handshake ended");
  if (!StartsWith(frame, "\x07MESSAGE") || frame.size() < 16 + kMac + 1)
    return Status::Unavailable("a frame that is no CURVE MESSAGE");
  uint64_t nonce = GetBigEndian(Bytes(frame) + 8);
  if (nonce <= peer_nonce_) return Status::Unavailable("a CURVE MESSAGE replayed or out of order");
  Nonce n = MakeNonce("CurveZMQMESSAGES", Bytes(frame) + 8);
  std::string plain(frame.size() - 16 - kMac, '\0');
  if (crypto_box_open_easy_afternm(reinterpret_cast<uint8_t*>(plain.data()), Bytes(frame) + 16,
                                   frame.size() - 16, n.data(), shared_.data()) != 0)
    return Status::Unavailable("a CURVE MESSAGE that does not open (forged or corrupted)");
  peer_nonce_ = nonce;
  Unboxed u;
  u.more = plain[0] & 0x01;
  u.command = plain[0] & 0x02;
  u.payload = plain.substr(1);
  return u;
}

std::string ErrorReason(std::string_view command) {
  if (!StartsWith(command,
                  "\x05"
                  "ERROR") ||
      command.size() < 7)
    return "";
  size_t n = static_cast<uint8_t>(command[6]);
  return std::string(command.substr(7, n));
}

}  // namespace muster::transport::curve
