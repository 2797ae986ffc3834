// Keys inside a TPM 2.0 (laptops, servers, edge devices), which never leave it. They are reached
// through OpenSSL's own route: the tpm2-openssl provider, loaded into a library context of its
// own (after the default provider, or digests would be routed to the TPM) only when a TPM key
// is used. A TPM key becomes one more EVP_PKEY behind the Identity: it signs through the TPM,
// keeps its TPM connection alive by itself, and loads itself again once when the TPM went away
// (a resource manager or swtpm restarted).
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/debug_log.hpp"
#include "rolesanywhere/identity.hpp"
#include "rolesanywhere/openssl_ptr.hpp"
#include "rolesanywhere/secret.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rolesanywhere {

// "handle:0x81000001": a persistent key in the TPM, as tpm2-openssl and aws_signing_helper
// name it.
bool is_tpm_handle(std::string_view value);
// The contents of a TSS2 key file ("ASN.1 specification for TPM 2.0 key files", as written by
// tpm2-openssl, openssl_tpm2_engine and GnuTLS): a "-----BEGIN TSS2 PRIVATE KEY-----" PEM block,
// or DER opening with the TPMKey object identifiers (2.23.133.10.1.x).
bool looks_like_tss2_key(std::string_view bytes);
// `value` names a TPM key: a handle, or a readable file that looks like a TSS2 key file. A file
// that cannot be read is not one here: the file loader says what is wrong with it.
bool is_tpm_key(const std::string& value);

// How the TSS reaches the TPM (its TCTI), and where that came from.
struct TctiChoice {
  std::string tcti;    // "device:/dev/tpmrm0", "swtpm:path=/run/swtpm.sock"; empty: the default
  std::string origin;  // "TPM2OPENSSL_TCTI", "TPM_DEVICE=/dev/tpm0"; empty: the TSS's default
  bool operator==(const TctiChoice&) const = default;
};
// tpm2-openssl's TPM2OPENSSL_TCTI as it is; else aws_signing_helper's TPM_DEVICE, a device
// ("device:PATH") or swtpm's unix socket ("swtpm:path=PATH"); else the TSS's default. A
// TPM2OPENSSL_TCTI that is TPM_DEVICE's translation (see tss_environment) is told as TPM_DEVICE.
TctiChoice choose_tcti(const char* tpm2openssl_tcti, const char* tpm_device, bool device_is_socket);
// What was tried, for messages: "swtpm:port=2321 (TPM2OPENSSL_TCTI)", or the TSS's defaults.
std::string describe_tcti(const TctiChoice& choice);

// The TSS libraries read their settings from the environment, once, when they are loaded.
struct EnvironmentSetting {
  std::string name;
  std::string value;
  bool operator==(const EnvironmentSetting&) const = default;
};
// What the environment must hold before the tpm2 provider is loaded: TSS2_LOG=all+NONE unless
// the user set TSS2_LOG (the TSS otherwise prints WARNING and ERROR lines on stderr, which
// credential_process callers read), and TPM2OPENSSL_TCTI from TPM_DEVICE unless it is set.
// `getenv` reads the environment; `is_socket` says whether a path is a unix socket.
std::vector<EnvironmentSetting> tss_environment(
    const std::function<const char*(const char*)>& getenv,
    const std::function<bool(const std::string&)>& is_socket);
// tss_environment() of this process, applied with setenv. For main(), before any thread starts
// (setenv races with getenv on other threads); it costs nothing when no TPM key is used.
void prepare_tss_environment();

struct TpmKeyOptions {
  std::string key;                       // a TSS2 key file, or handle:0x81...
  std::optional<SecretString> password;  // the key's authorization value (--tpm-key-password)
  bool no_password = false;              // the key has none (--no-tpm-key-password)
  // Neither given: a key file's emptyAuth says whether the key has a password; a handle does
  // not say, so one is asked for. Asked at most once; nullopt (no terminal) is an error. An
  // empty password is never tried on a key that needs one: the TPM counts every failure toward
  // its dictionary-attack lockout.
  PasswordProvider ask_password;
  DebugSink debug;  // never receives the password
  // Names in messages: private_key, tpm_key_password, no_tpm_key_password.
  IdentityLabels labels;
};
// The key, signing through the TPM. Clear errors for: no TPM reachable (and what was tried), the
// tpm2 provider not installed, a handle that does not exist, a key file made by another TPM, a
// key without the sign attribute, a key type other than RSA or EC. A wrong password shows at the
// first signature, as an error that is never retried.
EvpPkeyPtr load_tpm_key(const TpmKeyOptions& options);

struct TpmIdentityOptions {
  std::string certificate_path;    // a TPM holds no certificate: a certificate file
  std::string intermediates_path;  // optional
  TpmKeyOptions key;               // its labels also name the certificate and intermediates
};
// The certificate file, its chain (--intermediates, else what followed the leaf) and the TPM
// key, checked as file identities are: key type, key and certificate match, validity.
Identity load_tpm_identity(const TpmIdentityOptions& options, const Clock& clock);

}  // namespace rolesanywhere
