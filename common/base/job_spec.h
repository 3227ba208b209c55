#pragma once

#include "muster/status.h"
#include "muster/types.h"

namespace muster {

// Every rule a submitted spec must satisfy, with a message that tells the
// user what to change. Shared by musterd (authoritative) and the CLI.
Status ValidateJobSpec(const JobSpec& spec);

// A name is 1..64 of [A-Za-z0-9._-]: teams, queues, nodes, label keys.
bool IsValidName(std::string_view s);

}  // namespace muster
