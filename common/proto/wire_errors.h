// The one mapping from a Status to the wire's error codes, for every
// process that answers with an Error (musterd, muster-agent): a message
// that cannot be decoded, a refused request, a missing log.
#pragma once

#include "common/proto/messages.h"
#include "muster/status.h"

namespace muster::wire {

inline ErrorCode ErrorCodeOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return ErrorCode::kUnknown;
    case StatusCode::kInvalidArgument:
      return ErrorCode::kBadRequest;
    case StatusCode::kNotFound:
      return ErrorCode::kNotFound;
    case StatusCode::kFailedPrecondition:
      return ErrorCode::kFailedPrecondition;
    case StatusCode::kUnavailable:
      return ErrorCode::kUnavailable;
    case StatusCode::kIoError:
      return ErrorCode::kInternal;
    case StatusCode::kCorruption:
      return ErrorCode::kBadRequest;  // bytes that are no message of ours
    case StatusCode::kResourceExhausted:
      return ErrorCode::kTooLarge;
    case StatusCode::kVersionMismatch:
      return ErrorCode::kVersionMismatch;
    case StatusCode::kInternal:
      return ErrorCode::kInternal;
    case StatusCode::kPermissionDenied:
      return ErrorCode::kPermissionDenied;
  }
  return ErrorCode::kUnknown;
}

inline Error ErrorOf(const Status& status) { return Error{ErrorCodeOf(status.code()), status.message()}; }

}  // namespace muster::wire
