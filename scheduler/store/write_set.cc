#include "scheduler/store/state_store.h"

namespace muster::store {

Status WriteSet::Validate() const {
  for (const Op& op : ops_) {
    if (const auto* p = std::get_if<PutJob>(&op); p && p->job.id == kNoJob)
      return Status::InvalidArgument("store: job without an id");
    if (const auto* p = std::get_if<PutNode>(&op); p && p->node.name.empty())
      return Status::InvalidArgument("store: node without a name");
    if (const auto* p = std::get_if<DeleteNode>(&op); p && p->name.empty())
      return Status::InvalidArgument("store: delete of a node without a name");
    if (const auto* p = std::get_if<AppendEvent>(&op); p && p->event.job == kNoJob)
      return Status::InvalidArgument("store: event without a job id");
    if (const auto* p = std::get_if<SetNextJobId>(&op); p && p->next == kNoJob)
      return Status::InvalidArgument("store: next job id 0 (ids start at 1)");
    if (const auto* p = std::get_if<PutQueue>(&op); p && p->queue.name.empty())
      return Status::InvalidArgument("store: queue without a name");
    if (const auto* p = std::get_if<DeleteQueue>(&op); p && p->name.empty())
      return Status::InvalidArgument("store: delete of a queue without a name");
    if (const auto* p = std::get_if<PutMeta>(&op); p && p->key.empty())
      return Status::InvalidArgument("store: meta value without a key");
    if (const auto* p = std::get_if<PutModel>(&op); p && p->model.spec.name.empty())
      return Status::InvalidArgument("store: model without a name");
    if (const auto* p = std::get_if<DeleteModel>(&op); p && p->name.empty())
      return Status::InvalidArgument("store: delete of a model without a name");
    if (const auto* p = std::get_if<AppendTrigger>(&op); p && p->trigger.model.empty())
      return Status::InvalidArgument("store: trigger without a model");
    if (const auto* p = std::get_if<DropTrigger>(&op); p && p->model.empty())
      return Status::InvalidArgument("store: drop of a trigger without a model");
  }
  return Status::Ok();
}

}  // namespace muster::store
