// The production Router: a ZeroMQ ROUTER bound to musterd's endpoint.
#pragma once

#include <memory>
#include <string>

#include "common/transport/router.h"
#include "common/transport/zap.h"

namespace muster::transport {

// A CURVE server: its key pair, and who may connect (asked by the ZAP
// handler before any message of a connection is delivered).
struct CurveServer {
  curve::KeyPair keys;
  ZapHandler::Authorizer authorize;
};

// Binds `listen` ("tcp://127.0.0.1:7600"; port 0 picks a free port). With
// `curve`, only clients whose key the authorizer knows get through, and
// each message carries the principal it named (Incoming::principal);
// without, anyone may connect (musterd --insecure).
Result<std::unique_ptr<Router>> BindZmqRouter(const std::string& listen, std::optional<CurveServer> curve);

}  // namespace muster::transport
