// Retraining triggers (docs/retraining.md): what a trigger does to a model,
// and the job a retrain submits. Pure: musterd applies the result.
#pragma once

#include <string>
#include <vector>

#include "muster/time.h"
#include "muster/types.h"

namespace muster::core {

// A trigger at `now`:
//  - a retrain of the model is pending or running -> kCoalesced (recorded on it);
//  - the last retrain ended less than the cooldown ago -> kDeferred (one
//    retrain is due when the cooldown ends);
//  - else kSubmitted.
TriggerOutcome DecideTrigger(const Model& model, Time now);

// When the cooldown after the last retrain ends (kNoTime: no cooldown pending).
Time CooldownEnd(const Model& model);

// The job a retrain of `model` submits at `now`: the template with kind
// retrain, the model's name, the deadline counted from now, and the retrain
// variables (MUSTER_MODEL, MUSTER_TRIGGER_REASON, MUSTER_WARM_START when a
// run has succeeded, and MUSTER_CHECKPOINT_DIR under the template's
// checkpoint dir when it has one). `id` is the job's id.
JobSpec RetrainJobSpec(const Model& model, JobId id, const std::string& reason,
                       const std::vector<EnvVar>& metrics, Time now);

// The checkpoint directory a run of a job used: its MUSTER_CHECKPOINT_DIR,
// or <checkpoint_root>/<id> (musterd's default).
std::string CheckpointDirOf(const Job& job, const std::string& checkpoint_root);

// Records the end of a retrain of `model` (its active job) at `now`: the
// cooldown starts; a COMPLETED run becomes the next warm start.
void RecordRetrainEnd(Model& model, const Job& job, const std::string& checkpoint_root, Time now);

}  // namespace muster::core
