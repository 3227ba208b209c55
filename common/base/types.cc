#include "muster/types.h"

#include <algorithm>
#include <array>

#include "common/base/strings.h"
#include "muster/status.h"

namespace muster {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kFailedPrecondition:
      return "FailedPrecondition";
    case StatusCode::kUnavailable:
      return "Unavailable";
    case StatusCode::kIoError:
      return "IoError";
    case StatusCode::kCorruption:
      return "Corruption";
    case StatusCode::kResourceExhausted:
      return "ResourceExhausted";
    case StatusCode::kVersionMismatch:
      return "VersionMismatch";
    case StatusCode::kInternal:
      return "Internal";
    case StatusCode::kPermissionDenied:
      return "PermissionDenied";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

namespace {
constexpr std::array<const char*, 9> kJobStateNames = {"PENDING",   "STARTING",  "RUNNING",
                                                       "COMPLETED", "FAILED",    "CANCELLED",
                                                       "TIMEOUT",   "PREEMPTED", "NODE_FAIL"};
}

const char* JobStateName(JobState s) {
  auto i = static_cast<size_t>(s);
  return i < kJobStateNames.size() ? kJobStateNames[i] : "UNKNOWN";
}

std::optional<JobState> ParseJobState(std::string_view s) {
  std::string up(s);
  for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (size_t i = 0; i < kJobStateNames.size(); ++i)
    if (up == kJobStateNames[i]) return static_cast<JobState>(i);
  return std::nullopt;
}

bool IsFinal(JobState s) {
  return s == JobState::kCompleted || s == JobState::kFailed || s == JobState::kCancelled ||
         s == JobState::kTimeout;
}

const char* PendingReasonName(PendingReason r) {
  switch (r) {
    case PendingReason::kNone:
      return "None";
    case PendingReason::kPriority:
      return "Priority";
    case PendingReason::kResources:
      return "Resources";
    case PendingReason::kQuota:
      return "Quota";
    case PendingReason::kOffPeakWindow:
      return "OffPeakWindow";
    case PendingReason::kDependency:
      return "Dependency";
    case PendingReason::kDependencyNeverSatisfied:
      return "DependencyNeverSatisfied";
    case PendingReason::kQueuePaused:
      return "QueuePaused";
    case PendingReason::kHeld:
      return "Held";
    case PendingReason::kReserved:
      return "Reserved";
    case PendingReason::kNodeFail:
      return "NodeFail";
    case PendingReason::kPreempted:
      return "Preempted";
  }
  return "Unknown";
}

const char* WindowName(Window w) {
  switch (w) {
    case Window::kAnytime:
      return "anytime";
    case Window::kOffpeak:
      return "offpeak";
    case Window::kOffpeakPreferred:
      return "offpeak-preferred";
  }
  return "anytime";
}

std::optional<Window> ParseWindow(std::string_view s) {
  std::string l = ToLower(s);
  if (l == "anytime") return Window::kAnytime;
  if (l == "offpeak") return Window::kOffpeak;
  if (l == "offpeak-preferred") return Window::kOffpeakPreferred;
  return std::nullopt;
}

const char* NodeStateName(NodeState s) {
  switch (s) {
    case NodeState::kUp:
      return "UP";
    case NodeState::kDown:
      return "DOWN";
    case NodeState::kDrain:
      return "DRAIN";
  }
  return "UNKNOWN";
}

const char* TopologyName(TopologyConstraint t) {
  switch (t) {
    case TopologyConstraint::kAny:
      return "any";
    case TopologyConstraint::kSameRack:
      return "same-rack";
    case TopologyConstraint::kSameSwitch:
      return "same-switch";
    case TopologyConstraint::kSameNode:
      return "same-node";
  }
  return "any";
}

std::optional<TopologyConstraint> ParseTopology(std::string_view s) {
  std::string l = ToLower(s);
  if (l == "any") return TopologyConstraint::kAny;
  if (l == "same-rack") return TopologyConstraint::kSameRack;
  if (l == "same-switch") return TopologyConstraint::kSameSwitch;
  if (l == "same-node") return TopologyConstraint::kSameNode;
  return std::nullopt;
}

int32_t TotalGpus(const JobSpec& spec) {
  return spec.nodes > 0 ? spec.nodes * spec.gpus_per_node : spec.total_gpus;
}

const char* TriggerOutcomeName(TriggerOutcome o) {
  switch (o) {
    case TriggerOutcome::kSubmitted:
      return "submitted";
    case TriggerOutcome::kCoalesced:
      return "coalesced";
    case TriggerOutcome::kDeferred:
      return "deferred";
  }
  return "unknown";
}

}  // namespace muster
