#include "common/transport/zap.h"

#include <vector>

#include "common/base/log.h"

namespace muster::transport {
namespace {

constexpr int kPollMs = 100;  // how soon the handler sees it should stop

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& ctx, Authorizer authorize)
    : sock_(ctx, zmq::socket_type::rep), authorize_(std::move(authorize)) {
  sock_.set(zmq::sockopt::linger, 0);
  sock_.bind("inproc://zeromq.zap.01");
  thread_ = std::thread([this] { Run(); });
}

ZapHandler::~ZapHandler() {
  stop_ = true;
  thread_.join();
}

void ZapHandler::Run() {
  while (!stop_) {
    zmq::pollitem_t items[] = {{sock_.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 1, std::chrono::milliseconds(kPollMs));
      if (items[0].revents & ZMQ_POLLIN) Answer();
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return;
      if (e.num() != EINTR) MLOG(Error) << "ZAP handler: " << e.what();
    }
  }
}

// Request: version, request id, domain, address, routing id, mechanism,
// credentials... Reply: version, request id, status code, status text,
// user id, metadata.
void ZapHandler::Answer() {
  std::vector<std::string> frames;
  zmq::message_t part;
  do {
    if (!sock_.recv(part, zmq::recv_flags::none)) return;
    frames.push_back(part.to_string());
  } while (part.more());
  std::string request_id = frames.size() > 1 ? frames[1] : "";
  std::string code = "400", text = "refused", user;
  if (frames.size() < 7 || frames[0] != "1.0") {
    code = "500";
    text = "malformed ZAP request";
  } else if (frames[5] != "CURVE" || frames[6].size() != curve::kKeyBytes) {
    text = "only CURVE clients are accepted";
  } else {
    curve::Key key{};
    std::copy(frames[6].begin(), frames[6].end(), key.begin());
    if (auto who = authorize_(key)) {
      code = "200";
      text = "OK";
      user = *who;
    } else {
      text = "unknown key " + curve::Z85(key);
      MLOG(Warning) << "refused a connection from " << frames[3] << ": " << text;
    }
  }
  (code == "200" ? accepted_ : refused_)++;
  const std::string reply[] = {"1.0", request_id, code, text, user, ""};
  for (size_t i = 0; i < 6; ++i)
    sock_.send(zmq::buffer(reply[i]), i + 1 < 6 ? zmq::send_flags::sndmore : zmq::send_flags::none);
}

void SetCurveClient(zmq::socket_t& sock, const curve::ClientKeys& keys) {
  sock.set(zmq::sockopt::curve_serverkey, zmq::buffer(keys.server));
  sock.set(zmq::sockopt::curve_publickey, zmq::buffer(keys.client.public_key));
  sock.set(zmq::sockopt::curve_secretkey, zmq::buffer(keys.client.secret_key));
}

void SetCurveServer(zmq::socket_t& sock, const curve::KeyPair& server) {
  sock.set(zmq::sockopt::curve_server, 1);
  sock.set(zmq::sockopt::curve_secretkey, zmq::buffer(server.secret_key));
  // libzmq lets every key in when no ZAP handler is bound in the context
  // (its "enforce domain" switch is a draft API): whoever binds a CURVE
  // server makes its ZapHandler first.
  sock.set(zmq::sockopt::zap_domain, "muster");
}

}  // namespace muster::transport
