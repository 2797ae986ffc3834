// credential-process: one CreateSession, the credentials as JSON on stdout, nothing on stderr.
#include "command_line.hpp"
#include "commands.hpp"
#include "identity_source.hpp"
#include "output.hpp"

#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/session.hpp"

namespace rolesanywhere::cli {

int credential_process_command(int argc, char** argv) {
  cxxopts::Options options("rolesanywhere-helper credential-process",
                           "Retrieve AWS credentials in the format of an external credential "
                           "process (credential_process in ~/.aws/config)");
  add_identity_flags(options, FlagSet::kCredentials);
  add_session_flags(options);
  add_debug_flag(options);
  auto result = parse_or_help(options, argc, argv);
  if (!result) return 0;

  DebugSink debug = stderr_debug_sink(result->count("debug") > 0);
  IdentityFlags identity_flags = read_identity_flags(*result, FlagSet::kCredentials);
  CreateSessionParams params = read_session_flags(*result);
  TransportOptions transport_options = read_transport_flags(*result);

  // Cheap checks of the flags first, so a typo in an ARN is reported before any file is read.
  reject_unsupported_sources(identity_flags);
  validate(params);

  SystemClock clock;
  Identity identity = load_identity(identity_flags, clock, debug);
  auto transport = make_curl_transport(transport_options);
  Credentials credentials = create_session(identity, params, *transport, clock, {}, debug);
  write_stdout(to_credential_process_json(credentials));
  return 0;
}

}  // namespace rolesanywhere::cli
