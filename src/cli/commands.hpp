// One function per subcommand. Each returns the process exit code; errors are thrown as
// rolesanywhere::Error and reported by main().
#pragma once

namespace rolesanywhere::cli {

// main's dispatch: `completion` runs every command of `usage` through it, as if with --help, to
// read the flags it defines (command_flags.hpp).
using CommandDispatch = int (*)(int argc, char** argv);
int completion_command(int argc, char** argv, const char* usage, CommandDispatch dispatch);
int credential_process_command(int argc, char** argv);
int sign_string_command(int argc, char** argv);
int read_certificate_data_command(int argc, char** argv);
int version_command(int argc, char** argv);
int serve_command(int argc, char** argv);
int update_command(int argc, char** argv);
int doctor_command(int argc, char** argv);

}  // namespace rolesanywhere::cli
