// What each request needs, in one table, and the one check of it
// (docs/security.md "Roles"). Server::Dispatch looks the request's
// permission up here and asks Authorize before any part sees the request;
// a request type without a line below does not compile.
#pragma once

#include <optional>
#include <string>

#include "common/proto/messages.h"
#include "muster/status.h"
#include "scheduler/service/access.h"

namespace muster::service {

enum class Permission : uint8_t {
  kNobody,        // an answer type: musterd accepts none from anyone
  kRead,          // every user: metadata of every job, node, queue, model (squeue)
  kSubmit,        // every user; the job is the caller's, in one of the caller's teams
  kJobOwner,      // the job's user, its team's admin, an operator
  kOperator,      // queues and nodes
  kModelAdmin,    // the model's team admin, an operator
  kModelTrigger,  // the model's team, the HTTP gateway for a token of that team, an operator
  kRank,          // the ranks of that job attempt
  kAgent,         // the agent of the node the message is about
};

const char* PermissionName(Permission p);

// What a request asks to do, for a refusal ("cancel job 4", "drain or
// resume node node-1"); the message type's name for the rest.
std::string ActionOf(const wire::Body& body);

template <typename T>
struct PermissionOf;  // undefined: every request type must have a line

#define MUSTER_PERMISSION(T, P)                        \
  template <>                                          \
  struct PermissionOf<wire::T> {                       \
    static constexpr Permission value = Permission::P; \
  }

// Users.
MUSTER_PERMISSION(SubmitJob, kSubmit);
MUSTER_PERMISSION(ListJobs, kRead);
MUSTER_PERMISSION(ListEvents, kRead);
MUSTER_PERMISSION(CancelJob, kJobOwner);
MUSTER_PERMISSION(JobAction, kJobOwner);
MUSTER_PERMISSION(ReadLog, kJobOwner);
// Operators.
MUSTER_PERMISSION(ListNodes, kRead);
MUSTER_PERMISSION(ListQueues, kRead);
MUSTER_PERMISSION(NodeAction, kOperator);
MUSTER_PERMISSION(PutQueue, kOperator);
MUSTER_PERMISSION(DeleteQueue, kOperator);
// Retraining.
MUSTER_PERMISSION(ListModels, kRead);
MUSTER_PERMISSION(PutModel, kModelAdmin);
MUSTER_PERMISSION(DeleteModel, kModelAdmin);
MUSTER_PERMISSION(TriggerModel, kModelTrigger);
// Ranks.
MUSTER_PERMISSION(RdzvPut, kRank);
MUSTER_PERMISSION(RdzvGet, kRank);
MUSTER_PERMISSION(RdzvBarrier, kRank);
// Agents.
MUSTER_PERMISSION(Register, kAgent);
MUSTER_PERMISSION(Heartbeat, kAgent);
MUSTER_PERMISSION(Reserved, kAgent);
MUSTER_PERMISSION(RankStarted, kAgent);
MUSTER_PERMISSION(RankExited, kAgent);
MUSTER_PERMISSION(LogChunk, kAgent);  // the answer to a ReadLog musterd relayed
MUSTER_PERMISSION(Error, kAgent);     // the same, when the agent could not read
MUSTER_PERMISSION(Ok, kAgent);
// What musterd sends and never takes.
MUSTER_PERMISSION(SubmitReply, kNobody);
MUSTER_PERMISSION(JobList, kNobody);
MUSTER_PERMISSION(NodeList, kNobody);
MUSTER_PERMISSION(RegisterReply, kNobody);
MUSTER_PERMISSION(LaunchRanks, kNobody);
MUSTER_PERMISSION(AckExit, kNobody);
MUSTER_PERMISSION(KillJob, kNobody);
MUSTER_PERMISSION(QueueList, kNobody);
MUSTER_PERMISSION(RdzvValue, kNobody);
MUSTER_PERMISSION(ReserveRanks, kNobody);
MUSTER_PERMISSION(CommitRanks, kNobody);
MUSTER_PERMISSION(AbortRanks, kNobody);
MUSTER_PERMISSION(ModelList, kNobody);
MUSTER_PERMISSION(TriggerReply, kNobody);
MUSTER_PERMISSION(EventList, kNobody);

#undef MUSTER_PERMISSION

// What a request is about, as musterd knows it (never as the request says).
struct Subject {
  // kJobOwner: the job (nullopt: musterd knows no such job; the part answers).
  std::optional<std::string> job_user;
  std::string job_team;
  int32_t job_priority = 0;
  // kModelAdmin, kModelTrigger: the model's team (nullopt: no such model).
  std::optional<std::string> model_team;
  std::string gateway_team;  // kModelTrigger from the gateway: its token's team
  // kRank: the job attempt the request names.
  JobId job = kNoJob;
  int32_t attempt = 0;
  // kAgent: the node the message is about (its name, as registered).
  std::optional<std::string> node;
};

// What a reply shows instead of a value its reader may not see.
inline constexpr const char* kHiddenValue = "(hidden)";

// Ok, or PermissionDenied saying who was refused what.
Status Authorize(const Principal& who, Permission need, const Subject& about, const wire::Body& request);

}  // namespace muster::service
