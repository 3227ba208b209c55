#include "scheduler/service/http_gateway.h"

#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>
#include <variant>
#include <vector>

#include "common/base/clock.h"
#include "common/base/job_spec.h"
#include "common/base/log.h"
#include "common/base/mutex.h"
#include "common/base/strings.h"
#include "common/transport/zmq_util.h"
#include "scheduler/service/bounded_task_queue.h"

namespace muster::service {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxBodyBytes = 1024 * 1024;
constexpr int64_t kBodyDeadlineMs = 5000;  // a request's whole body, however it trickles in
// Connections served at once, and accepted ones waiting for a worker; past
// that the listener stops accepting (BoundedTaskQueue).
constexpr size_t kWorkers = 4;
constexpr size_t kMaxQueuedConnections = 64;
constexpr size_t kMinTokenChars = 16;
constexpr size_t kMaxMetricValueChars = 256;
constexpr const char* kAnyTeam = "*";  // a tokens-file team that may trigger every model

// An HTTP answer: status and a JSON body.
struct Answer {
  int status = 200;
  Json body;
};

Answer Fail(int status, std::string why) { return {status, Json{{"error", std::move(why)}}}; }

int StatusOf(wire::ErrorCode code) {
  switch (code) {
    case wire::ErrorCode::kNotFound:
      return 404;
    case wire::ErrorCode::kPermissionDenied:
      return 403;
    case wire::ErrorCode::kBadRequest:
    case wire::ErrorCode::kInvalidSpec:
      return 400;
    case wire::ErrorCode::kFailedPrecondition:
      return 409;
    case wire::ErrorCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

// A metric value as text: numbers and booleans as JSON writes them.
std::optional<std::string> MetricText(const Json& v) {
  if (v.is_string()) return v.get<std::string>().substr(0, kMaxMetricValueChars);
  if (v.is_number() || v.is_boolean()) return v.dump();
  return std::nullopt;
}

// Time depends on the length of `given` only, not on where the two differ.
bool ConstantTimeEquals(const std::string& expected, const std::string& given) {
  if (expected.empty()) return false;
  unsigned char diff = expected.size() != given.size();
  for (size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(expected[i % expected.size()] ^ given[i]);
  return diff == 0;
}

std::string StringField(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

struct HttpGateway::Impl {
  HttpOptions options;
  httplib::Server server;
  std::thread thread;
  int port = 0;
  Mutex mu;  // the client is one DEALER socket; httplib serves on several threads
  transport::Client client GUARDED_BY(mu);

  Impl(const HttpOptions& o, const std::string& endpoint)
      : options(o), client(endpoint, o.musterd_timeout_ms, o.musterd_keys) {}

  // The team of the request's bearer token, or the 401 to send. Every
  // token is compared in full, in time independent of where they differ.
  std::variant<std::string, Answer> Authenticate(const httplib::Request& req) const {
    const std::string header = req.get_header_value("Authorization");
    if (header.size() < 7 || ToLower(header.substr(0, 7)) != "bearer ")
      return Fail(401, "missing bearer token (Authorization: Bearer TOKEN)");
    const std::string given = header.substr(7);
    const std::string* team = nullptr;
    for (const auto& [token, token_team] : options.tokens)
      if (ConstantTimeEquals(token, given)) team = &token_team;
    if (!team) return Fail(401, "unknown token");
    return *team;
  }

  Result<wire::Body> Call(const wire::Body& request) {
    MutexLock lock(&mu);
    return client.Call(request);
  }

  // Triggers a model for `team`: musterd refuses another team's model.
  Answer Trigger(const std::string& team, wire::TriggerModel trigger) {
    trigger.team = team;
    auto reply = Call(trigger);
    if (!reply.ok()) return Fail(503, "musterd did not answer: " + reply.status().message());
    if (auto* e = std::get_if<wire::Error>(&*reply)) return Fail(StatusOf(e->code), e->message);
    auto* r = std::get_if<wire::TriggerReply>(&*reply);
    if (!r) return Fail(500, "unexpected answer from musterd");
    Json body{{"model", trigger.model}, {"outcome", TriggerOutcomeName(r->outcome)}, {"seq", r->seq}};
    body["job"] = r->job == kNoJob ? Json(nullptr) : Json(r->job);
    body["cooldown_end"] = r->cooldown_end == kNoTime ? Json(nullptr) : Json(FormatRfc3339(r->cooldown_end));
    return {200, body};
  }

  // POST /v1/models/NAME/trigger {"reason": "...", "metrics": {"psi.age": 0.31}}
  Answer PlainTrigger(const std::string& team, const std::string& model, const Json& body) {
    if (!body.is_object()) return Fail(400, "the body must be a JSON object");
    auto reason = body.find("reason");
    if (reason == body.end() || !reason->is_string() || reason->get<std::string>().empty())
      return Fail(400, "\"reason\" must be a non-empty string");
    wire::TriggerModel t;
    t.model = model;
    t.reason = reason->get<std::string>();
    t.source = "http:" + team;
    if (std::string extra = StringField(body, "source"); !extra.empty()) t.source += ":" + extra;
    if (auto metrics = body.find("metrics"); metrics != body.end()) {
      if (!metrics->is_object()) return Fail(400, "\"metrics\" must be an object of name: number or string");
      for (const auto& [name, value] : metrics->items()) {
        auto text = MetricText(value);
        if (!text) return Fail(400, "metric \"" + name + "\" must be a number, string or boolean");
        t.metrics.push_back({name, *text});
      }
    }
    return Trigger(team, std::move(t));
  }

  // POST /v1/alertmanager: Alertmanager's webhook (version 4). Each firing
  // alert whose labels name a model triggers it; resolved alerts are ignored.
  Answer Alertmanager(const std::string& team, const Json& body) {
    if (!body.is_object() || !body.contains("alerts") || !body["alerts"].is_array())
      return Fail(400, "not an Alertmanager webhook: no \"alerts\" array");
    // The whole body is checked before anything is triggered: a malformed
    // alert refuses the request, never half of it.
    for (const Json& alert : body["alerts"])
      if (!alert.is_object() || !alert.contains("labels") || !alert["labels"].is_object())
        return Fail(400, "an alert without a \"labels\" object");
    Json results = Json::array();
    int failures = 0, first_failure = 200;
    const std::string receiver = StringField(body, "receiver");
    for (const Json& alert : body["alerts"]) {
      if (StringField(alert, "status") == "resolved") continue;
      const Json& labels = alert["labels"];
      const std::string alertname = StringField(labels, "alertname");
      const std::string model = StringField(labels, options.model_label.c_str());
      Answer a;
      if (model.empty()) {
        a = Fail(422, "alert '" + alertname + "' has no '" + options.model_label + "' label");
      } else {
        a = Trigger(team, AlertTrigger(team, receiver, alertname, model, alert));
      }
      if (a.status != 200 && failures++ == 0) first_failure = a.status;
      a.body["alert"] = alertname;
      results.push_back(a.body);
    }
    // Alertmanager resends the whole group on 5xx: answer an error only when
    // no alert of it was taken, so a retry never triggers one twice.
    const bool all_failed = failures > 0 && failures == static_cast<int>(results.size());
    return {all_failed ? first_failure : 200, Json{{"results", results}}};
  }

  static wire::TriggerModel AlertTrigger(const std::string& team, const std::string& receiver,
                                         const std::string& alertname, const std::string& model,
                                         const Json& alert) {
    wire::TriggerModel t;
    t.model = model;
    t.source = "alertmanager:" + team + (receiver.empty() ? "" : "/" + receiver);
    const Json annotations = alert.contains("annotations") && alert["annotations"].is_object()
                                 ? alert["annotations"]
                                 : Json::object();
    std::string summary = StringField(annotations, "summary");
    if (summary.empty()) summary = StringField(annotations, "description");
    t.reason = "alert " + (alertname.empty() ? std::string("(unnamed)") : alertname) +
               (summary.empty() ? std::string(" firing") : ": " + summary);
    // Other annotations carry the figures ({{ $value }} and the like).
    for (const auto& [name, value] : annotations.items()) {
      if (name == "summary" || name == "description" || name == "runbook_url") continue;
      if (auto text = MetricText(value)) t.metrics.push_back({name, *text});
    }
    return t;
  }

  // The token comes from the headers, before a byte of the body is read:
  // an unauthenticated client never gets to send one. The body is then read
  // here, chunked or not, up to kMaxBodyBytes and within kBodyDeadlineMs.
  void Handle(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader,
              const std::function<Answer(const std::string& team, const Json& body)>& fn) {
    Answer a;
    auto team = Authenticate(req);
    if (auto* fail = std::get_if<Answer>(&team)) {
      a = *fail;
      res.set_header("WWW-Authenticate", "Bearer");
    } else {
      std::string text;
      bool too_large = false, too_slow = false;
      const int64_t deadline = MonotonicMs() + kBodyDeadlineMs;
      reader([&](const char* data, size_t len) {
        if (text.size() + len > kMaxBodyBytes) return !(too_large = true);
        if (MonotonicMs() > deadline) return !(too_slow = true);
        text.append(data, len);
        return true;
      });
      if (too_large) {
        a = Fail(413, "body larger than 1 MiB");
      } else if (too_slow) {
        a = Fail(408, "the body took longer than " + std::to_string(kBodyDeadlineMs / 1000) + " s");
      } else {
        try {
          a = fn(std::get<std::string>(team), Json::parse(text));
        } catch (const Json::parse_error& e) {
          a = Fail(400, std::string("the body is not JSON: ") + e.what());
        } catch (const Json::exception& e) {
          a = Fail(400, std::string("bad JSON: ") + e.what());
        }
      }
    }
    res.status = a.status;
    res.set_content(a.body.dump(2, ' ', false, Json::error_handler_t::replace) + "\n", "application/json");
    MLOG(Info) << "http " << req.method << " " << req.path << " -> " << a.status;
  }

  void Routes() {
    server.set_payload_max_length(kMaxBodyBytes);
    // A slow or idle client holds a worker at most this long.
    server.set_read_timeout(2, 0);
    server.set_write_timeout(2, 0);
    server.set_keep_alive_timeout(2);  // httplib's default is 5 s
    server.set_keep_alive_max_count(1);
    server.new_task_queue = [] { return new BoundedTaskQueue(kWorkers, kMaxQueuedConnections); };
    server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok\n", "text/plain");
    });
    server.Post(
        R"(/v1/models/([A-Za-z0-9._-]{1,64})/trigger)",
        [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& body) {
          const std::string model = req.matches[1];
          Handle(req, res, body,
                 [&](const std::string& team, const Json& json) { return PlainTrigger(team, model, json); });
        });
    server.Post("/v1/alertmanager", [this](const httplib::Request& req, httplib::Response& res,
                                           const httplib::ContentReader& body) {
      Handle(req, res, body,
             [&](const std::string& team, const Json& json) { return Alertmanager(team, json); });
    });
    server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return;
      std::string why = res.status == 404
                            ? "no such endpoint (POST /v1/models/NAME/trigger, POST /v1/alertmanager)"
                        : res.status == 413 ? "body larger than 1 MiB"
                                            : "request refused";
      res.set_content(Json{{"error", why}}.dump() + "\n", "application/json");
    });
  }
};

Status ParseHttpListen(const std::string& text, HttpOptions* options) {
  std::string host = "127.0.0.1", port = text;
  if (auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) host = "127.0.0.1";
  }
  int p = -1;
  try {
    size_t used = 0;
    p = std::stoi(port, &used);
    if (used != port.size()) p = -1;
  } catch (const std::exception&) {
    p = -1;
  }
  if (p < 0 || p > 65535)
    return Status::InvalidArgument("bad --http-listen '" + text + "': give [HOST:]PORT");
  options->host = host;
  options->port = p;
  return Status::Ok();
}

