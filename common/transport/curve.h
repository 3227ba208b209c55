// CurveZMQ (rfc.zeromq.org/spec/26, over ZMTP: spec/25) for Muster's
// peers: long-term key pairs, their text form (Z85, ZeroMQ's own encoding)
// and key files, and the client side of the handshake and message boxes for
// the CLI's libzmq-free ZMTP client (zmtp_client.h). Daemons use libzmq's
// own CURVE (zmq_util.h); this code is tested against it in both
// directions (tests/unit/curve_test.cc).
//
// No cryptography of our own: every box is libsodium's crypto_box
// (Curve25519, XSalsa20, Poly1305), exactly as CurveZMQ specifies it; this
// file only lays the bytes out as the specification says.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "muster/status.h"

namespace muster::transport::curve {

constexpr size_t kKeyBytes = 32;
using Key = std::array<uint8_t, kKeyBytes>;

// A long-term key pair. `secret` never leaves its owner's key file.
struct KeyPair {
  Key public_key{};
  Key secret_key{};
};

// ZeroMQ's Z85 (rfc.zeromq.org/spec/32): 32 bytes <-> 40 printable chars.
std::string Z85(const Key& key);
Result<Key> ParseZ85(std::string_view text);

// A fresh key pair from libsodium's CSPRNG.
KeyPair GenerateKeyPair();
// A key pair derived from `secret` and `context` (BLAKE2b keyed with the
// secret, then crypto_box_seed_keypair): the same inputs give the same pair,
// and nobody without `secret` can compute it. musterd derives each job
// attempt's rendezvous key this way, so a restart needs no stored keys.
KeyPair DeriveKeyPair(const Key& secret, std::string_view context);

// Key files (text, one "name = value" a line, '#' comments):
//   public-key = <40 Z85 chars>
//   secret-key = <40 Z85 chars>      (secret files only)
// A secret file is written with mode 0600 and refused when its mode lets
// anyone but its owner read it (as ssh does with private keys).
Status WriteSecretFile(const std::string& path, const KeyPair& keys);
Status WritePublicFile(const std::string& path, const Key& public_key);
Result<KeyPair> ReadSecretFile(const std::string& path);
// A public file, or the public half of a secret file.
Result<Key> ReadPublicFile(const std::string& path);

// What a client needs to reach a CURVE server.
struct ClientKeys {
  KeyPair client;
  Key server{};
};
// Its own secret file and the server's public file, with errors that name them.
Result<ClientKeys> ReadClientKeys(const std::string& secret_file, const std::string& server_public_file);

// The client side of one CurveZMQ connection after the greeting: builds
// HELLO and INITIATE, checks WELCOME and READY, then boxes and unboxes
// MESSAGE commands. Each method takes or returns a ZMTP frame body.
class ClientSession {
 public:
  explicit ClientSession(const ClientKeys& keys);

  // HELLO; fails only for a server key that is no usable Curve25519 key.
  Result<std::string> Hello();
  // WELCOME -> INITIATE (with the READY-side metadata, e.g. Socket-Type).
  Result<std::string> Initiate(std::string_view welcome, std::string_view metadata);
  // READY: checks the box; returns the server's metadata.
  Result<std::string> Ready(std::string_view ready);

  // One message frame to send, and the payload of one received.
  std::string Box(std::string_view payload, bool more = false);
  struct Unboxed {
    std::string payload;
    bool more = false;
    bool command = false;
  };
  Result<Unboxed> Unbox(std::string_view frame);

 private:
  uint64_t NextNonce() { return nonce_++; }

  ClientKeys keys_;
  KeyPair transient_;       // C', c'
  Key server_transient_{};  // S'
  std::array<uint8_t, 96> cookie_{};
  std::array<uint8_t, 32> shared_{};  // crypto_box_beforenm(S', c')
  uint64_t nonce_ = 1;
  uint64_t peer_nonce_ = 0;
  bool welcomed_ = false;
  bool ready_ = false;
};

// An ERROR command's reason ("" when `command` is no ERROR).
std::string ErrorReason(std::string_view command);

}  // namespace muster::transport::curve
