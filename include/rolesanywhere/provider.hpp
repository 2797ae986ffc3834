// The IAM Roles Anywhere credentials provider: from a plain description of where the
// certificate and key are and which session to ask for, it loads the identity (from files, a
// PKCS#11 token or a TPM), picks up certificate files renewed on disk, refuses a certificate that
// is not valid instead of sending it, and calls CreateSession. credential-process, serve and update
// are three front doors to this one object; nothing here parses flags or prints.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/debug_log.hpp"
#include "rolesanywhere/identity.hpp"
#include "rolesanywhere/pkcs11.hpp"
#include "rolesanywhere/renewable_identity.hpp"
#include "rolesanywhere/session.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace rolesanywhere {

// Where the certificate and key come from. Each of the three is a file path, or in its place
// env:NAME or fd:N (is_inline_source, identity.hpp), or, for the certificate and key, a pkcs11:
// URI, or for the key a TPM key (a TSS2 key file, or handle:0x81...); this is the one place that
// knows which key sources exist.
struct IdentitySource {
  std::string certificate;  // a certificate file, a PKCS#12 file, or a pkcs11: URI
  // A key file, a PKCS#12 file, a pkcs11: URI, a TSS2 key file or a TPM handle; may be empty.
  std::string private_key;
  std::string intermediates;                 // a PEM bundle sent as the chain; may be empty
  std::optional<SecretString> key_password;  // an encrypted PKCS#8 or PKCS#12 file's
  std::string pkcs11_module;                 // empty: the URI's, else p11-kit-proxy
  bool reuse_pin = false;  // the user PIN also answers CKA_ALWAYS_AUTHENTICATE keys
  std::optional<SecretString> tpm_key_password;  // a TPM key's authorization value
  bool no_tpm_key_password = false;              // the TPM key has none
  // Asked for a key file's password when `key_password` is unset and the file needs one, for a
  // TPM key's when it has one (or may have: a handle) and none was given, and for a token's PIN
  // when the URI carries none. Empty: that case is an error.
  PasswordProvider ask_password;
  PinPrompt ask_pin;
  // How messages name the flags the values above came from; empty names leave flags out.
  IdentityLabels labels;
};

// Loads and checks the identity (key type, key and certificate match, validity at clock.now()).
// Under `debug`, says what was loaded, never a secret.
Identity load_identity(const IdentitySource& source, const Clock& clock, const DebugSink& debug);
// The files an identity from `source` is read from, to watch for renewals; empty when a PKCS#11
// token holds any part of it (a token is not renewed under our feet), or any part is an inline
// source (env:NAME, fd:N: read once). A TPM handle is no file; a TSS2 key file is one.
std::vector<std::string> identity_files(const IdentitySource& source);
// Just the private key (sign-string needs no certificate): from `private_key`, or the key in a
// PKCS#12 `certificate`. With both given, they must match.
EvpPkeyPtr load_signing_key(const IdentitySource& source, const DebugSink& debug);

// For --debug lines: "RSA 2048 bits", "EC prime256v1".
std::string describe_key(EVP_PKEY* key);
// For --debug: "<what>: subject "...", issuer "...", serial N (hex H), valid A to B".
void debug_certificate(const DebugSink& debug, const std::string& what, X509* certificate);

// Something a long-running caller should tell a person about the certificate in use.
struct ProviderEvent {
  enum class Kind {
    kRenewed,        // the files changed on disk and the renewed certificate signs from now on
    kRenewalFailed,  // they changed but cannot be loaded yet; the previous certificate signs
    kExpiringSoon,   // the certificate in use expires within a week (or its last quarter)
  };
  Kind kind = Kind::kRenewed;
  // The certificate in use: 'subject "...", serial <hex>, valid until <ISO 8601>'.
  std::string certificate;
  std::string subject;  // kExpiringSoon: the subject name (RFC 2253)
  std::string failure;  // kRenewalFailed: why the files cannot be loaded (never a secret)
  TimePoint expiry{};   // kExpiringSoon
  std::chrono::seconds remaining{};  // kExpiringSoon
  // How the certificate gets renewed: files read again before every attempt (true), or a token,
  // a variable or a descriptor, which need a restart (false).
  bool watches_files = false;
};

// What a person does about an expired or expiring certificate, for messages: renew the file
// (`watches_files`), or put a renewed one where it came from and restart.
std::string certificate_renewal_remedy(bool watches_files);

