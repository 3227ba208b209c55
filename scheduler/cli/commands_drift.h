// `muster drift check`, with the `muster trigger` it calls on drift injected
// so that tests see exactly what it would trigger.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "scheduler/cli/context.h"

namespace muster::cli {

using TriggerFn = std::function<int(Context& ctx, const std::vector<std::string>& args)>;

// Exit codes: 0 no drift; 10 drift (and, with --trigger, `trigger` returned
// 0); `trigger`'s own code when it failed; 2 bad flags or input.
int RunDriftCheckWith(Context& ctx, const std::vector<std::string>& args, const TriggerFn& trigger);

}  // namespace muster::cli
