// sign-string: signs aws_signing_helper's fixed test string, to check a key and digest work.
#include "command_line.hpp"
#include "commands.hpp"
#include "identity_source.hpp"
#include "output.hpp"

#include "rolesanywhere/diagnostics.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/sigv4x509.hpp"

#include <openssl/x509.h>

namespace rolesanywhere::cli {

namespace {

Digest parse_digest(const std::string& name) {
  if (name == "SHA256") return Digest::kSha256;
  if (name == "SHA384") return Digest::kSha384;
  if (name == "SHA512") return Digest::kSha512;
  throw Error(Error::Kind::kInvalidArgument,
              "--digest " + name + ": must be one of SHA256, SHA384, SHA512");
}

// The fixed string hashes the public key. A token key's public half may live in a legacy
// (engine-style) key that cannot hand out its encoded point, so hash a plain copy of it.
EvpPkeyPtr public_copy(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key, &der);
  if (length <= 0)
    throw Error(Error::Kind::kCrypto,
                "the public half of the key is not available (tokens may hide it for EC keys); "
                "give the key's certificate with --certificate");
  const unsigned char* cursor = der;
  EvpPkeyPtr copy(d2i_PUBKEY(nullptr, &cursor, length));
  OPENSSL_free(der);
  if (!copy) throw Error(Error::Kind::kCrypto, "cannot read the key's public half");
  return copy;
}

void check_format(const std::string& format) {
  if (format != "json" && format != "text" && format != "bin")
    throw Error(Error::Kind::kInvalidArgument,
                "--format " + format + ": must be one of json, text, bin");
}

}  // namespace

int sign_string_command(int argc, char** argv) {
  cxxopts::Options options("rolesanywhere-helper sign-string",
                           "Signs a fixed test string with the private key, to validate the key "
                           "and digest");
  add_identity_flags(options, FlagSet::kSignString);
  options.add_options("Output")  //
      ("format", "Output format: json, text or bin",
       cxxopts::value<std::string>()->default_value("json"), "json|text|bin")  //
      ("digest", "Digest: SHA256, SHA384 or SHA512",
       cxxopts::value<std::string>()->default_value("SHA256"), "SHA256|SHA384|SHA512");
  add_debug_flag(options);
  auto result = parse_or_help(options, argc, argv);
  if (!result) return 0;

  const std::string format = (*result)["format"].as<std::string>();
  check_format(format);
  const Digest digest = parse_digest((*result)["digest"].as<std::string>());

  const DebugSink debug = stderr_debug_sink(result->count("debug") > 0);
  EvpPkeyPtr key =
      load_signing_key(identity_source(read_identity_flags(*result, FlagSet::kSignString)), debug);
  const std::string fixed_string = fixed_string_to_sign(public_copy(key.get()).get());
  std::vector<std::uint8_t> signature = sign_with_key(key.get(), fixed_string, digest);
  if (debug)
    debug("signed the fixed test string (" + std::to_string(fixed_string.size()) + " bytes) with " +
          (*result)["digest"].as<std::string>() + ": a " + std::to_string(signature.size()) +
          "-byte " + (EVP_PKEY_is_a(key.get(), "RSA") ? "PKCS#1 v1.5" : "DER-encoded ECDSA") +
          " signature");

  if (format == "bin")
    write_stdout({reinterpret_cast<const char*>(signature.data()), signature.size()});
  else if (format == "text")
    write_stdout(sigv4x509::hex_encode(signature));
  else
    write_stdout("\"" + sigv4x509::hex_encode(signature) + "\"");
  return 0;
}

}  // namespace rolesanywhere::cli
