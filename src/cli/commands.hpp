// One function per subcommand. Each returns the process exit code; errors are thrown as
// rolesanywhere::Error and reported by main().
#pragma once

namespace rolesanywhere::cli {

int credential_process_command(int argc, char** argv);
int sign_string_command(int argc, char** argv);
int read_certificate_data_command(int argc, char** argv);
int version_command(int argc, char** argv);
int serve_command(int argc, char** argv);
int update_command(int argc, char** argv);
int doctor_command(int argc, char** argv);

}  // namespace rolesanywhere::cli
