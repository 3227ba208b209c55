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
// [--checkpoint-dir D] -- CMD ARGS` and `model update NAME [flags] [-- CMD]`.
// Register builds a template (window offpeak-preferred unless given, job
// name = the model's); update changes only the flags given (and the command
// when one follows --); the model's state and history stay.
struct ModelPutArgs {
  bool create = false;
  std::string name;
  std::vector<std::string> argv;  // empty: update keeps the command
  po::variables_map given;        // the flags on the command line, no defaults
  SubmitDefaults defaults;
};
Parsed<ModelPutArgs> ParseModelPutArgs(bool create, const std::vector<std::string>& args,
                                       const SubmitDefaults& defaults, GlobalOptions* global);
// The PutModel to send: a new template (create) or `current` changed by the
// flags given; InvalidArgument for a template musterd would refuse.
Result<wire::PutModel> BuildModelPut(const ModelPutArgs& args, const ModelSpec* current);

struct ModelShowArgs {
  std::string name;        // empty for list
  uint32_t triggers = 20;  // newest triggers shown
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
