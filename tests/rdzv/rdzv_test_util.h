// Shared bits of the rendezvous integration tests.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/proto/messages.h"
#include "common/transport/zmq_util.h"
#include "muster/rendezvous.h"
#include "scheduler/service/access.h"
#include "tests/integration/integration.h"

namespace muster::testing {

inline std::string FakeAllReduceBinary() { return MUSTER_FAKE_ALLREDUCE_BIN; }

// One raw request to musterd; the test fails (throws) when none comes back.
inline wire::Body RawCall(const std::string& endpoint, const wire::Body& request,
                          const std::optional<transport::curve::ClientKeys>& keys, int timeout_ms = 5000) {
  transport::Client client(endpoint, timeout_ms, keys);
  auto reply = client.Call(request);
  if (!reply.ok()) throw std::runtime_error("no reply from musterd: " + reply.status().ToString());
  return std::move(*reply);
}

// The Error of a reply, or an Error with code kUnknown and a description of
// what came instead.
inline wire::Error ErrorOf(const wire::Body& body) {
  if (auto* e = std::get_if<wire::Error>(&body)) return *e;
  return {wire::ErrorCode::kUnknown, std::string("not an error: ") + wire::BodyName(body)};
}

// What the ranks of a job attempt in `cluster` connect with (musterd derives
// them from its own key: scheduler/service/access.h).
inline std::optional<transport::curve::ClientKeys> RankKeysOf(const TestCluster& cluster, int64_t job,
                                                              int32_t attempt) {
  if (cluster.insecure()) return std::nullopt;
  return transport::curve::ClientKeys{
      service::RankKeyPair(cluster.server_keys().secret_key, static_cast<JobId>(job), attempt),
      cluster.server_keys().public_key};
}

inline std::unique_ptr<Rendezvous> RankClient(const std::string& endpoint, int64_t job, int32_t attempt,
                                              int32_t rank, int32_t world) {
  auto r = Rendezvous::Connect({endpoint, static_cast<JobId>(job), attempt, rank, world, 5000});
  if (!r.ok()) throw std::runtime_error(r.status().ToString());
  return std::move(*r);
}

inline int64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since)
      .count();
}

}  // namespace muster::testing
