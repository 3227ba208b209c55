// musterd's HTTP endpoint for monitoring systems (docs/retraining.md
// "Triggers over HTTP"): a plain JSON trigger and Prometheus Alertmanager's
// webhook, each authenticated by a bearer token that names a team, which
// may trigger only its own models.
//
// It owns no scheduler state: every request becomes wire messages to
// musterd's own socket, so the event loop stays single-threaded and a
// trigger over HTTP goes through exactly the checks a CLI trigger does.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/transport/curve.h"
#include "muster/status.h"

namespace muster::service {

struct HttpOptions {
  std::string host = "127.0.0.1";             // loopback unless the operator says otherwise
  int port = 0;                               // 0: any free port (see HttpGateway::port)
  std::map<std::string, std::string> tokens;  // bearer token -> team
  std::string model_label = "model";          // the Alertmanager label that names the model
  int musterd_timeout_ms = 5000;
  // The gateway's own key for musterd's socket (musterd makes one at start,
  // access.h); nullopt only against musterd --insecure.
  std::optional<transport::curve::ClientKeys> musterd_keys;
};

// "8080", "127.0.0.1:8080", "0.0.0.0:8080", "[::1]:8080" -> host and port.
Status ParseHttpListen(const std::string& text, HttpOptions* options);
// A tokens file: one "TEAM TOKEN" per line; blank lines and # comments
// skipped. Tokens are at least 16 characters and unique.
Result<std::map<std::string, std::string>> LoadHttpTokens(const std::string& path);

class HttpGateway {
 public:
  // Binds and starts serving on its own threads; requests go to the musterd
  // at `musterd_endpoint`.
  static Result<std::unique_ptr<HttpGateway>> Start(const HttpOptions& options,
                                                    const std::string& musterd_endpoint);
  ~HttpGateway();  // stops serving and joins
  HttpGateway(const HttpGateway&) = delete;
  HttpGateway& operator=(const HttpGateway&) = delete;

  int port() const;

  struct Impl;

 private:
  explicit HttpGateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace muster::service
