#include "commands.hpp"
#include "output.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/version.hpp"

#include <string>

namespace rolesanywhere::cli {

int version_command(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) != "-h" && std::string(argv[1]) != "--help")
    throw Error(Error::Kind::kInvalidArgument,
                std::string("version takes no arguments, got '") + argv[1] + "'");
  write_stdout(std::string(kVersion) + "\n");
  return 0;
}

}  // namespace rolesanywhere::cli
