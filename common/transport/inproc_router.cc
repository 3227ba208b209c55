#include "common/transport/inproc_router.h"

#include "common/base/check.h"

namespace muster::transport {

uint64_t InProcRouter::Peer::Send(wire::Body body, uint64_t request) {
  if (request == 0) request = next_request_++;
  wire::Envelope env;
  env.request_id = request;
  env.body = std::move(body);
  SendRaw(wire::Encode(env));
  return request;
}

void InProcRouter::Peer::SendRaw(std::string bytes, bool extra_frames) {
  if (!connected_) return;
  router_.inbound_.push_back({identity_, std::move(bytes), extra_frames, principal_});
}

std::optional<wire::Envelope> InProcRouter::Peer::Recv() {
  if (inbox_.empty()) return std::nullopt;
  std::string bytes = std::move(inbox_.front());
  inbox_.pop_front();
  auto env = wire::Decode(bytes);
  MUSTER_CHECK(env.ok()) << "musterd sent bytes its own codec cannot read: " << env.status().ToString();
  return std::move(*env);
}

std::vector<wire::Envelope> InProcRouter::Peer::RecvAll() {
  std::vector<wire::Envelope> out;
  while (auto env = Recv()) out.push_back(std::move(*env));
  return out;
}

InProcRouter::Peer& InProcRouter::Connect(const std::string& identity, const std::string& principal) {
  auto [it, added] = peers_.try_emplace(identity);
  MUSTER_CHECK(added) << "peer " << identity << " is already connected";
  it->second.reset(new Peer(*this, identity, principal));
  return *it->second;
}

InProcRouter::Peer* InProcRouter::Find(const std::string& identity) {
  auto it = peers_.find(identity);
  return it == peers_.end() ? nullptr : it->second.get();
}

std::optional<Incoming> InProcRouter::TryRecv() {
  if (inbound_.empty()) return std::nullopt;
  Incoming in = std::move(inbound_.front());
  inbound_.pop_front();
  return in;
}

bool InProcRouter::Send(const std::string& peer, const wire::Envelope& env) {
  Peer* p = Find(peer);
  if (!p || !p->connected_) return false;
  p->inbox_.push_back(wire::Encode(env));
  return true;
}

}  // namespace muster::transport
