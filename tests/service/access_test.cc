// musterd's access table (scheduler/service/access.h): the access file's
// grammar and errors, key -> principal -> rights, revocation by reload, and
// the ranks' derived keys.
#include "scheduler/service/access.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace muster::service {
namespace {

namespace curve = transport::curve;

std::string Key(const curve::KeyPair& k) { return curve::Z85(k.public_key); }

TEST(AccessFile, ParsesUsersNodesTeamsAndOperators) {
  const auto a = curve::GenerateKeyPair(), o = curve::GenerateKeyPair(), n = curve::GenerateKeyPair();
  auto entries = ParseAccessFile("# comment\n\nuser alice " + Key(a) +
                                     " teams=vision,nlp admin=vision  # trailing\nuser ops " + Key(o) +
                                     " operator\nnode node-1 " + Key(n) + "\n",
                                 "access");
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 3u);
  const AccessEntry& alice = (*entries)[0];
  EXPECT_EQ(alice.name, "alice");
  EXPECT_EQ(alice.teams, (std::vector<std::string>{"vision", "nlp"})) << "in the file's order";
  EXPECT_EQ(alice.admin_of, (std::set<std::string>{"vision"}));
  EXPECT_FALSE(alice.is_operator);
  EXPECT_TRUE((*entries)[1].is_operator);
  EXPECT_EQ((*entries)[2].role, Role::kAgent);
  // AccessLine writes what ParseAccessFile reads.
  auto again = ParseAccessFile(AccessLine(alice) + "\n", "line");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)[0].teams, alice.teams);
  EXPECT_EQ((*again)[0].key, alice.key);
}

TEST(AccessFile, AHashInsideAKeyIsNoComment) {
  curve::KeyPair k;
  std::string z;
  do {  // a key whose text holds a '#', as about 1 in 3 do
    k = curve::GenerateKeyPair();
    z = Key(k);
  } while (z.find('#') == std::string::npos);
  auto entries = ParseAccessFile("user alice " + z + " # a comment", "access");
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  EXPECT_EQ((*entries)[0].key, k.public_key);
}

TEST(AccessFile, MistakesAreRefusedWithTheLineAndWhy) {
  const std::string k1 = Key(curve::GenerateKeyPair()), k2 = Key(curve::GenerateKeyPair());
  const std::pair<std::string, std::string> cases[] = {
      {"group g " + k1, "access:1: a line starts with 'user' or 'node', not 'group'"},
      {"user alice", "access:1: give user NAME PUBLIC-KEY"},
      {"user al/ice " + k1, "access:1: bad user name 'al/ice'"},
      {"user alice notakey", "access:1: bad key: "},
      {"user alice " + k1 + "\nuser bob " + k1, "access:2: this key is on an earlier line"},
      {"user alice " + k1 + "\nuser alice " + k2, "access:2: user 'alice' is on an earlier line"},
      {"node n1 " + k1 + " operator", "access:1: a node line has no options ('operator')"},
      {"user alice " + k1 + " root", "access:1: unknown option 'root' (operator, teams=A,B or admin=A,B)"},
      {"user alice " + k1 + " teams=a,b/c", "access:1: bad team name 'b/c'"},
      {"user alice " + k1 + " teams=vision\nuser vision " + k2,
       "access: user 'vision' has the name of a team; rename the user or the team"},
  };
  for (const auto& [text, error] : cases) {
    SCOPED_TRACE(text);
    auto parsed = ParseAccessFile(text, "access");
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().message().substr(0, error.size()), error);
  }
}

