// Who may call musterd, and as whom (docs/security.md). Every connection
// authenticates with a CURVE key; the access table maps the key to a
// principal before libzmq delivers a single message of it (the ZAP
// handler, common/transport/zap.h, calls Authorize on its own thread), and
// musterd's loop turns the principal's name back into a Principal with its
// rights (Resolve). Nothing here trusts a field of a request.
//
// Keys come from the operator's access file: one line per user or node,
//
//   user  alice   <public key, 40 Z85 chars>  teams=vision,nlp admin=vision
//   user  ops     <public key>                operator
//   node  node-1  <public key>
//
// plus keys musterd makes itself: one per job attempt for its ranks'
// rendezvous (derived from musterd's own secret, so a restart needs none
// stored) and one for its HTTP gateway.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/base/mutex.h"
#include "common/transport/curve.h"
#include "muster/status.h"
#include "muster/types.h"

namespace muster::service {

enum class Role : uint8_t {
  kNone,      // unauthenticated (a secure musterd refuses it everything)
  kUser,      // a person (or a team's automation) with a user key
  kAgent,     // muster-agent of one node
  kRank,      // a rank of one job attempt (the rendezvous only)
  kGateway,   // musterd's own HTTP gateway, which checked a team token
  kInsecure,  // musterd --insecure: nobody authenticated, every field trusted
};

struct Principal {
  Role role = Role::kNone;
  std::string name;  // user or node name
  bool is_operator = false;
  std::vector<std::string> teams;  // a user's teams, in the access file's order
  std::set<std::string> admin_of;  // teams a user administers
  JobId job = kNoJob;              // a rank's job attempt
  int32_t attempt = 0;

  bool operator_rights() const { return role == Role::kInsecure || (role == Role::kUser && is_operator); }
  bool InTeam(const std::string& team) const {
    return std::find(teams.begin(), teams.end(), team) != teams.end() || admin_of.count(team) > 0;
  }
  bool AdminOf(const std::string& team) const { return admin_of.count(team) > 0; }
  // The team a submit without --team goes to: the first team, or the user's name.
  std::string DefaultTeam() const { return teams.empty() ? name : *teams.begin(); }
  // "user alice", "node node-1", "the ranks of job 4 attempt 2", ...
  std::string Describe() const;
};

// One line of the access file.
struct AccessEntry {
  Role role = Role::kUser;  // kUser or kAgent
  std::string name;
  transport::curve::Key key{};
  bool is_operator = false;
  std::vector<std::string> teams;  // in the file's order: the first is the default
  std::set<std::string> admin_of;
};

// Parses the text of an access file; `source` names it in errors.
Result<std::vector<AccessEntry>> ParseAccessFile(const std::string& text, const std::string& source);
// The file's line for an entry (muster keygen --access-line, the tests).
std::string AccessLine(const AccessEntry& e);

// The key pair of the ranks of one job attempt: derived from musterd's
// secret key, so only musterd (and whoever it gives it to) can make it.
transport::curve::KeyPair RankKeyPair(const transport::curve::Key& server_secret, JobId job, int32_t attempt);

class AccessTable {
 public:
  // `server`: musterd's own key pair (the seed of the rank keys).
  AccessTable(transport::curve::KeyPair server, std::vector<AccessEntry> entries);
  static Result<std::unique_ptr<AccessTable>> Load(const transport::curve::KeyPair& server,
                                                   const std::string& path);
  // Replaces the file's entries (SIGHUP); rank and gateway keys stay.
  Status Reload(const std::string& path);
  // Adds or replaces one user or node (the in-process harness's enrollment).
  void Put(AccessEntry entry);

  // The ZAP handler's question: the principal id a key may act as
  // ("user:alice:<key>", "node:node-1:<key>", "rank:4:2", "gateway"), or
  // nullopt. Thread-safe.
  std::optional<std::string> Authorize(const transport::curve::Key& key) const;
  // The loop's: the rights of a principal id, as of now (a user removed
  // from the file, or given another key, since the connection was made has
  // none left). An id without its key (in-process tests) is taken by name.
  Principal Resolve(const std::string& id) const;

  // The key pair the ranks of one job attempt use for the rendezvous; from
  // now on it is accepted, until ForgetRank.
  transport::curve::KeyPair RankKeys(JobId job, int32_t attempt);
  void ForgetRank(JobId job, int32_t attempt);
  // A fresh key pair for musterd's HTTP gateway, accepted as "gateway".
  transport::curve::KeyPair GatewayKeys();

  const transport::curve::Key& server_public() const { return server_.public_key; }
  size_t rank_keys() const;

 private:
  void Index(std::vector<AccessEntry> entries) REQUIRES(mu_);
  void PutLocked(AccessEntry entry) REQUIRES(mu_);

  const transport::curve::KeyPair server_;
  mutable Mutex mu_;
  std::map<transport::curve::Key, std::string> by_key_ GUARDED_BY(mu_);  // -> principal id
  std::map<std::string, AccessEntry> users_ GUARDED_BY(mu_);
  std::set<std::string> nodes_ GUARDED_BY(mu_);
  std::map<std::pair<JobId, int32_t>, transport::curve::Key> ranks_ GUARDED_BY(mu_);
};

}  // namespace muster::service
