// Arguments of the retraining commands: model register|update|list|show|
// delete and trigger. Pure parsers, each also accepting --help and the
// global flags (docs/retraining.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/proto/messages.h"
#include "scheduler/cli/args.h"

namespace muster::cli {

extern const CommandHelp kModelRegisterHelp;
extern const CommandHelp kModelUpdateHelp;
extern const CommandHelp kModelListHelp;
extern const CommandHelp kModelShowHelp;
extern const CommandHelp kModelDeleteHelp;
extern const CommandHelp kTriggerHelp;

// `model register NAME [job flags] --deadline DUR --cooldown DUR
// [--checkpoint-dir D] -- CMD ARGS` (and `model update`, the same flags:
// the template is replaced, the model's state and history stay; without
// `-- CMD` an update keeps the command it had, so `has_command` says
// whether one was given). Retrains default to --window offpeak-preferred.
struct ModelPutArgs {
  wire::PutModel put;
  bool has_command = false;
};
Parsed<ModelPutArgs> ParseModelPutArgs(bool create, const std::vector<std::string>& args,
                                       const SubmitDefaults& defaults, GlobalOptions* global);

struct ModelShowArgs {
  std::string name;         // empty for list
  uint32_t triggers = 20;   // newest triggers shown
  bool json = false;
};
Parsed<ModelShowArgs> ParseModelListArgs(const std::vector<std::string>& args, GlobalOptions* global);
Parsed<ModelShowArgs> ParseModelShowArgs(const std::vector<std::string>& args, GlobalOptions* global);
Parsed<std::string> ParseModelDeleteArgs(const std::vector<std::string>& args, GlobalOptions* global);

// `trigger NAME --reason TEXT [--metric K=V]... [--json]`; the source is
// "cli:<user>".
struct TriggerArgs {
  wire::TriggerModel trigger;
  bool json = false;
};
Parsed<TriggerArgs> ParseTriggerArgs(const std::vector<std::string>& args, const SubmitDefaults& defaults,
                                     GlobalOptions* global);

}  // namespace muster::cli
