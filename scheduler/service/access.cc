#include "scheduler/service/access.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/base/job_spec.h"
#include "common/base/strings.h"

namespace muster::service {
namespace curve = transport::curve;
namespace {

constexpr const char* kUserPrefix = "user:";
constexpr const char* kNodePrefix = "node:";
constexpr const char* kRankPrefix = "rank:";
constexpr const char* kGatewayId = "gateway";

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

template <typename Teams>
Status ParseTeams(const std::string& list, const std::string& where, Teams* out) {
  for (const std::string& t : Split(list, ',')) {
    if (!IsValidName(t)) return Status::InvalidArgument(where + "bad team name '" + t + "'");
    if (std::find(out->begin(), out->end(), t) == out->end()) out->insert(out->end(), t);
  }
  return Status::Ok();
}

}  // namespace

curve::KeyPair RankKeyPair(const curve::Key& server_secret, JobId job, int32_t attempt) {
  return curve::DeriveKeyPair(server_secret, "muster rendezvous key of job " + std::to_string(job) +
                                                 " attempt " + std::to_string(attempt));
}

std::string Principal::Describe() const {
  switch (role) {
    case Role::kNone:
      return "an unauthenticated caller";
    case Role::kUser:
      return (is_operator ? "operator " : "user ") + name;
    case Role::kAgent:
      return "the agent of node " + name;
    case Role::kRank:
      return "a rank of job " + std::to_string(job) + " attempt " + std::to_string(attempt);
    case Role::kGateway:
      return "the HTTP gateway";
    case Role::kInsecure:
      return "an unauthenticated caller (musterd --insecure)";
  }
  return "?";
}

Result<std::vector<AccessEntry>> ParseAccessFile(const std::string& text, const std::string& source) {
  std::vector<AccessEntry> out;
  std::set<std::string> users, nodes;
  std::set<curve::Key> keys;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    // A comment starts with a '#' that begins a word: Z85 keys may hold '#'.
    for (size_t i = 0; i < line.size(); ++i)
      if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
        line.resize(i);
        break;
      }
    std::istringstream words(line);
    std::string kind, name, key;
    if (!(words >> kind)) continue;
    const std::string where = source + ":" + std::to_string(n) + ": ";
    if (kind != "user" && kind != "node")
      return Status::InvalidArgument(where + "a line starts with 'user' or 'node', not '" + kind + "'");
    if (!(words >> name >> key)) return Status::InvalidArgument(where + "give " + kind + " NAME PUBLIC-KEY");
    if (!IsValidName(name)) return Status::InvalidArgument(where + "bad " + kind + " name '" + name + "'");
    AccessEntry e;
    e.role = kind == "user" ? Role::kUser : Role::kAgent;
    e.name = name;
    auto parsed = curve::ParseZ85(key);
    if (!parsed.ok()) return Status::InvalidArgument(where + "bad key: " + parsed.status().message());
    e.key = *parsed;
    if (!keys.insert(e.key).second) return Status::InvalidArgument(where + "this key is on an earlier line");
    if (!(e.role == Role::kUser ? users : nodes).insert(name).second)
      return Status::InvalidArgument(where + kind + " '" + name + "' is on an earlier line");
    for (std::string opt; words >> opt;) {
      if (e.role != Role::kUser)
        return Status::InvalidArgument(where + "a node line has no options ('" + opt + "')");
      if (opt == "operator") {
        e.is_operator = true;
      } else if (StartsWith(opt, "teams=")) {
        MUSTER_RETURN_IF_ERROR(ParseTeams(opt.substr(6), where, &e.teams));
      } else if (StartsWith(opt, "admin=")) {
        MUSTER_RETURN_IF_ERROR(ParseTeams(opt.substr(6), where, &e.admin_of));
      } else {
        return Status::InvalidArgument(where + "unknown option '" + opt +
                                       "' (operator, teams=A,B or admin=A,B)");
      }
    }
    out.push_back(std::move(e));
  }
  // A user in no team submits into a team of their own name: no user may
  // be named like a team, or that user would join it.
  std::set<std::string> teams;
  for (const AccessEntry& e : out) {
    teams.insert(e.teams.begin(), e.teams.end());
    teams.insert(e.admin_of.begin(), e.admin_of.end());
  }
  for (const AccessEntry& u : out)
    if (u.role == Role::kUser && teams.count(u.name))
      return Status::InvalidArgument(source + ": user '" + u.name +
                                     "' has the name of a team; rename the user or the team");
  return out;
}

std::string AccessLine(const AccessEntry& e) {
  std::string line = (e.role == Role::kAgent ? "node " : "user ") + e.name + " " + curve::Z85(e.key);
  auto list = [](const auto& s) {
    std::string out;
    for (const auto& t : s) out += (out.empty() ? "" : ",") + t;
    return out;
  };
  if (!e.teams.empty()) line += " teams=" + list(e.teams);
  if (!e.admin_of.empty()) line += " admin=" + list(e.admin_of);
  if (e.is_operator) line += " operator";
  return line;
}

