// A fake musterd behind the Rpc interface and a fixture that runs `muster`
// commands against it with string streams and a manual clock.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "scheduler/cli/commands.h"

namespace muster::cli {

using nlohmann::json;

// Answers requests from a script and remembers them.
class FakeRpc final : public Rpc {
 public:
  explicit FakeRpc(std::deque<Result<wire::Body>>* replies, std::vector<wire::Body>* requests)
      : replies_(replies), requests_(requests) {}
  Result<wire::Body> Call(const wire::Body& request) override {
    requests_->push_back(request);
    if (replies_->empty()) return Status::Unavailable("cannot reach musterd at fake (no reply in 1 ms)");
    auto r = std::move(replies_->front());
    replies_->pop_front();
    return r;
  }

 private:
  std::deque<Result<wire::Body>>* replies_;
  std::vector<wire::Body>* requests_;
};

// A job that is task `task` of array job `array`, with its own `id`.
inline Job ArrayTaskJob(JobId id, JobId array, int32_t task) {
  Job j;
  j.id = id;
  j.array_job = array;
  j.array_task = task;
  j.spec.total_gpus = 1;
  return j;
}
// musterd's answer to ListJobs for one array task (how `42_7` resolves).
inline wire::Body TaskFound(JobId id, JobId array, int32_t task) {
  return wire::Body{wire::JobList{{ArrayTaskJob(id, array, task)}}};
}

class CommandsTest : public ::testing::Test {
 protected:
  int Run(std::vector<std::string> args) {
    Context ctx{
        .out = out_,
        .err = err_,
        .clock = clock_,
        .connect =
            [this](const GlobalOptions& g) {
              connected_with_ = g;
              return std::make_unique<FakeRpc>(&replies_, &requests_);
            },
        .sleep_ms = [this](int ms) { slept_ms_.push_back(ms); },
        .global = DefaultGlobalOptions(nullptr),
        .submit_defaults = {"alice", "/home/alice"},
    };
    return RunCli(ctx, args);
  }
  template <typename T>
  const T& Request(size_t i) {
    return std::get<T>(requests_.at(i));
  }

  std::ostringstream out_, err_;
  ManualClock clock_{1'800'000'000 * kSecond};
  std::deque<Result<wire::Body>> replies_;
  std::vector<wire::Body> requests_;
  std::vector<int> slept_ms_;
  std::optional<GlobalOptions> connected_with_;
};

}  // namespace muster::cli
