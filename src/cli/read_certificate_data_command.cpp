// read-certificate-data: the certificate's key type, DER, serial and usable algorithms as JSON.
#include "command_line.hpp"
#include "commands.hpp"
#include "identity_source.hpp"
#include "output.hpp"

#include "rolesanywhere/diagnostics.hpp"
#include "rolesanywhere/error.hpp"

namespace rolesanywhere::cli {

int read_certificate_data_command(int argc, char** argv) {
  cxxopts::Options options("rolesanywhere-helper read-certificate-data",
                           "Diagnostic command to read certificate data");
  add_identity_flags(options, FlagSet::kReadCertificate);
  add_debug_flag(options);
  auto result = parse_or_help(options, argc, argv);
  if (!result) return 0;

  IdentityFlags flags = read_identity_flags(*result, FlagSet::kReadCertificate);
  reject_unsupported_sources(flags);
  if (flags.certificate.empty())
    throw Error(Error::Kind::kInvalidArgument,
                "--certificate is required: the certificate file to read");
  CertificateBundle bundle = load_certificate_file(flags.certificate);
  write_stdout(certificate_data_json(bundle.leaf.get()));
  return 0;
}

}  // namespace rolesanywhere::cli