Result<std::map<std::string, std::string>> LoadHttpTokens(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("cannot read the HTTP tokens file " + path);
  std::map<std::string, std::string> tokens;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string team, token, extra;
    if (!(words >> team)) continue;
    auto where = path + ":" + std::to_string(n) + ": ";
    if (!(words >> token) || (words >> extra)) return Status::InvalidArgument(where + "give TEAM TOKEN");
    if (team != kAnyTeam && !IsValidName(team))
      return Status::InvalidArgument(where + "bad team '" + team + "'");
    if (token.size() < kMinTokenChars)
      return Status::InvalidArgument(where + "token shorter than " + std::to_string(kMinTokenChars) +
                                     " characters");
    if (!tokens.emplace(token, team).second) return Status::InvalidArgument(where + "token given twice");
  }
  if (tokens.empty())
    return Status::InvalidArgument("no tokens in " + path + ": HTTP triggers need TEAM TOKEN lines");
  return tokens;
}

HttpGateway::HttpGateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HttpGateway>> HttpGateway::Start(const HttpOptions& options,
                                                        const std::string& musterd_endpoint) {
  if (options.tokens.empty()) return Status::InvalidArgument("the HTTP endpoint needs at least one token");
  auto impl = std::make_unique<Impl>(options, musterd_endpoint);
  impl->Routes();
  if (options.port == 0) {
    impl->port = impl->server.bind_to_any_port(options.host);
  } else if (impl->server.bind_to_port(options.host, options.port)) {
    impl->port = options.port;
  }
  if (impl->port <= 0)
    return Status::Unavailable("cannot listen for HTTP on " + options.host + ":" +
                               std::to_string(options.port));
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->server.listen_after_bind(); });
  // stop() before the loop runs would be lost and the destructor's join hang.
  while (!impl->server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return std::unique_ptr<HttpGateway>(new HttpGateway(std::move(impl)));
}

HttpGateway::~HttpGateway() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int HttpGateway::port() const { return impl_->port; }

}  // namespace muster::service
