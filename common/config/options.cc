#include "common/config/options.h"

#include <fstream>
#include <iostream>

namespace muster::config {
namespace po = boost::program_options;

ParseOutcome ParseCommandLine(int argc, char** argv, const std::string& program, const std::string& synopsis,
                              const po::options_description& desc, po::variables_map& vm) {
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: " << program << " " << synopsis << "\n\n" << desc << "\n";
      return ParseOutcome::kExitOk;
    }
    if (desc.find_nothrow("config", false) && vm.count("config")) {
      const auto& path = vm["config"].as<std::string>();
      std::ifstream in(path);
      if (!in) {
        std::cerr << program << ": cannot read config file '" << path << "'\n";
        return ParseOutcome::kUsageError;
      }
      // Values already set on the command line win: store() keeps the first.
      po::store(po::parse_config_file(in, desc), vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << program << ": " << e.what() << "\n(try " << program << " --help)\n";
    return ParseOutcome::kUsageError;
  }
  return ParseOutcome::kRun;
}

}  // namespace muster::config
