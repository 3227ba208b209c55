#include "scheduler/service/authz.h"

namespace muster::service {

const char* PermissionName(Permission p) {
  switch (p) {
    case Permission::kNobody:
      return "nobody";
    case Permission::kRead:
      return "read";
    case Permission::kSubmit:
      return "submit";
    case Permission::kJobOwner:
      return "job owner";
    case Permission::kOperator:
      return "operator";
    case Permission::kModelAdmin:
      return "model admin";
    case Permission::kModelTrigger:
      return "model trigger";
    case Permission::kRank:
      return "rank";
    case Permission::kAgent:
      return "agent";
  }
  return "?";
}

std::string ActionOf(const wire::Body& body) {
  auto job = [](JobId id) { return "job " + std::to_string(id); };
  return std::visit(
      [&](const auto& m) -> std::string {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, wire::SubmitJob>) return "submit jobs";
        if constexpr (std::is_same_v<T, wire::CancelJob>) return "cancel " + job(m.id);
        if constexpr (std::is_same_v<T, wire::JobAction>) {
          const char* verb[] = {"hold", "release", "requeue", "set the priority of"};
          return std::string(verb[static_cast<int>(m.op) & 3]) + " " + job(m.id);
        }
        if constexpr (std::is_same_v<T, wire::ReadLog>) return "read the log of " + job(m.job);
        if constexpr (std::is_same_v<T, wire::NodeAction>) return "drain or resume node " + m.node;
        if constexpr (std::is_same_v<T, wire::PutQueue>) return "create or change queue " + m.spec.name;
        if constexpr (std::is_same_v<T, wire::DeleteQueue>) return "delete queue " + m.name;
        if constexpr (std::is_same_v<T, wire::PutModel>) return "register or update model " + m.spec.name;
        if constexpr (std::is_same_v<T, wire::DeleteModel>) return "delete model " + m.name;
        if constexpr (std::is_same_v<T, wire::TriggerModel>) return "trigger model " + m.model;
        if constexpr (std::is_same_v<T, wire::RdzvPut> || std::is_same_v<T, wire::RdzvGet> ||
                      std::is_same_v<T, wire::RdzvBarrier>)
          return "use the rendezvous of " + job(m.job) + " attempt " + std::to_string(m.attempt);
        if constexpr (std::is_same_v<T, wire::Register>) return "register as node " + m.node.name;
        if constexpr (std::is_same_v<T, wire::Heartbeat>) return "heartbeat as node " + m.node;
        return std::string("send ") + wire::BodyName(body);
      },
      body);
}

Status Authorize(const Principal& who, Permission need, const Subject& about, const wire::Body& request) {
  if (need == Permission::kNobody)
    return Status::InvalidArgument(std::string("musterd does not accept ") + wire::BodyName(request));
  if (who.role == Role::kInsecure) return Status::Ok();
  auto denied = [&](const std::string& why) {
    // The request's words only for a refusal: never on the path of an allowed one.
    return Status::PermissionDenied("permission denied: " + who.Describe() + " may not " + ActionOf(request) +
                                    ": " + why);
  };
  if (who.role == Role::kNone)
    return Status::PermissionDenied("permission denied: unauthenticated (connect with a key musterd knows)");
  const bool user = who.role == Role::kUser;
  switch (need) {
    case Permission::kNobody:
      break;
    case Permission::kRead:
    case Permission::kSubmit:
      if (user) return Status::Ok();
      return denied("only users may");
    case Permission::kJobOwner:
      if (!user) return denied("only users may");
      if (!about.job_user || who.operator_rights() || *about.job_user == who.name ||
          who.AdminOf(about.job_team))
        return Status::Ok();
      return denied("the job is " + *about.job_user + "'s (team " + about.job_team +
                    "); only its user, an admin of its team or an operator may");
    case Permission::kOperator:
      if (who.operator_rights()) return Status::Ok();
      return denied("only operators may");
    case Permission::kModelAdmin:
      if (!user) return denied("only users may");
      if (!about.model_team || who.operator_rights() || who.AdminOf(*about.model_team)) return Status::Ok();
      return denied("only an admin of team " + *about.model_team + " or an operator may");
    case Permission::kModelTrigger:
      if (who.role == Role::kGateway) {
        // The gateway checked a team token; it speaks for that team only.
        if (!about.gateway_team.empty()) return Status::Ok();
        return denied("a trigger from the gateway names its token's team");
      }
      if (!user) return denied("only users may");
      if (!about.model_team || who.operator_rights() || who.InTeam(*about.model_team)) return Status::Ok();
      return denied("only members of team " + *about.model_team + " or an operator may");
    case Permission::kRank:
      if (who.role == Role::kRank && who.job == about.job && who.attempt == about.attempt)
        return Status::Ok();
      return denied("only the ranks of job " + std::to_string(about.job) + " attempt " +
                    std::to_string(about.attempt) + " may");
    case Permission::kAgent:
      if (who.role != Role::kAgent) return denied("only agents may");
      if (!about.node) return denied("this connection has not registered a node");
      if (*about.node == who.name) return Status::Ok();
      return denied("it is node " + who.name + "'s key, not node " + *about.node + "'s");
  }
  return denied("unknown permission");
}

}  // namespace muster::service
