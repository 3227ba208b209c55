#include "agent/runtime/accounts.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace muster::agent {
namespace {

constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

Account FromPasswd(const passwd& pw) {
  Account a;
  a.name = pw.pw_name;
  a.ids.uid = pw.pw_uid;
  a.ids.gid = pw.pw_gid;
  a.home = pw.pw_dir ? pw.pw_dir : "/";
  a.shell = pw.pw_shell && *pw.pw_shell ? pw.pw_shell : "/bin/sh";
  int n = 64;
  std::vector<gid_t> groups(n);
  while (getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &n) < 0) groups.resize(n);
  groups.resize(n);
  a.ids.groups.assign(groups.begin(), groups.end());
  return a;
}

}  // namespace

Result<Account> LookupAccount(const std::string& user) {
  if (user.empty()) return Status::InvalidArgument("the job names no user");
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  int rc;
  while ((rc = getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found)) == ERANGE)
    buf.resize(buf.size() * 2);
  if (rc != 0) return Status::Unavailable("looking up user '" + user + "': " + std::strerror(rc));
  if (!found) return Status::NotFound("no user '" + user + "' on this node");
  return FromPasswd(pw);
}

Result<Account> OwnAccount() {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  int rc;
  while ((rc = getpwuid_r(geteuid(), &pw, buf.data(), buf.size(), &found)) == ERANGE)
    buf.resize(buf.size() * 2);
  if (rc != 0 || !found)
    return Status::NotFound("the agent's uid " + std::to_string(geteuid()) + " has no account");
  return FromPasswd(pw);
}

std::vector<std::string> BaseEnvironment(const Account& account, const std::vector<std::string>& pass) {
  std::vector<std::string> env = {"HOME=" + account.home, "USER=" + account.name, "LOGNAME=" + account.name,
                                  "SHELL=" + account.shell, std::string("PATH=") + kDefaultPath};
  for (const std::string& name : pass)
    if (const char* v = std::getenv(name.c_str())) env.push_back(name + "=" + v);
  return env;
}

}  // namespace muster::agent
