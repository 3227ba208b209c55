// `muster`: wires the real world (stdout, the system clock, ZeroMQ) into the
// CLI library and exits with its code.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "common/base/clock.h"
#include "scheduler/cli/commands.h"
#include "scheduler/cli/rpc.h"
#include "scheduler/cli/submit_args.h"

int main(int argc, char** argv) {
  using namespace muster;
  std::ios::sync_with_stdio(false);
  SystemClock clock;
  cli::Context ctx{
      .out = std::cout,
      .err = std::cerr,
      .clock = clock,
      .connect = cli::MakeZmqRpc,
      .sleep_ms = [](int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); },
      .global = cli::DefaultGlobalOptions(std::getenv("MUSTER_SCHEDULER")),
      .submit_defaults = cli::SubmitDefaultsFromProcess(),
  };
  cli::KeysFromEnvironment(&ctx.global);
  int code = cli::RunCli(ctx, std::vector<std::string>(argv + 1, argv + argc));
  std::cout.flush();
  return code;
}
