// Rendezvous for the ranks of one gang (docs/architecture.md "Gang jobs and NCCL").
//
// musterd serves a small key/value store per job attempt at the endpoint in
// MUSTER_RDZV. Rank 0 publishes what the others need (an ncclUniqueId, an
// address) and they await it; a barrier lines all ranks up. Keys die with
// the attempt: a requeued gang never reads the ids of its previous run.
//
//   auto rdzv = muster::Rendezvous::FromEnvironment();   // in a rank
//   if (rank == 0) rdzv->Publish("nccl-id", id_bytes);
//   else id_bytes = rdzv->Await("nccl-id", 60000).value();
//   rdzv->Barrier("ready", 60000);
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "muster/status.h"
#include "muster/types.h"

namespace muster {

struct RendezvousOptions {
  std::string endpoint;                // MUSTER_RDZV
  JobId job = kNoJob;                  // MUSTER_JOB_ID
  int32_t attempt = 0;                 // MUSTER_ATTEMPT
  int32_t rank = 0;                    // RANK
  int32_t world_size = 1;              // WORLD_SIZE
  int32_t request_timeout_ms = 10000;  // one round trip to musterd
  // The attempt's CURVE keys, Z85 (MUSTER_RDZV_PUBLIC_KEY,
  // MUSTER_RDZV_SECRET_KEY, MUSTER_RDZV_SERVER_KEY): musterd made them for
  // these ranks; all empty only against musterd --insecure.
  std::string public_key{};
  std::string secret_key{};
  std::string server_key{};
};

class Rendezvous {
 public:
  virtual ~Rendezvous() = default;

  // Reads MUSTER_RDZV, MUSTER_JOB_ID, MUSTER_ATTEMPT, RANK, WORLD_SIZE and
  // the MUSTER_RDZV_*_KEY variables.
  static Result<std::unique_ptr<Rendezvous>> FromEnvironment();
  static Result<std::unique_ptr<Rendezvous>> Connect(const RendezvousOptions& options);

  // Sets `key` for this job attempt (values up to 1 MiB; setting a key again
  // replaces it).
  virtual Status Publish(const std::string& key, const std::string& value) = 0;
  // The value of `key`, waiting up to `timeout_ms` for someone to publish it.
  virtual Result<std::string> Await(const std::string& key, int32_t timeout_ms) = 0;
  // Returns once all world_size ranks entered the barrier `name`, or fails
  // after `timeout_ms`.
  virtual Status Barrier(const std::string& name, int32_t timeout_ms) = 0;

  virtual const RendezvousOptions& options() const = 0;
};

}  // namespace muster
