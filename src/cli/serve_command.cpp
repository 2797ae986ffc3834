// serve: a local IMDSv2 / container credentials endpoint. (Built by the serve issue.)
#include "commands.hpp"

namespace rolesanywhere::cli {

int serve_command(int /*argc*/, char** /*argv*/) { return not_built_yet_command("serve"); }

}  // namespace rolesanywhere::cli
