// Retraining (docs/retraining.md): registered models, triggers with
// coalescing and cooldown, and the warm start of each retrain. The
// decisions are the core's (scheduler/core/retrain.h); this part applies
// them to musterd's state.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/proto/messages.h"
#include "scheduler/service/arrays.h"
#include "scheduler/service/effects.h"
#include "scheduler/service/job_table.h"
#include "scheduler/service/queues.h"
#include "scheduler/store/state_store.h"

namespace muster::service {

class Models {
 public:
  Models(std::string checkpoint_root, store::StateStore& store, JobTable& jobs, const Queues& queues,
         Arrays& arrays, Effects& fx, const Clock& clock)
      : checkpoint_root_(std::move(checkpoint_root)),
        store_(store),
        jobs_(jobs),
        queues_(queues),
        arrays_(arrays),
        fx_(fx),
        clock_(clock) {}
  Models(const Models&) = delete;
  Models& operator=(const Models&) = delete;

  // Before anything can end a job: a retrain ended by the recovery itself
  // must find its model.
  void Recover(std::vector<Model> models);

  void OnPut(const Caller& from, const wire::PutModel& m);
  void OnDelete(const Caller& from, const wire::DeleteModel& m);
  void OnList(const Caller& from, const wire::ListModels& m);
  void OnTrigger(const Caller& from, const wire::TriggerModel& m);
  // Retrains deferred by a cooldown that has ended.
  void SubmitDue(Time now);
  // A job reached a final state (the JobTable's finished hook).
  void OnJobFinished(const Job& job);
  // The model whose template uses `queue`, if any ("" when none).
  std::string UsingQueue(const std::string& queue) const;
  // The record to write for a dirty model at the commit; null when gone.
  const Model* DirtyRecord(const std::string& name) const;
  const Model* Find(const std::string& name) const {
    auto it = models_.find(name);
    return it == models_.end() ? nullptr : &it->second;
  }

 private:
  // Submits a retrain of `model`, which becomes its active job.
  Result<JobId> SubmitRetrain(Model& model, const std::string& reason, const std::vector<EnvVar>& metrics);
  void Persist(const Model& model) { fx_.PersistModel(model.spec.name); }

  std::string checkpoint_root_;
  store::StateStore& store_;
  JobTable& jobs_;
  const Queues& queues_;
  Arrays& arrays_;
  Effects& fx_;
  const Clock& clock_;
  std::map<std::string, Model> models_;
};

}  // namespace muster::service
