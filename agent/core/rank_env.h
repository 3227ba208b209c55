// The environment a rank starts with (docs/protocol.md, LaunchRanks).
#pragma once

#include <string>
#include <vector>

#include "common/proto/messages.h"

namespace muster::agent {

// The agent's own environment ("NAME=value" entries, e.g. from `environ`),
// then the job's `env` (gang variables and the user's), then per rank RANK,
// LOCAL_RANK, NODE_RANK, LOCAL_WORLD_SIZE and CUDA_VISIBLE_DEVICES (the
// rank's GPU indices, comma separated). A later definition of a name
// replaces an earlier one in place. CUDA_DEVICE_ORDER=PCI_BUS_ID is added
// when neither the agent nor the job set it, so CUDA numbers GPUs the way
// NVML (and so the agent) does.
std::vector<std::string> RankEnvironment(const std::vector<std::string>& agent_env,
                                         const wire::LaunchRanks& launch, const wire::RankLaunch& rank);

// "0,1,3"
std::string JoinGpuIndices(const std::vector<int32_t>& gpus);

}  // namespace muster::agent
