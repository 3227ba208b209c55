// What the CLI prints: tables, detail views and JSON, as pure functions of
// the wire values (and `now` where elapsed times are shown).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/proto/messages.h"
#include "muster/types.h"

namespace muster::cli {

// ---- building blocks --------------------------------------------------------

// Left-aligned columns, two spaces apart; the last column is not padded.
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);
// "Key:" padded so the values line up; a value with newlines continues
// under the first one.
std::string RenderFields(const std::vector<std::pair<std::string, std::string>>& fields);

// Indented JSON text. Invalid UTF-8 (a job's argv may hold any bytes) is
// replaced rather than thrown on.
std::string DumpJson(const nlohmann::json& j);
// RFC 3339 UTC, or null when unset.
nlohmann::json TimeToJson(Time t);
// squeue's TIME: "0:00", "4:05", "1:02:03", "2-03:04:05".
std::string FormatElapsed(Duration d);
// Words that a POSIX shell reads back as `argv`.
std::string ShellJoin(const std::vector<std::string>& argv);

// ---- jobs -------------------------------------------------------------------

// The shape a job has or asked for. Placed (not PENDING, with a placement):
// nodes from the placement and GPUs per node from the spec (the largest
// per-node count for a flexible shape).
// Unplaced flexible shape (spec.nodes == 0): 0 nodes, 0 GPUs per node.
struct JobShape {
  int32_t nodes = 0;
  int32_t gpus_per_node = 0;
  int32_t gpus = 0;  // total
};
JobShape ShapeOf(const Job& job);

// Run time of the current/last attempt: 0 while pending, `now - start` while
// STARTING/RUNNING, `end - start` once it ended.
Duration RunTime(const Job& job, Time now);
// "node-a,node-b" (empty when not placed).
std::string NodeListText(const Job& job);
// "Resources" or "Resources: needs 16 GPUs, 8 free"; "None" when no reason.
std::string ReasonText(const Job& job);

// How a job is shown and named on the command line: "42", or "42_7" for
// task 7 of array job 42 (Slurm's form; ParseJobRef reads it back).
std::string DisplayId(const Job& job);
// JOBID NAME TEAM QUEUE STATE TIME NODES GPUS NODELIST(REASON), by id; array
// tasks as 42_7.
std::string FormatJobsTable(std::vector<Job> jobs, Time now);
// `muster show`: one "Key: value" line per field.
std::string FormatJobDetails(const Job& job, Time now);
// Every field; `id` stays the number, `display_id` is DisplayId.
nlohmann::json JobToJson(const Job& job);
// `muster history`: TIME FROM TO CAUSE, in the given (append) order.
std::string FormatEventsTable(const std::vector<JobEvent>& events);
// [{time, from, to, cause}].
nlohmann::json EventsToJson(const std::vector<JobEvent>& events);
// An array, by id.
nlohmann::json JobsToJson(std::vector<Job> jobs);

// ---- nodes ------------------------------------------------------------------

// NAME STATE GPUS FREE LABELS LAST_HEARTBEAT [PROBLEM], by name; the heartbeat as
// an age; PROBLEM only when some node has one.
std::string FormatNodesTable(std::vector<wire::NodeStatus> nodes, Time now);
// One row per GPU: NODE GPU MODEL MEMORY UTIL MEM_USED HEALTH NVLINK, by node.
std::string FormatGpusTable(std::vector<wire::NodeStatus> nodes);
nlohmann::json NodeToJson(const wire::NodeStatus& node);
// An array, by name.
nlohmann::json NodesToJson(std::vector<wire::NodeStatus> nodes);

// ---- queues and fair share ---------------------------------------------------

// NAME WEIGHT GUARANTEED MAX TIER PAUSED RUNNING PENDING GPUS_USED USAGE_GPU_H,
// by name. MAX "-" when uncapped; usage in decayed GPU-hours to 2 decimals.
std::string FormatQueuesTable(std::vector<wire::QueueInfo> queues);
// name weight guaranteed max (null: no cap) tier paused running pending
// gpus_used usage_gpu_h default_time_limit_s default_window.
nlohmann::json QueueToJson(const wire::QueueInfo& queue);
// An array, by name.
nlohmann::json QueuesToJson(std::vector<wire::QueueInfo> queues);

// `muster usage`: a line with the half-life, then QUEUE TEAM GPUS_USED
// USAGE_GPU_H SHARE: each queue (TEAM "-") followed by its teams. A queue's
// share is its fraction of all queues' decayed usage, a team's its fraction
// of all teams' (0 when there is none yet).
std::string FormatUsage(const wire::QueueList& list);
// {half_life_hours, queues: [{queue, gpus_used, usage_gpu_h, share}],
//  teams: [{queue, team, gpus_used, usage_gpu_h, share}]}, sorted by name.
nlohmann::json UsageToJson(const wire::QueueList& list);

// ---- models (retraining) ------------------------------------------------------

// NAME QUEUE GPUS WINDOW COOLDOWN RETRAIN LAST WARM_START TRIGGERS, by name.
// RETRAIN: the active retrain's job id, "due <time>" when one is deferred, or "-".
std::string FormatModelsTable(std::vector<wire::ModelInfo> models);
// `muster model show`: the template and state as fields, then the newest triggers.
std::string FormatModelDetails(const wire::ModelInfo& info);
nlohmann::json ModelToJson(const wire::ModelInfo& info);
nlohmann::json ModelsToJson(std::vector<wire::ModelInfo> models);
// One line saying what became of a trigger.
std::string FormatTriggerReply(const std::string& model, const wire::TriggerReply& reply);
nlohmann::json TriggerReplyToJson(const wire::TriggerReply& reply);

}  // namespace muster::cli
