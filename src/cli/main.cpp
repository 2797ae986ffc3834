// rolesanywhere-helper: the front end. The only place that prints or chooses an exit code.
#include "argv_secrets.hpp"
#include "commands.hpp"
#include "identity_source.hpp"
#include "output.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/tpm.hpp"
#include "rolesanywhere/version.hpp"

#include <cstring>
#include <exception>
#include <string>

namespace {

constexpr const char* kUsage =
    "rolesanywhere-helper: temporary AWS credentials from an X.509 certificate through IAM "
    "Roles Anywhere\n"
    "\n"
    "Usage:\n"
    "  rolesanywhere-helper <command> [flags]\n"
    "\n"
    "Commands:\n"
    "  credential-process     Print credentials as JSON for credential_process in ~/.aws/config\n"
    "  sign-string            Sign a fixed test string to check a key and digest\n"
    "  read-certificate-data  Print a certificate's key type, serial and algorithms\n"
    "  version                Print the version\n"
    "  completion             Print a shell completion script: bash, zsh or fish\n"
    "  update                 Write credentials into a profile of ~/.aws/credentials and keep\n"
    "                         them fresh\n"
    "  serve                  Serve credentials on a local IMDSv2 endpoint\n"
    "  doctor                 Explain why Roles Anywhere would refuse a certificate, chain,\n"
    "                         trust anchor, ARNs or clock (exit 1 when something is a problem)\n"
    "\n"
    "Run 'rolesanywhere-helper <command> --help' for the flags of a command.\n";

int dispatch(int argc, char** argv) {
  using namespace rolesanywhere::cli;
  if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help") ||
      !std::strcmp(argv[1], "help")) {
    hide_secret_arguments(argc, argv);  // before writing, which may wait on a full pipe
    write_stdout(kUsage);
    return 0;
  }
  const std::string command = argv[1];
  // Each subcommand parses its own flags, as if it were argv[0].
  int sub_argc = argc - 1;
  char** sub_argv = argv + 1;
  if (command == "completion") return completion_command(sub_argc, sub_argv, kUsage, dispatch);
  if (command == "credential-process") return credential_process_command(sub_argc, sub_argv);
  if (command == "sign-string") return sign_string_command(sub_argc, sub_argv);
  if (command == "read-certificate-data") return read_certificate_data_command(sub_argc, sub_argv);
  if (command == "version" || command == "--version") return version_command(sub_argc, sub_argv);
  if (command == "serve") return serve_command(sub_argc, sub_argv);
  if (command == "update") return update_command(sub_argc, sub_argv);
  if (command == "doctor") return doctor_command(sub_argc, sub_argv);
  // A flag given before the command ("--pkcs8-password=x") lands here: shown without its secret.
  throw rolesanywhere::Error(rolesanywhere::Error::Kind::kInvalidArgument,
                             "unknown command '" + shown_argument(command) +
                                 "'; run 'rolesanywhere-helper --help' for the list");
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread: the TSS libraries behind a TPM key read their settings (TCTI, logging)
  // from the environment, and setenv must not race getenv on another thread.
  rolesanywhere::prepare_tss_environment();
  try {
    // A command line refused before its flags were parsed (an unknown command, a bad test hook)
    // is blanked as the stack unwinds, before the handler below writes the error, so no password
    // or PIN of it stays in /proc/PID/cmdline meanwhile.
    const rolesanywhere::cli::HideSecretArgumentsOnExit hide_on_exit(argc, argv);
    // Also before any thread (unsetenv): env:NAME identity inputs leave the environment here, so
    // nothing the helper starts inherits a key.
    if (argc > 1) rolesanywhere::cli::preload_inline_identity_flags(argc - 1, argv + 1);
    return dispatch(argc, argv);
  } catch (const rolesanywhere::Error& e) {
    rolesanywhere::cli::report_error(e.what());
  } catch (const std::exception& e) {
    rolesanywhere::cli::report_error(std::string("internal error: ") + e.what());
  }
  return 1;
}
