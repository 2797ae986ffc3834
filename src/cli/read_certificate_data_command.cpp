// read-certificate-data: for a certificate file, its key type, DER, serial and usable algorithms
// as JSON; for a pkcs11: URI, every matching certificate on the tokens with the URI to use.
#include "command_line.hpp"
#include "commands.hpp"
#include "identity_source.hpp"
#include "output.hpp"

#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/diagnostics.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/pkcs11.hpp"
#include "rolesanywhere/sigv4x509.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace rolesanywhere::cli {
namespace {

// aws_signing_helper's listing ("N) <sha1 fingerprint> "<subject>"", then "\tURI: ..."), with
// the issuer, serial and validity a person needs to tell similar certificates apart.
std::string describe_listing(const std::vector<Pkcs11Certificate>& certificates) {
  if (certificates.empty()) return "No matching identities\n";
  std::string text = "Matching identities\n";
  int index = 0;
  for (const Pkcs11Certificate& entry : certificates) {
    X509* certificate = entry.certificate.get();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    X509_digest(certificate, EVP_sha1(), digest, &length);
    text += std::to_string(++index) + ") " +
            sigv4x509::hex_encode(std::vector<std::uint8_t>(digest, digest + length)) + " \"" +
            subject_name(certificate) + "\"\n";
    text += "\tIssuer: " + issuer_name(certificate) + "\n";
    text += "\tSerial: " + serial_decimal(certificate) + " (hex " + serial_hex(certificate) + ")\n";
    text += "\tValid: " + format_iso8601(not_before(certificate)) + " to " +
            format_iso8601(not_after(certificate)) + "\n";
    text += "\tURI: " + entry.uri + "\n";
  }
  return text;
}

}  // namespace

int read_certificate_data_command(int argc, char** argv) {
  cxxopts::Options options("rolesanywhere-helper read-certificate-data",
                           "Diagnostic command to read certificate data");
  add_identity_flags(options, FlagSet::kReadCertificate);
  add_debug_flag(options);
  auto result = parse_or_help(options, argc, argv);
  if (!result) return 0;

  const IdentitySource flags =
      identity_source(read_identity_flags(*result, FlagSet::kReadCertificate));
  if (flags.certificate.empty())
    throw Error(Error::Kind::kInvalidArgument,
                "--certificate is required: the certificate file to read, or a pkcs11: URI");
  if (is_pkcs11_uri(flags.certificate)) {
    write_stdout(describe_listing(
        list_pkcs11_certificates(flags.certificate, flags.pkcs11_module,
                                 stderr_debug_sink(result->count("debug") > 0), flags.labels)));
    return 0;
  }
  CertificateBundle bundle = load_certificate_file(flags.certificate, flags.labels);
  if (const DebugSink debug = stderr_debug_sink(result->count("debug") > 0)) {
    debug_certificate(debug, "certificate from " + flags.certificate, bundle.leaf.get());
    debug("public key: " + describe_key(X509_get0_pubkey(bundle.leaf.get())));
    debug("the file holds " + std::to_string(bundle.chain.size()) +
          " more certificate(s) after it (not part of this output)");
  }
  write_stdout(certificate_data_json(bundle.leaf.get()));
  return 0;
}

}  // namespace rolesanywhere::cli
