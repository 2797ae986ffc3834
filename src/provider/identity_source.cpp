// The one place that knows which key sources exist: files (or env:NAME and fd:N in their place),
// PKCS#11 tokens named by URIs, and TPM keys (a TSS2 key file, or handle:0x81...).
#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/pkcs11.hpp"
#include "rolesanywhere/provider.hpp"
#include "rolesanywhere/text.hpp"
#include "rolesanywhere/tpm.hpp"

#include <openssl/evp.h>

namespace rolesanywhere {

namespace {

bool uses_pkcs11(const IdentitySource& source) {
  return is_pkcs11_uri(source.certificate) || is_pkcs11_uri(source.private_key);
}

// A key file is looked into (a TSS2 PEM header or the TPMKey OID) only when it is a regular file:
// the TPM stack is loaded for TPM keys alone.
bool uses_tpm(const IdentitySource& source) {
  return !source.private_key.empty() && !is_pkcs11_uri(source.private_key) &&
         !is_inline_source(source.private_key) && is_tpm_key(source.private_key);
}

TpmKeyOptions tpm_key_options(const IdentitySource& source, const DebugSink& debug) {
  TpmKeyOptions options;
  options.key = source.private_key;
  options.password = source.tpm_key_password;
  options.no_password = source.no_tpm_key_password;
  options.ask_password = source.ask_password;
  options.debug = debug;
  options.labels = source.labels;
  return options;
}

Pkcs11Options pkcs11_options(const IdentitySource& source, const DebugSink& debug) {
  Pkcs11Options options;
  options.certificate = source.certificate;
  options.private_key = source.private_key;
  options.intermediates = source.intermediates;
  options.module = source.pkcs11_module;
  options.reuse_pin = source.reuse_pin;
  options.prompt = source.ask_pin;
  options.debug = debug;
  options.labels = source.labels;
  return options;
}

// sign-string with a TPM key: with a certificate too, the two must match.
EvpPkeyPtr load_tpm_signing_key(const IdentitySource& source, const DebugSink& debug) {
  const IdentityLabels& labels = source.labels;
  EvpPkeyPtr key = load_tpm_key(tpm_key_options(source, debug));
  check_key_supported(key.get());
  if (debug)
    debug("private key: " + describe_key(key.get()) + " in the TPM (" + source.private_key + ")");
  if (source.certificate.empty()) return key;
  CertificateBundle certificate = load_certificate_file(source.certificate, labels);
  debug_certificate(debug, "certificate", certificate.leaf.get());
  try {
    check_key_matches_certificate(key.get(), certificate.leaf.get());
  } catch (const Error&) {
    throw Error(Error::Kind::kCrypto,
                "the TPM key " + (labels.private_key.empty() ? "" : labels.private_key + " ") +
                    source.private_key + " does not match the certificate in " +
                    label_or(labels.certificate, "certificate file") + " " + source.certificate);
  }
  return key;
}

void debug_identity(const DebugSink& debug, const Identity& identity) {
  debug_certificate(debug, "certificate", identity.certificate());
  debug("private key: " + describe_key(identity.key()) + ", signing with " +
        std::string(sigv4x509::algorithm_name(identity.signing_algorithm())));
  debug("chain: " + std::to_string(identity.chain().size()) + " certificate(s)");
  for (const auto& certificate : identity.chain())
    debug("  intermediate: subject \"" + subject_name(certificate.get()) + "\", issuer \"" +
          issuer_name(certificate.get()) + "\"");
}

}  // namespace

std::string describe_key(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) return "RSA " + std::to_string(EVP_PKEY_get_bits(key)) + " bits";
  if (EVP_PKEY_is_a(key, "EC")) {
    char curve[64] = "";
    std::size_t length = 0;
    EVP_PKEY_get_utf8_string_param(key, "group", curve, sizeof curve, &length);
    return std::string("EC ") + curve;
  }
  return EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown";
}

