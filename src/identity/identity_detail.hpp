// Internal seams of the identity module, shared by its source files and nothing else.
// Every loader takes a `label` such as "--private-key /x/y.pem" or "certificate file /x/y.pem",
// so each message names the flag (when the caller gave its name) and the file.
#pragma once

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/identity.hpp"
#include "rolesanywhere/secret.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace rolesanywhere::identity_detail {

// "--private-key /x/key.pem", or without the flag's name "private key file /x/key.pem".
std::string file_label(const std::string& flag, std::string_view noun, const std::string& path);

// How long reading one file may take, all told. A pipe or FIFO (process substitution,
// `--certificate <(vault read ...)`) delivers when its writer does; one with no writer, or a
// writer that stalls, must not hold the helper for ever.
inline constexpr std::chrono::milliseconds kInputFileTimeout{10'000};

// The whole file, or Error(kInput) saying it does not exist, cannot be read, is empty, or
// (a pipe or FIFO) did not deliver all of itself within `timeout`, measured on the steady clock.
// Key files (and PKCS#12 given as --certificate) hold private keys unencrypted, so the bytes
// live in a SecretString and reading them leaves no stray copy in freed memory.
SecretString read_input_file(const std::string& path, const std::string& label,
                             std::chrono::milliseconds timeout = kInputFileTimeout);

// What an inherited descriptor holds, read to its end under the same rules (and `timeout`) as a
// FIFO; the caller closes it.
SecretString read_input_descriptor(int fd, const std::string& label,
                                   std::chrono::milliseconds timeout = kInputFileTimeout);

// The bytes of a certificate, key or intermediates input: a file (read_input_file), or an
// inline source (env:NAME, fd:N), kept by preload_inline_sources or else read now. Base64 text
// that is not PEM is decoded into the DER it carries.
SecretString read_identity_input(const std::string& value, const std::string& label);

bool looks_like_pem(std::string_view bytes);
bool looks_like_pkcs12(std::string_view bytes);

// PEM (leaf, then the chain) or one DER certificate.
CertificateBundle parse_certificates(std::string_view bytes, const std::string& label);
// A PEM bundle (or one DER certificate); never empty.
std::vector<X509Ptr> parse_certificate_bundle(std::string_view bytes, const std::string& label);
// The password for the encrypted key files of one load: the one given (--pkcs8-password), or
// else the provider's answer, asked for at the first need and kept for the next file.
class KeyPassword {
 public:
  KeyPassword() = default;
  // `flag` is how the caller's user gives a password ("--pkcs8-password"); may be empty.
  KeyPassword(std::optional<SecretString> given, PasswordProvider ask, std::string flag = {})
      : password_(std::move(given)), ask_(std::move(ask)), flag_(std::move(flag)) {}

  // The password, asking the provider (once) when there is none yet; nullopt when none was given
  // and none could be had. What the provider throws passes through.
  const std::optional<SecretString>& get(const std::string& label);
  // Without asking: the password given or answered so far.
  const std::optional<SecretString>& known() const noexcept { return password_; }
  // Error(kInput) for the file `label` names: encrypted, and no password was had. Points to the
  // flag that gives one when there is one.
  Error missing(const std::string& label) const;

 private:
  std::optional<SecretString> password_;
  PasswordProvider ask_;
  std::string flag_;
  bool asked_ = false;
};

// PKCS#1, SEC1, PKCS#8 (plain or encrypted), PEM or DER; PKCS#12 is passed to parse_pkcs12.
PrivateKeyFile parse_private_key(std::string_view bytes, KeyPassword& password,
                                 const std::string& label);
// The key and certificates of a PKCS#12 file; `key` may be null when the file holds none.
PrivateKeyFile parse_pkcs12(std::string_view bytes, KeyPassword& password,
                            const std::string& label);

// Drops every certificate equal to `leaf`: the leaf must never travel as its own intermediate.
std::vector<X509Ptr> without_leaf(std::vector<X509Ptr> chain, X509* leaf);

// Why the key cannot be used, as a noun phrase ("an RSA key of 1024 bits (...)"); nullopt if fine.
std::optional<std::string> key_support_problem(EVP_PKEY* key);
bool key_matches_certificate(EVP_PKEY* key, X509* certificate);
// "expired on <date>" / "is not valid until <date>"; nullopt when `now` is inside the validity.
std::optional<std::string> validity_problem(X509* certificate, TimePoint now);

}  // namespace rolesanywhere::identity_detail