TEST(AccessTable, AKeyIsItsPrincipalAndNothingElse) {
  const auto server = curve::GenerateKeyPair();
  const auto a = curve::GenerateKeyPair(), n = curve::GenerateKeyPair();
  auto entries = ParseAccessFile("user alice " + Key(a) + " teams=vision\nnode node-1 " + Key(n), "f");
  ASSERT_TRUE(entries.ok());
  AccessTable t(server, *entries);
  auto id = t.Authorize(a.public_key);
  ASSERT_TRUE(id);
  Principal p = t.Resolve(*id);
  EXPECT_EQ(p.role, Role::kUser);
  EXPECT_EQ(p.name, "alice");
  EXPECT_EQ(p.DefaultTeam(), "vision");
  EXPECT_EQ(t.Resolve(*t.Authorize(n.public_key)).role, Role::kAgent);
  EXPECT_EQ(t.Authorize(curve::GenerateKeyPair().public_key), std::nullopt) << "an unknown key";
  EXPECT_EQ(t.Resolve("user:mallory").role, Role::kNone);
  EXPECT_EQ(t.Resolve("rank:1:1").role, Role::kNone) << "no such attempt";
  EXPECT_EQ(t.Resolve("user:alice:" + Key(n)).role, Role::kNone) << "node-1's key is not alice's";
}

TEST(AccessTable, AReloadRevokesRemovedAndReplacedKeysEvenOnOpenConnections) {
  testing::TempDir dir;
  const auto server = curve::GenerateKeyPair();
  const auto old_key = curve::GenerateKeyPair(), new_key = curve::GenerateKeyPair();
  const auto bob = curve::GenerateKeyPair();
  std::ofstream(dir.Sub("access")) << "user alice " << Key(old_key) << "\nuser bob " << Key(bob) << "\n";
  auto t = AccessTable::Load(server, dir.Sub("access"));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const std::string alice_then = *(*t)->Authorize(old_key.public_key);
  const std::string bob_then = *(*t)->Authorize(bob.public_key);
  const auto rank = (*t)->RankKeys(4, 2);

  std::ofstream(dir.Sub("access"), std::ios::trunc) << "user alice " << Key(new_key) << "\n";
  ASSERT_TRUE((*t)->Reload(dir.Sub("access")).ok());
  EXPECT_EQ((*t)->Resolve(alice_then).role, Role::kNone) << "a connection made with alice's old key";
  EXPECT_EQ((*t)->Resolve(bob_then).role, Role::kNone) << "bob is gone";
  EXPECT_EQ((*t)->Authorize(old_key.public_key), std::nullopt);
  EXPECT_EQ((*t)->Resolve(*(*t)->Authorize(new_key.public_key)).name, "alice");
  EXPECT_EQ((*t)->Authorize(rank.public_key), "rank:4:2") << "musterd's own keys stay";

  std::ofstream(dir.Sub("access"), std::ios::trunc) << "user alice broken\n";
  EXPECT_FALSE((*t)->Reload(dir.Sub("access")).ok());
  EXPECT_EQ((*t)->Resolve(*(*t)->Authorize(new_key.public_key)).name, "alice")
      << "a bad file changes nothing";
}

TEST(AccessTable, RankKeysAreDerivedFromMusterdsSecretAndForgotten) {
  const auto server = curve::GenerateKeyPair();
  AccessTable t(server, {});
  const auto k = t.RankKeys(7, 1);
  EXPECT_EQ(k.public_key, RankKeyPair(server.secret_key, 7, 1).public_key)
      << "a restarted musterd makes the same";
  EXPECT_NE(k.public_key, RankKeyPair(server.secret_key, 7, 2).public_key);
  EXPECT_NE(k.public_key, RankKeyPair(curve::GenerateKeyPair().secret_key, 7, 1).public_key);
  Principal p = t.Resolve(*t.Authorize(k.public_key));
  EXPECT_EQ(p.role, Role::kRank);
  EXPECT_EQ(p.job, 7u);
  EXPECT_EQ(p.attempt, 1);
  t.ForgetRank(7, 1);
  EXPECT_EQ(t.Authorize(k.public_key), std::nullopt);
  EXPECT_EQ(t.rank_keys(), 0u);
}

}  // namespace
}  // namespace muster::service
