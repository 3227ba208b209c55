// muster::Rendezvous over the wire (include/muster/rendezvous.h): each call
// is one request to musterd on a DEALER (transport::Client). A wait happens
// in musterd, not here: Await and Barrier send wait_ms = their timeout and
// give the transport a little longer, so a reply that says "not yet" and a
// musterd that is gone are told apart.
#include "muster/rendezvous.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <optional>
#include <zmq.hpp>

#include "common/proto/messages.h"
#include "common/transport/zmq_util.h"

namespace muster {
namespace {

// Time allowed beyond a wait for the request and its reply to travel.
int32_t Slack(const RendezvousOptions& o) { return std::clamp(o.request_timeout_ms, 1000, 5000); }

Status FromWire(const wire::Error& e) {
  std::string m = "musterd: " + e.message;
  switch (e.code) {
    case wire::ErrorCode::kNotFound:
      return Status::NotFound(std::move(m));
    case wire::ErrorCode::kFailedPrecondition:
      return Status::FailedPrecondition(std::move(m));
    case wire::ErrorCode::kTooLarge:
      return Status::ResourceExhausted(std::move(m));
    case wire::ErrorCode::kBadRequest:
    case wire::ErrorCode::kInvalidSpec:
      return Status::InvalidArgument(std::move(m));
    case wire::ErrorCode::kUnavailable:
      return Status::Unavailable(std::move(m));
    case wire::ErrorCode::kVersionMismatch:
      return Status(StatusCode::kVersionMismatch, std::move(m));
    case wire::ErrorCode::kPermissionDenied:
      return Status::PermissionDenied(std::move(m));
    default:
      return Status::Internal(std::move(m));
  }
}

Status CheckName(const char* what, const std::string& name) {
  if (name.empty()) return Status::InvalidArgument(std::string("empty rendezvous ") + what);
  if (name.size() > wire::kRdzvMaxKeyBytes)
    return Status::InvalidArgument(std::string("rendezvous ") + what + " of " + std::to_string(name.size()) +
                                   " bytes is over the " + std::to_string(wire::kRdzvMaxKeyBytes) +
                                   "-byte limit");
  return Status::Ok();
}

// A strict decimal in [lo, hi], else a message naming the variable.
Result<int64_t> ParseEnvInt(const char* name, const char* text, int64_t lo, int64_t hi) {
  // strtoll alone would accept leading blanks and a '+'.
  const char* digits = text[0] == '-' ? text + 1 : text;
  bool digit_first = *digits >= '0' && *digits <= '9';
  errno = 0;
  char* end = nullptr;
  long long v = digit_first ? std::strtoll(text, &end, 10) : 0;
  if (!digit_first || *end != '\0' || errno == ERANGE || v < lo || v > hi)
    return Status::InvalidArgument(std::string(name) + "='" + text + "' is not an integer in [" +
                                   std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int64_t>(v);
}

class WireRendezvous final : public Rendezvous {
 public:
  WireRendezvous(RendezvousOptions options, std::optional<transport::curve::ClientKeys> keys)
      : options_(std::move(options)),
        keys_(std::move(keys)),
        rpc_(options_.endpoint, options_.request_timeout_ms, keys_) {}

  Status Publish(const std::string& key, const std::string& value) override {
    MUSTER_RETURN_IF_ERROR(CheckName("key", key));
    if (value.size() > wire::kRdzvMaxValueBytes)
      return Status::InvalidArgument("rendezvous value of " + std::to_string(value.size()) + " bytes for '" +
                                     key + "' is over the " + std::to_string(wire::kRdzvMaxValueBytes) +
                                     "-byte limit");
    auto reply = rpc_.Call(wire::RdzvPut{options_.job, options_.attempt, key, value});
    if (!reply.ok()) return reply.status();
    if (auto* e = std::get_if<wire::Error>(&*reply)) return FromWire(*e);
    if (!std::holds_alternative<wire::Ok>(*reply)) return Unexpected(*reply);
    return Status::Ok();
  }

  Result<std::string> Await(const std::string& key, int32_t timeout_ms) override {
    MUSTER_RETURN_IF_ERROR(CheckName("key", key));
    timeout_ms = std::max(timeout_ms, 0);
    auto reply = CallWaiting(wire::RdzvGet{options_.job, options_.attempt, key, timeout_ms}, timeout_ms);
    if (!reply.ok()) return reply.status();
    if (auto* e = std::get_if<wire::Error>(&*reply)) return FromWire(*e);
    auto* v = std::get_if<wire::RdzvValue>(&*reply);
    if (!v) return Unexpected(*reply);
    if (!v->found)
      return Status::Unavailable("rendezvous key '" + key + "' was not published within " +
                                 std::to_string(timeout_ms) + " ms (" + Who() + ")");
    return std::move(v->value);
  }

  Status Barrier(const std::string& name, int32_t timeout_ms) override {
    MUSTER_RETURN_IF_ERROR(CheckName("barrier name", name));
    timeout_ms = std::max(timeout_ms, 0);
    auto reply = CallWaiting(wire::RdzvBarrier{options_.job, options_.attempt, name, options_.rank,
                                               options_.world_size, timeout_ms},
                             timeout_ms);
    if (!reply.ok()) return reply.status();
    if (auto* e = std::get_if<wire::Error>(&*reply)) {
      Status st = FromWire(*e);
      if (st.code() == StatusCode::kUnavailable)
        return Status::Unavailable(st.message() + " (" + Who() + ", waited " + std::to_string(timeout_ms) +
                                   " ms)");
      return st;
    }
    if (!std::holds_alternative<wire::Ok>(*reply)) return Unexpected(*reply);
    return Status::Ok();
  }

  const RendezvousOptions& options() const override { return options_; }

 private:
  // One request whose reply musterd may hold for up to `wait_ms`. The
  // transport's timeout is per client, so a wait gets its own short-lived
  // DEALER; waits are few per rank (one per peer at most).
  Result<wire::Body> CallWaiting(const wire::Body& request, int32_t wait_ms) {
    int64_t limit = static_cast<int64_t>(wait_ms) + Slack(options_);
    transport::Client client(options_.endpoint,
                             static_cast<int>(std::min<int64_t>(limit, std::numeric_limits<int>::max())),
                             keys_);
    return client.Call(request);
  }

  Status Unexpected(const wire::Body& body) const {
    return Status::Internal(std::string("musterd answered a rendezvous request with ") +
                            wire::BodyName(body));
  }

  std::string Who() const {
    return "job " + std::to_string(options_.job) + " attempt " + std::to_string(options_.attempt) +
           ", rank " + std::to_string(options_.rank) + " of " + std::to_string(options_.world_size);
  }

  RendezvousOptions options_;
  std::optional<transport::curve::ClientKeys> keys_;
  transport::Client rpc_;
};

}  // namespace

Result<std::unique_ptr<Rendezvous>> Rendezvous::Connect(const RendezvousOptions& options) {
  if (options.endpoint.empty())
    return Status::InvalidArgument("no rendezvous endpoint (MUSTER_RDZV, e.g. tcp://127.0.0.1:7600)");
  if (options.job == kNoJob) return Status::InvalidArgument("no job id for the rendezvous (MUSTER_JOB_ID)");
  if (options.world_size < 1)
    return Status::InvalidArgument("world size " + std::to_string(options.world_size) + " is not positive");
  if (options.rank < 0 || options.rank >= options.world_size)
    return Status::InvalidArgument("rank " + std::to_string(options.rank) + " is outside 0.." +
                                   std::to_string(options.world_size - 1));
  if (options.request_timeout_ms <= 0)
    return Status::InvalidArgument("request timeout " + std::to_string(options.request_timeout_ms) +
                                   " ms is not positive");
  std::optional<transport::curve::ClientKeys> keys;
  const int given = !options.public_key.empty() + !options.secret_key.empty() + !options.server_key.empty();
  if (given != 0) {
    if (given != 3)
      return Status::InvalidArgument("the rendezvous keys come in threes: public, secret and server key");
    transport::curve::ClientKeys k;
    for (auto [text, out] :
         {std::pair{&options.public_key, &k.client.public_key},
          std::pair{&options.secret_key, &k.client.secret_key}, std::pair{&options.server_key, &k.server}}) {
      auto parsed = transport::curve::ParseZ85(*text);
      if (!parsed.ok()) return Status::InvalidArgument("bad rendezvous key: " + parsed.status().message());
      *out = *parsed;
    }
    keys = k;
  }
  try {
    return std::unique_ptr<Rendezvous>(new WireRendezvous(options, std::move(keys)));
  } catch (const zmq::error_t& e) {  // a malformed endpoint: connect() refuses it
    return Status::InvalidArgument("bad rendezvous endpoint '" + options.endpoint + "': " + e.what());
  }
}

Result<std::unique_ptr<Rendezvous>> Rendezvous::FromEnvironment() {
  auto get = [](const char* name) -> const char* {
    const char* v = std::getenv(name);
    return v && *v ? v : nullptr;
  };
  std::string missing;
  for (const char* name : {"MUSTER_RDZV", "MUSTER_JOB_ID", "MUSTER_ATTEMPT", "RANK", "WORLD_SIZE"})
    if (!get(name)) missing += (missing.empty() ? "" : ", ") + std::string(name);
  if (!missing.empty())
    return Status::FailedPrecondition("rendezvous environment incomplete: " + missing +
                                      " not set (ranks started by muster-agent have them)");
  RendezvousOptions o;
  o.endpoint = get("MUSTER_RDZV");
  auto job = ParseEnvInt("MUSTER_JOB_ID", get("MUSTER_JOB_ID"), 1, std::numeric_limits<int64_t>::max());
  if (!job.ok()) return job.status();
  auto attempt = ParseEnvInt("MUSTER_ATTEMPT", get("MUSTER_ATTEMPT"), 0, std::numeric_limits<int32_t>::max());
  if (!attempt.ok()) return attempt.status();
  auto world = ParseEnvInt("WORLD_SIZE", get("WORLD_SIZE"), 1, std::numeric_limits<int32_t>::max());
  if (!world.ok()) return world.status();
  auto rank = ParseEnvInt("RANK", get("RANK"), 0, *world - 1);
  if (!rank.ok()) return rank.status();
  o.job = static_cast<JobId>(*job);
  o.attempt = static_cast<int32_t>(*attempt);
  o.world_size = static_cast<int32_t>(*world);
  o.rank = static_cast<int32_t>(*rank);
  if (const char* k = get("MUSTER_RDZV_PUBLIC_KEY")) o.public_key = k;
  if (const char* k = get("MUSTER_RDZV_SECRET_KEY")) o.secret_key = k;
  if (const char* k = get("MUSTER_RDZV_SERVER_KEY")) o.server_key = k;
  return Connect(o);
}

}  // namespace muster