void debug_certificate(const DebugSink& debug, const std::string& what, X509* certificate) {
  if (!debug) return;
  debug(what + ": subject \"" + subject_name(certificate) + "\", issuer \"" +
        issuer_name(certificate) + "\", serial " + serial_decimal(certificate) + " (hex " +
        serial_hex(certificate) + "), valid " + format_iso8601(not_before(certificate)) + " to " +
        format_iso8601(not_after(certificate)));
}

Identity load_identity(const IdentitySource& source, const Clock& clock, const DebugSink& debug) {
  const IdentityLabels& labels = source.labels;
  if (source.certificate.empty() && source.private_key.empty())
    throw Error(Error::Kind::kInvalidArgument,
                label_or(labels.certificate, "a certificate") +
                    " is required: a certificate file (with " +
                    label_or(labels.private_key, "a private key file") +
                    "), or a PKCS#12 file holding both");
  Identity identity = [&] {
    if (uses_pkcs11(source)) return load_pkcs11_identity(pkcs11_options(source, debug), clock);
    if (uses_tpm(source)) {
      TpmIdentityOptions options;
      options.certificate_path = source.certificate;
      options.intermediates_path = source.intermediates;
      options.key = tpm_key_options(source, debug);
      return load_tpm_identity(options, clock);
    }
    FileIdentityOptions options;
    options.certificate_path = source.certificate;
    options.private_key_path = source.private_key;
    options.intermediates_path = source.intermediates;
    options.password = source.key_password;
    options.ask_password = source.ask_password;
    options.labels = labels;
    return load_file_identity(options, clock);
  }();
  if (debug) debug_identity(debug, identity);
  return identity;
}

std::vector<std::string> identity_files(const IdentitySource& source) {
  if (uses_pkcs11(source)) return {};
  // An inline source cannot be read again, so the files beside it are no use either: a renewed
  // certificate file would need its key.
  for (const std::string* value : {&source.certificate, &source.private_key, &source.intermediates})
    if (is_inline_source(*value)) return {};
  std::vector<std::string> files;
  for (const std::string* path : {&source.certificate, &source.private_key, &source.intermediates})
    if (!path->empty() && !is_tpm_handle(*path)) files.push_back(*path);
  return files;
}

EvpPkeyPtr load_signing_key(const IdentitySource& source, const DebugSink& debug) {
  // The token key keeps its module and session alive for as long as the EVP_PKEY lives.
  if (uses_pkcs11(source)) {
    EvpPkeyPtr key = load_pkcs11_key(pkcs11_options(source, debug));
    if (debug) debug("private key: " + describe_key(key.get()) + " on a PKCS#11 token");
    return key;
  }
  const IdentityLabels& labels = source.labels;
  if (uses_tpm(source)) return load_tpm_signing_key(source, debug);
  const std::string& path = source.private_key.empty() ? source.certificate : source.private_key;
  if (path.empty())
    throw Error(Error::Kind::kInvalidArgument,
                label_or(labels.private_key, "a private key") +
                    " is required: the private key file to sign with");
  PrivateKeyFile key_file =
      load_private_key_file(path, source.key_password, source.ask_password, labels);
  check_key_supported(key_file.key.get());
  if (debug) {
    debug("private key: " + describe_key(key_file.key.get()) + " from " + path +
          (key_file.certificates ? " (PKCS#12)" : ""));
    if (key_file.certificates)
      debug_certificate(debug, "certificate in the PKCS#12 file",
                        key_file.certificates->leaf.get());
  }
  // With both given, a key that is not the certificate's would sign a test string that proves
  // nothing about the identity the user means to check.
  if (!source.certificate.empty() && !source.private_key.empty()) {
    CertificateBundle certificate = load_certificate_file(source.certificate, labels);
    debug_certificate(debug, "certificate", certificate.leaf.get());
    try {
      check_key_matches_certificate(key_file.key.get(), certificate.leaf.get());
    } catch (const Error&) {
      throw Error(Error::Kind::kCrypto,
                  "the private key in " + label_or(labels.private_key, "private key file") + " " +
                      source.private_key + " does not match the certificate in " +
                      label_or(labels.certificate, "certificate file") + " " + source.certificate);
    }
  }
  return std::move(key_file.key);
}

}  // namespace rolesanywhere
