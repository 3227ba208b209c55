// SHA-256 (FIPS 180-4) of a byte string, as lowercase hex. The simulator
// echoes the trace's digest in its JSON so a result names its exact input.
#pragma once

#include <string>
#include <string_view>

namespace muster::sim {

std::string Sha256Hex(std::string_view bytes);

}  // namespace muster::sim
