// credential-process: one CreateSession, the credentials as JSON on stdout, nothing on stderr.
#include "commands.hpp"
#include "output.hpp"
#include "provider_flags.hpp"

#include "rolesanywhere/credentials.hpp"

namespace rolesanywhere::cli {

int credential_process_command(int argc, char** argv) {
  cxxopts::Options options("rolesanywhere-helper credential-process",
                           "Retrieve AWS credentials in the format of an external credential "
                           "process (credential_process in ~/.aws/config)");
  add_provider_flags(options);
  auto result = parse_or_help(options, argc, argv);
  if (!result) return 0;

  SystemClock clock;
  RolesAnywhereProvider provider(read_provider_flags(*result), clock);
  write_stdout(to_credential_process_json(provider.fetch(clock)));
  return 0;
}

}  // namespace rolesanywhere::cli