// An identity loaded once for several providers (serve's bindings that name the same certificate
// and key): one PIN prompt, one token login, one TPM object. Its providers take turns for what
// reads or replaces it (the renewal check, the validity check) and then sign their CreateSession
// with a snapshot, outside the turn: a binding whose service is slow or throttling does not hold
// up the others, a renewal does not pull the key from under a signature in progress, and a token
// or a TPM key serialises its own signatures (their signers hold a lock of their own).
class SharedIdentity {
 public:
  explicit SharedIdentity(RenewableIdentity identity) : identity_(std::move(identity)) {}

  // Held while a fetch checks for a renewal and takes its snapshot. Waiting for another provider's
  // turn ends with Error(kCancelled) on `stop`.
  class Turn {
   public:
    Turn(SharedIdentity& shared, const std::stop_token& stop);
    ~Turn();
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;
    RenewableIdentity& identity() noexcept { return shared_.identity_; }

   private:
    SharedIdentity& shared_;
  };

  // The identity in use, without a turn: only for an identity no other provider uses (a fetch
  // of another may replace it meanwhile). The cache key of credential-process reads it.
  const Identity& current() const noexcept { return identity_.current(); }

 private:
  std::mutex mutex_;
  std::condition_variable_any released_;
  bool taken_ = false;
  RenewableIdentity identity_;
};

// Loads the identity as RolesAnywhereProvider does (a password or PIN asked for here, replayed for
// renewals), to share between providers.
std::shared_ptr<SharedIdentity> load_shared_identity(IdentitySource source, const Clock& clock,
                                                     const DebugSink& debug);

// What makes two sources the same identity, for sharing one: every field that selects or unlocks
// the key and certificate (a digest: the passwords are part of it). A new IdentitySource field
// that changes what is loaded goes in here.
std::string identity_sharing_key(const IdentitySource& source);

struct ProviderOptions {
  IdentitySource identity;
  CreateSessionParams session;
  TransportOptions transport;  // its `cancel` also stops retries between attempts
  DebugSink debug;
  // The transport (libcurl) is opened when the first request is sent instead of in the
  // constructor: for a caller that may be answered without one (credential-process with a
  // cache), or that loads libcurl in the background meanwhile (preload_http_client), at the price
  // of a failure to open it showing at the first fetch.
  bool open_transport_at_first_fetch = false;
};

class RolesAnywhereProvider {
 public:
  // Checks the session parameters first (a typo in an ARN is reported before any file is read),
  // then loads the identity once, on this thread (where a password or PIN may be asked for), and
  // opens the transport (unless `transport` is given, or options.open_transport_at_first_fetch).
  // A renewed key file loaded later answers its password with what was given or typed at start,
  // never by asking again. `clock` is kept for those reloads: it must outlive the provider.
  RolesAnywhereProvider(ProviderOptions options, const Clock& clock,
                        std::unique_ptr<HttpTransport> transport = nullptr);
  // With an identity loaded before (load_shared_identity); options.identity is not read.
  RolesAnywhereProvider(std::shared_ptr<SharedIdentity> identity, ProviderOptions options);
  // The parts, injected: tests and callers with their own transport.
  RolesAnywhereProvider(RenewableIdentity identity, CreateSessionParams params,
                        std::unique_ptr<HttpTransport> transport, DebugSink debug = {},
                        std::stop_token cancel = {});
  RolesAnywhereProvider(std::shared_ptr<SharedIdentity> identity, CreateSessionParams params,
                        std::unique_ptr<HttpTransport> transport, DebugSink debug = {},
                        std::stop_token cancel = {});

  // Told about renewals (once per state of the files) and a coming expiry (once a day), on the
  // thread that calls fetch(). Without it, renewals are still picked up, silently.
  using Observer = std::function<void(const ProviderEvent&)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }

  // One CreateSession (with its retries), signed with the identity loaded at start, or with the
  // renewed one when its files changed since. A certificate that has expired (or is not valid
  // yet) is refused here, with what to do, instead of being sent for the service to refuse.
  Credentials fetch(const Clock& clock);

  const CreateSessionParams& params() const noexcept { return params_; }
  // The identity in use. A fetch may replace it (a renewal): only for the thread that fetches.
  const Identity& identity() const noexcept { return identity_->current(); }

 private:
  void pick_up_renewal(RenewableIdentity& identity);
  void check_certificate_in_use(const RenewableIdentity& identity, TimePoint now);

  std::shared_ptr<SharedIdentity> identity_;
  CreateSessionParams params_;
  std::unique_ptr<HttpTransport> transport_;
  std::optional<TransportOptions> transport_options_;  // for opening transport_ when first needed
  DebugSink debug_;
  std::stop_token cancel_;
  Observer observer_;
  std::optional<TimePoint> last_expiry_warning_;
};

}  // namespace rolesanywhere
