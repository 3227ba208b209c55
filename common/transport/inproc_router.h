// A Router in memory, for tests that run musterd's whole service in one
// process (tests/service): peers connect by name, send and receive
// envelopes through the real codec, and the test decides when musterd's
// loop turns. Single-threaded, like the loop it serves.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/transport/router.h"

namespace muster::transport {

class InProcRouter final : public Router {
 public:
  class Peer {
   public:
    const std::string& identity() const { return identity_; }
    // Sends `body` with request id `request` (0: the peer's next id, returned).
    uint64_t Send(wire::Body body, uint64_t request = 0);
    // Bytes as they are, and optionally a second frame (hostile input).
    void SendRaw(std::string bytes, bool extra_frames = false);
    // The next message musterd sent this peer, decoded; nullopt when none.
    std::optional<wire::Envelope> Recv();
    std::vector<wire::Envelope> RecvAll();
    size_t queued() const { return inbox_.size(); }
    // Gone: musterd's sends to it fail from now on (ZeroMQ's ROUTER_MANDATORY).
    void Disconnect() { connected_ = false; }
    bool connected() const { return connected_; }

   private:
    friend class InProcRouter;
    Peer(InProcRouter& router, std::string identity, std::string principal)
        : router_(router), identity_(std::move(identity)), principal_(std::move(principal)) {}
    InProcRouter& router_;
    std::string identity_;
    std::string principal_;  // as a ZAP handler would have named it (zap.h)
    std::deque<std::string> inbox_;
    uint64_t next_request_ = 1;
    bool connected_ = true;
  };

  explicit InProcRouter(std::string endpoint = "inproc://musterd") : endpoint_(std::move(endpoint)) {}

  // A new connection; the identity must be unused. `principal`: who it
  // authenticated as (Incoming::principal); empty: nobody.
  Peer& Connect(const std::string& identity, const std::string& principal = "");
  Peer* Find(const std::string& identity);
  // Messages sent to musterd that it has not received yet.
  size_t inbound() const { return inbound_.size(); }

  const std::string& endpoint() const override { return endpoint_; }
  Status Wait(int64_t) override { return Status::Ok(); }
  std::optional<Incoming> TryRecv() override;
  bool Send(const std::string& peer, const wire::Envelope& env) override;

 private:
  std::string endpoint_;
  std::deque<Incoming> inbound_;
  std::map<std::string, std::unique_ptr<Peer>> peers_;
};

}  // namespace muster::transport
