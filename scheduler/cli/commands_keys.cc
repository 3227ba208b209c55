// `muster keygen`: a CURVE key pair for a user, a node or musterd itself
// (docs/security.md "Keys"), and the access-file line an operator adds.
#include <sys/stat.h>

#include <filesystem>

#include "common/transport/curve.h"
#include "scheduler/cli/commands.h"

namespace muster::cli {
namespace curve = transport::curve;

int RunKeygen(Context& ctx, const std::vector<std::string>& args) {
  const CommandHelp help{
      "keygen", "[--out FILE] [--public FILE] [--node NAME] [--force]",
      "Makes a CURVE key pair. The secret file (mode 0600) stays with its owner; the public "
      "half goes into musterd's access file, one line an operator adds (printed here). "
      "Defaults to your user key, where muster looks for it."};
  po::options_description own("keygen flags");
  // clang-format off
  own.add_options()
      ("out", po::value<std::string>()->value_name("FILE"),
       "the key pair (default: --key, i.e. $MUSTER_KEY or ~/.config/muster/user.key)")
      ("public", po::value<std::string>()->value_name("FILE"),
       "also write the public half alone (default: FILE with .key replaced by .pub)")
      ("node", po::value<std::string>()->value_name("NAME"), "a node's key: print a node line")
      ("force", po::bool_switch(), "replace an existing key pair");
  // clang-format on
  auto parsed = ParseCommandArgs(help, own, {}, {}, args, &ctx.global);
  if (!IsValue(parsed)) return ReportParseStop(parsed, ctx, "keygen");
  const auto& vm = std::get<po::variables_map>(parsed);
  const std::string out = vm.count("out") ? vm["out"].as<std::string>() : ctx.global.key_file;
  if (out.empty()) return ReportParseStop(Parsed<int>{UsageError{"give --out FILE"}}, ctx, "keygen");
  std::string pub = vm.count("public") ? vm["public"].as<std::string>() : out;
  if (!vm.count("public")) {
    if (pub.size() > 4 && pub.compare(pub.size() - 4, 4, ".key") == 0) pub.resize(pub.size() - 4);
    pub += ".pub";
  }
  std::error_code ec;
  if (std::filesystem::exists(out, ec) && !vm["force"].as<bool>()) {
    ctx.err << "muster: " << out << " exists; keep it, or replace it with --force\n";
    return kExitRefused;
  }
  const auto dir = std::filesystem::path(out).parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (!ec) ::chmod(dir.c_str(), 0700);
  }
  const curve::KeyPair keys = curve::GenerateKeyPair();
  for (Status st : {curve::WriteSecretFile(out, keys), curve::WritePublicFile(pub, keys.public_key)}) {
    if (!st.ok()) {
      ctx.err << "muster: " << st.message() << "\n";
      return kExitRefused;
    }
  }
  const std::string z85 = curve::Z85(keys.public_key);
  ctx.out << "key pair in " << out << ", public key in " << pub << "\npublic key: " << z85
          << "\nthe line for musterd's access file (docs/security.md):\n  "
          << (vm.count("node") ? "node " + vm["node"].as<std::string>() : "user " + ctx.submit_defaults.user)
          << " " << z85 << "\n";
  return kExitOk;
}

}  // namespace muster::cli
