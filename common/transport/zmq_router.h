// The production Router: a ZeroMQ ROUTER bound to musterd's endpoint.
#pragma once

#include <memory>
#include <string>

#include "common/transport/router.h"

namespace muster::transport {

// Binds `listen` ("tcp://127.0.0.1:7600"; port 0 picks a free port).
Result<std::unique_ptr<Router>> BindZmqRouter(const std::string& listen);

}  // namespace muster::transport
