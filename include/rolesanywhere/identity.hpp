// The signing identity: a leaf certificate, the intermediates to send with it, and a private key
// that can sign. Every key source (files here, PKCS#11 tokens in pkcs11.hpp, TPM keys in tpm.hpp)
// builds one of these, and nothing after it knows where the key lives. Loaded once per process,
// used for every signature.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/openssl_ptr.hpp"
#include "rolesanywhere/secret.hpp"
#include "rolesanywhere/sigv4x509.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rolesanywhere {

enum class KeyType { kRsa, kEc };
enum class Digest { kSha256, kSha384, kSha512 };

class Identity {
 public:
  // `key_owner` keeps alive whatever the key depends on (a PKCS#11 context, a provider).
  Identity(X509Ptr certificate, std::vector<X509Ptr> chain, EvpPkeyPtr key,
           std::shared_ptr<void> key_owner = nullptr);

  X509* certificate() const noexcept { return certificate_.get(); }
  const std::vector<X509Ptr>& chain() const noexcept { return chain_; }
  EVP_PKEY* key() const noexcept { return key_.get(); }

  KeyType key_type() const noexcept { return key_type_; }
  sigv4x509::Algorithm signing_algorithm() const noexcept;
  const std::string& serial_decimal() const noexcept { return serial_decimal_; }
  const std::string& certificate_base64() const noexcept { return certificate_b64_; }
  // Comma-separated base64 DER of the chain, in order; empty when there is none.
  const std::string& chain_base64() const noexcept { return chain_b64_; }

  // RSA: PKCS#1 v1.5; EC: ECDSA, DER-encoded. Digest of `data` is computed here.
  std::vector<std::uint8_t> sign(std::string_view data, Digest digest = Digest::kSha256) const;

 private:
  X509Ptr certificate_;
  std::vector<X509Ptr> chain_;
  std::shared_ptr<void> key_owner_;  // declared before key_: destroyed after it
  EvpPkeyPtr key_;
  KeyType key_type_;
  std::string serial_decimal_;
  std::string certificate_b64_;
  std::string chain_b64_;
};

// The signing operation behind Identity::sign, for callers that hold only a key (sign-string).
std::vector<std::uint8_t> sign_with_key(EVP_PKEY* key, std::string_view data,
                                        Digest digest = Digest::kSha256);

// --- loading from files ---

// How messages about the identity name the command-line flags the values came from: the library
// never spells a flag itself, the command line passes the names it uses. Empty leaves the flag
// out: "certificate file /x does not exist" instead of "--certificate /x does not exist", and a
// hint that only a flag could act on ("give its password with --pkcs8-password") is dropped.
struct IdentityLabels {
  std::string certificate;          // "--certificate"
  std::string private_key;          // "--private-key"
  std::string intermediates;        // "--intermediates"
  std::string key_password;         // "--pkcs8-password"
  std::string reuse_pin;            // "--reuse-pin"
  std::string pkcs11_module;        // "--pkcs11-lib"
  std::string tpm_key_password;     // "--tpm-key-password"
  std::string no_tpm_key_password;  // "--no-tpm-key-password"
};

struct CertificateBundle {
  X509Ptr leaf;
  std::vector<X509Ptr> chain;  // certificates that followed the leaf in the same file
};

// PEM (leaf then chain) or DER. The path is named in every error; `labels` only words the hint
// for a PKCS#12 file that needs a password.
CertificateBundle load_certificate_file(const std::string& path, const IdentityLabels& labels = {});
// A PEM bundle of intermediates, in order (--intermediates).
std::vector<X509Ptr> load_certificate_bundle_file(const std::string& path);

struct PrivateKeyFile {
  EvpPkeyPtr key;
  // Present when the file was PKCS#12: the certificate and chain it carried.
  std::optional<CertificateBundle> certificates;
};
// Asked for the password of an encrypted key file (encrypted PKCS#8, a PKCS#12 file that
// needs one) when none was given, and only when OpenSSL asks for it, so plain keys never cause
// a prompt. `label` names the file ("--private-key /x/key.pem", or "private key file /x/key.pem").
// Returns nullopt when there is no way to get one (no terminal); the load then fails with its usual
// "is encrypted" error.
using PasswordProvider = std::function<std::optional<SecretString>(const std::string& label)>;

// PEM or DER: PKCS#1 RSA, SEC1 EC, PKCS#8, encrypted PKCS#8 (password needed), PKCS#12.
// Without `password`, `ask_password` (when set) is asked once if the file turns out to need one.
// `labels` only words the hint for an encrypted file without a password.
PrivateKeyFile load_private_key_file(const std::string& path,
                                     const std::optional<SecretString>& password,
                                     const PasswordProvider& ask_password = {},
                                     const IdentityLabels& labels = {});

// Throws Error(kCrypto) naming the problem: RSA outside 2048-4096 bits, curve other than
// P-256/P-384/P-521, any other key type.
void check_key_supported(EVP_PKEY* key);
void check_key_matches_certificate(EVP_PKEY* key, X509* certificate);
// "certificate ... expired on ..." / "is not valid until ..."
void check_certificate_validity(X509* certificate, TimePoint now);

struct FileIdentityOptions {
  std::string certificate_path;          // --certificate (may be PKCS#12 when no key path is given)
  std::string private_key_path;          // --private-key (may be PKCS#12)
  std::string intermediates_path;        // --intermediates, optional
  std::optional<SecretString> password;  // --pkcs8-password: encrypted PKCS#8 or PKCS#12
  // Without `password`: asked at most once, when a file needs a password; the answer is used
  // for both files (a PKCS#12 may be given as --certificate and --private-key).
  PasswordProvider ask_password;
  IdentityLabels labels;  // names the files in messages by their flags
};
// Loads, checks support, match and validity, and builds the identity.
Identity load_file_identity(const FileIdentityOptions& options, const Clock& clock);

// --- certificate, key or intermediates given without a file ---

// "env:NAME": the PEM, or base64 DER, in the environment variable NAME; "fd:N": what the inherited
// file descriptor N holds (PEM, DER or base64 DER), read once, to its end. Every loader above
// takes such a value wherever it takes a path. Such an input cannot be read again, so an identity
// using one is never watched for renewal.
bool is_inline_source(std::string_view value);

// Reads every inline source among `values` now, once per distinct value however often it
// appears: a variable is then removed from the environment (so nothing the process starts
// inherits it; call this before any thread, as setenv and getenv must not race), a descriptor read
// and closed. The bytes are kept for the loads, and wiped after the last one that names the value.
// A problem (a variable not set, a descriptor not open) is kept too and thrown by that load, under
// its label. Values that are not inline sources are ignored. A source not preloaded is read when
// loaded, and its variable left in the environment.
void preload_inline_sources(const std::vector<std::string>& values);

// --- certificate facts, for read-certificate-data and --debug ---

std::string serial_decimal(X509* certificate);
std::string serial_hex(X509* certificate);
std::string subject_name(X509* certificate);  // RFC 2253
std::string issuer_name(X509* certificate);
std::string der_base64(X509* certificate);
// Dates TimePoint cannot hold (before 1678, after 2262: RFC 5280's 99991231235959Z "no
// expiration" among them) come back as TimePoint::min() or max().
TimePoint not_before(X509* certificate);
TimePoint not_after(X509* certificate);

}  // namespace rolesanywhere
