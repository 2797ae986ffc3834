#include "command_line.hpp"
#include "commands.hpp"
#include "output.hpp"

#include "rolesanywhere/version.hpp"

#include <string>

namespace rolesanywhere::cli {

int version_command(int argc, char** argv) {
  // Through cxxopts like every command: --help describes it, and a stray argument is refused.
  cxxopts::Options options("rolesanywhere-helper version", "Print the version");
  options.add_options()("h,help", "Show this help");
  if (!parse_or_help(options, argc, argv)) return 0;
  write_stdout(std::string(kVersion) + "\n");
  return 0;
}

}  // namespace rolesanywhere::cli
