// update: keeps a profile in the shared credentials file fresh. (Built by the update issue.)
#include "commands.hpp"

namespace rolesanywhere::cli {

int update_command(int /*argc*/, char** /*argv*/) { return not_built_yet_command("update"); }

}  // namespace rolesanywhere::cli
