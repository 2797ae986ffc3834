#include "identity_source.hpp"

#include "pin_prompt.hpp"

#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/pkcs11.hpp"

#include <string_view>

namespace rolesanywhere::cli {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

void reject_uri(const std::string& flag, const std::string& value) {
  if (starts_with(value, "handle:"))
    throw Error(
        Error::Kind::kNotSupported,
        flag + " " + value + ": TPM keys are not supported yet in this version; use a key file");
}

bool uses_pkcs11(const IdentityFlags& flags) {
  return is_pkcs11_uri(flags.certificate) || is_pkcs11_uri(flags.private_key);
}

Pkcs11Options pkcs11_options(const IdentityFlags& flags, const DebugSink& debug) {
  Pkcs11Options options;
  options.certificate = flags.certificate;
  options.private_key = flags.private_key;
  options.intermediates = flags.intermediates;
  options.module = flags.pkcs11_lib;
  options.reuse_pin = flags.reuse_pin;
  options.prompt = prompt_pin_on_terminal;
  options.debug = debug;
  return options;
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

void reject_unsupported_sources(const IdentityFlags& flags) {
  if (!flags.unsupported_flags_given.empty())
    throw Error(Error::Kind::kNotSupported,
                flags.unsupported_flags_given.front() +
                    " is not supported yet in this version; use --certificate and "
                    "--private-key with files");
  reject_uri("--certificate", flags.certificate);
  reject_uri("--private-key", flags.private_key);
}

Identity load_identity(const IdentityFlags& flags, const Clock& clock, const DebugSink& debug,
                       const PasswordProvider& ask_password) {
  reject_unsupported_sources(flags);
  if (flags.certificate.empty() && flags.private_key.empty())
    throw Error(Error::Kind::kInvalidArgument,
                "--certificate is required: a certificate file (with --private-key), or a "
                "PKCS#12 file holding both");
  Identity identity = [&] {
    if (uses_pkcs11(flags)) return load_pkcs11_identity(pkcs11_options(flags, debug), clock);
    FileIdentityOptions options;
    options.certificate_path = flags.certificate;
    options.private_key_path = flags.private_key;
    options.intermediates_path = flags.intermediates;
    options.password = flags.pkcs8_password;
    options.ask_password = ask_password;
    return load_file_identity(options, clock);
  }();

  if (debug) {
    debug_certificate(debug, "certificate", identity.certificate());
    debug("private key: " + describe_key(identity.key()) + ", signing with " +
          std::string(sigv4x509::algorithm_name(identity.signing_algorithm())));
    debug("chain: " + std::to_string(identity.chain().size()) + " certificate(s)");
    for (const auto& certificate : identity.chain())
      debug("  intermediate: subject \"" + subject_name(certificate.get()) + "\", issuer \"" +
            issuer_name(certificate.get()) + "\"");
  }
  return identity;
}

std::vector<std::string> identity_files(const IdentityFlags& flags) {
  if (uses_pkcs11(flags)) return {};
  std::vector<std::string> files;
  for (const std::string* path : {&flags.certificate, &flags.private_key, &flags.intermediates})
    if (!path->empty()) files.push_back(*path);
  return files;
}

EvpPkeyPtr load_signing_key(const IdentityFlags& flags, const DebugSink& debug) {
  reject_unsupported_sources(flags);
  // The token key keeps its module and session alive for as long as the EVP_PKEY lives.
  if (uses_pkcs11(flags)) {
    EvpPkeyPtr key = load_pkcs11_key(pkcs11_options(flags, debug));
    if (debug) debug("private key: " + describe_key(key.get()) + " on a PKCS#11 token");
    return key;
  }
  const std::string& path = flags.private_key.empty() ? flags.certificate : flags.private_key;
  if (path.empty())
    throw Error(Error::Kind::kInvalidArgument,
                "--private-key is required: the private key file to sign with");
  PrivateKeyFile key_file =
      load_private_key_file(path, flags.pkcs8_password, prompt_key_password_on_terminal);
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
  if (!flags.certificate.empty() && !flags.private_key.empty()) {
    CertificateBundle certificate = load_certificate_file(flags.certificate);
    debug_certificate(debug, "certificate", certificate.leaf.get());
    try {
      check_key_matches_certificate(key_file.key.get(), certificate.leaf.get());
    } catch (const Error&) {
      throw Error(Error::Kind::kCrypto, "the private key in --private-key " + flags.private_key +
                                            " does not match the certificate in --certificate " +
                                            flags.certificate);
    }
  }
  return std::move(key_file.key);
}

}  // namespace rolesanywhere::cli
