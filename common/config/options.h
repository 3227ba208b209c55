// Command line + config file through Boost.Program_options: the command line
// overrides the file (docs/architecture.md "Processes").
#pragma once

#include <boost/program_options.hpp>
#include <string>

namespace muster::config {

enum class ParseOutcome { kRun, kExitOk, kUsageError };

// Parses argv, then the file named by --config (if the description has it).
// Prints --help (to stdout, exit OK) or a clear error (to stderr, usage error).
ParseOutcome ParseCommandLine(int argc, char** argv, const std::string& program, const std::string& synopsis,
                              const boost::program_options::options_description& desc,
                              boost::program_options::variables_map& vm);

}  // namespace muster::config