AccessTable::AccessTable(curve::KeyPair server, std::vector<AccessEntry> entries) : server_(server) {
  MutexLock lock(&mu_);
  Index(std::move(entries));
}

Result<std::unique_ptr<AccessTable>> AccessTable::Load(const curve::KeyPair& server,
                                                       const std::string& path) {
  auto table = std::make_unique<AccessTable>(server, std::vector<AccessEntry>{});
  MUSTER_RETURN_IF_ERROR(table->Reload(path));
  return table;
}

Status AccessTable::Reload(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("cannot read the access file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto entries = ParseAccessFile(ss.str(), path);
  if (!entries.ok()) return entries.status();
  MutexLock lock(&mu_);
  Index(std::move(*entries));
  return Status::Ok();
}

void AccessTable::Index(std::vector<AccessEntry> entries) {
  // File keys go; rank and gateway keys stay.
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    if (StartsWith(it->second, kUserPrefix) || StartsWith(it->second, kNodePrefix))
      it = by_key_.erase(it);
    else
      ++it;
  }
  users_.clear();
  nodes_.clear();
  for (AccessEntry& e : entries) PutLocked(std::move(e));
}

void AccessTable::Put(AccessEntry e) {
  MutexLock lock(&mu_);
  PutLocked(std::move(e));
}

void AccessTable::PutLocked(AccessEntry e) {
  const std::string id = (e.role == Role::kAgent ? kNodePrefix : kUserPrefix) + e.name;
  std::erase_if(by_key_, [&](const auto& kv) { return kv.second == id; });  // a replaced key goes
  by_key_[e.key] = id;
  if (e.role == Role::kAgent)
    nodes_.insert(e.name);
  else
    users_[e.name] = std::move(e);
}

std::optional<std::string> AccessTable::Authorize(const curve::Key& key) const {
  MutexLock lock(&mu_);
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return std::nullopt;
  // Users and nodes carry their key, so that a key replaced in the file
  // takes its open connections' rights with it.
  if (StartsWith(it->second, kUserPrefix) || StartsWith(it->second, kNodePrefix))
    return it->second + ":" + curve::Z85(key);
  return it->second;
}

Principal AccessTable::Resolve(const std::string& given) const {
  Principal p;
  std::string id = given;
  MutexLock lock(&mu_);
  if (StartsWith(id, kUserPrefix) || StartsWith(id, kNodePrefix)) {
    // "user:alice:<key>": the key must still be alice's.
    const size_t colon = id.find(':', 5);
    if (colon != std::string::npos) {
      auto key = curve::ParseZ85(id.substr(colon + 1));
      id.resize(colon);
      auto it = key.ok() ? by_key_.find(*key) : by_key_.end();
      if (it == by_key_.end() || it->second != id) return p;
    }
  }
  if (StartsWith(id, kUserPrefix)) {
    auto it = users_.find(id.substr(5));
    if (it == users_.end()) return p;
    p.role = Role::kUser;
    p.name = it->first;
    p.is_operator = it->second.is_operator;
    p.teams = it->second.teams;
    p.admin_of = it->second.admin_of;
  } else if (StartsWith(id, kNodePrefix)) {
    if (!nodes_.count(id.substr(5))) return p;
    p.role = Role::kAgent;
    p.name = id.substr(5);
  } else if (StartsWith(id, kRankPrefix)) {
    std::vector<std::string> parts = Split(id, ':');
    if (parts.size() != 3) return p;
    const auto job = static_cast<JobId>(std::strtoll(parts[1].c_str(), nullptr, 10));
    const auto attempt = static_cast<int32_t>(std::strtol(parts[2].c_str(), nullptr, 10));
    if (!ranks_.count({job, attempt})) return p;
    p.role = Role::kRank;
    p.job = job;
    p.attempt = attempt;
  } else if (id == kGatewayId) {
    p.role = Role::kGateway;
    p.name = "http";
  }
  return p;
}

curve::KeyPair AccessTable::RankKeys(JobId job, int32_t attempt) {
  curve::KeyPair kp = RankKeyPair(server_.secret_key, job, attempt);
  MutexLock lock(&mu_);
  ranks_[{job, attempt}] = kp.public_key;
  by_key_[kp.public_key] = kRankPrefix + std::to_string(job) + ":" + std::to_string(attempt);
  return kp;
}

void AccessTable::ForgetRank(JobId job, int32_t attempt) {
  MutexLock lock(&mu_);
  auto it = ranks_.find({job, attempt});
  if (it == ranks_.end()) return;
  by_key_.erase(it->second);
  ranks_.erase(it);
}

curve::KeyPair AccessTable::GatewayKeys() {
  curve::KeyPair kp = curve::GenerateKeyPair();
  MutexLock lock(&mu_);
  by_key_[kp.public_key] = kGatewayId;
  return kp;
}

size_t AccessTable::rank_keys() const {
  MutexLock lock(&mu_);
  return ranks_.size();
}

}  // namespace muster::service
