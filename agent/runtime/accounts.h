// Who a rank runs as: the UNIX account of the job's user, looked up on this
// node (docs/security.md "Ranks run as their user"), and the environment a
// rank starts from, which is never the agent's own.
#pragma once

#include <string>
#include <vector>

#include "agent/runtime/launcher.h"
#include "muster/status.h"

namespace muster::agent {

struct Account {
  std::string name;
  RunAs ids;  // uid, primary gid, supplementary groups (as initgroups would set them)
  std::string home;
  std::string shell;
};

// getpwnam + getgrouplist; NotFound names the user and says where.
Result<Account> LookupAccount(const std::string& user);
// The account the agent itself runs as.
Result<Account> OwnAccount();

// A login's basics: HOME, USER, LOGNAME, SHELL and a default PATH, then the
// agent's own values of the variables named in `pass` (operator-chosen,
// e.g. site proxies: muster-agent --pass-env) that are set.
std::vector<std::string> BaseEnvironment(const Account& account, const std::vector<std::string>& pass);

}  // namespace muster::agent
