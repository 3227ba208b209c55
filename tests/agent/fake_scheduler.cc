#include "tests/agent/fake_scheduler.h"

#include <chrono>

#include "common/base/clock.h"
#include "common/transport/zmq_util.h"

namespace muster::agent::testing {

FakeScheduler::FakeScheduler() : router_(ctx_, zmq::socket_type::router) {
  router_.set(zmq::sockopt::linger, 0);
  router_.bind("tcp://127.0.0.1:*");
  endpoint_ = router_.get(zmq::sockopt::last_endpoint);
}

bool FakeScheduler::RecvOne(int timeout_ms) {
  zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0}};
  zmq::poll(items, 1, std::chrono::milliseconds(std::max(timeout_ms, 0)));
  if (!(items[0].revents & ZMQ_POLLIN)) return false;
  auto in = transport::TryRecv(router_, /*is_router=*/true);
  if (!in) return false;
  identity_ = in->identity;
  auto env = wire::Decode(in->payload);
  if (!env.ok()) return true;  // the agent never sends garbage; drop it
  if (std::holds_alternative<wire::Heartbeat>(env->body)) {
    ++heartbeats_;
    last_heartbeat_ = std::get<wire::Heartbeat>(env->body);
    return true;
  }
  backlog_.push_back(std::move(*env));
  return true;
}

void FakeScheduler::PumpFor(int ms) {
  const int64_t deadline = MonotonicMs() + ms;
  while (true) {
    int64_t left = deadline - MonotonicMs();
    if (left <= 0) break;
    RecvOne(static_cast<int>(left));
  }
  while (RecvOne(0)) {
  }
}

std::optional<wire::Envelope> FakeScheduler::WaitForEnvelope(
    int timeout_ms, const std::function<bool(const wire::Envelope&)>& match) {
  const int64_t deadline = MonotonicMs() + timeout_ms;
  size_t checked = 0;
  while (true) {
    for (; checked < backlog_.size(); ++checked) {
      if (match(backlog_[checked])) {
        wire::Envelope env = std::move(backlog_[checked]);
        backlog_.erase(backlog_.begin() + static_cast<long>(checked));
        return env;
      }
    }
    int64_t left = deadline - MonotonicMs();
    if (left < 0) return std::nullopt;
    RecvOne(static_cast<int>(left));
  }
}

std::optional<wire::Envelope> FakeScheduler::Next(int timeout_ms) {
  return WaitForEnvelope(timeout_ms, [](const wire::Envelope&) { return true; });
}

void FakeScheduler::Send(wire::Body body, uint64_t request_id) {
  wire::Envelope env;
  env.request_id = request_id ? request_id : next_id_++;
  env.body = std::move(body);
  transport::SendTo(router_, identity_, env);
}

void FakeScheduler::SendRaw(const std::string& bytes) {
  router_.send(zmq::buffer(identity_), zmq::send_flags::sndmore);
  router_.send(zmq::buffer(bytes), zmq::send_flags::none);
}

}  // namespace muster::agent::testing
