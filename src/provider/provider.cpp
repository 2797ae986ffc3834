#include "rolesanywhere/provider.hpp"

#include "rolesanywhere/error.hpp"

#include "rolesanywhere/sigv4x509.hpp"

#include <algorithm>
#include <memory>
#include <utility>

namespace rolesanywhere {

namespace {

// A renewed key file is loaded on the refreshing thread, where nobody can be asked: it gets the
// password given or typed for the first load, or none. So the first load may ask, later ones
// replay what it got.
class PasswordMemory {
 public:
  explicit PasswordMemory(PasswordProvider ask) : ask_(std::move(ask)) {}
  std::optional<SecretString> answer(const std::string& label) {
    if (!may_ask_ || !ask_) return typed_;
    typed_ = ask_(label);
    return typed_;
  }
  void stop_asking() { may_ask_ = false; }

 private:
  PasswordProvider ask_;
  std::optional<SecretString> typed_;
  bool may_ask_ = true;
};

RenewableIdentity load_renewable_identity(IdentitySource source, const Clock& clock,
                                          const DebugSink& debug) {
  auto memory = std::make_shared<PasswordMemory>(std::move(source.ask_password));
  source.ask_password = [memory](const std::string& label) { return memory->answer(label); };
  std::vector<std::string> files = identity_files(source);
  RenewableIdentity identity(std::move(files), [source = std::move(source), &clock, debug] {
    return load_identity(source, clock, debug);
  });
  memory->stop_asking();
  return identity;
}

// Opens libcurl at the first send, not before: the request is signed first, while
// preload_http_client may still be loading the library on another thread.
class TransportOpenedAtFirstSend final : public HttpTransport {
 public:
  explicit TransportOpenedAtFirstSend(TransportOptions options) : options_(std::move(options)) {}
  HttpResponse send(const std::string& base_url, const HttpRequest& request) override {
    if (!opened_) opened_ = make_curl_transport(options_);
    return opened_->send(base_url, request);
  }

 private:
  TransportOptions options_;
  std::unique_ptr<HttpTransport> opened_;
};

std::string describe_in_use(X509* certificate) {
  return "subject \"" + subject_name(certificate) + "\", serial " + serial_hex(certificate) +
         ", valid until " + format_iso8601(not_after(certificate));
}

// Each field with its length first, so no two different sources digest the same bytes.
void add_field(std::string& bytes, std::string_view field) {
  bytes += std::to_string(field.size());
  bytes += ':';
  bytes += field;
}

}  // namespace

SharedIdentity::Turn::Turn(SharedIdentity& shared, const std::stop_token& stop) : shared_(shared) {
  std::unique_lock lock(shared_.mutex_);
  if (!shared_.released_.wait(lock, stop, [this] { return !shared_.taken_; }))
    throw Error(Error::Kind::kCancelled, "stopped while another binding used the identity");
  shared_.taken_ = true;
}

SharedIdentity::Turn::~Turn() {
  {
    const std::lock_guard lock(shared_.mutex_);
    shared_.taken_ = false;
  }
  shared_.released_.notify_one();
}

std::shared_ptr<SharedIdentity> load_shared_identity(IdentitySource source, const Clock& clock,
                                                     const DebugSink& debug) {
  return std::make_shared<SharedIdentity>(load_renewable_identity(std::move(source), clock, debug));
}

std::string identity_sharing_key(const IdentitySource& source) {
  std::string bytes;
  const WipeOnExit wipe(bytes);  // holds the passwords
  for (std::string_view field :
       {std::string_view(source.certificate), std::string_view(source.private_key),
        std::string_view(source.intermediates), std::string_view(source.pkcs11_module)})
    add_field(bytes, field);
  for (const std::optional<SecretString>* secret :
       {&source.key_password, &source.tpm_key_password}) {
    add_field(bytes, *secret ? "set" : "unset");
    if (*secret) add_field(bytes, (*secret)->reveal());
  }
  add_field(bytes, source.reuse_pin ? "reuse-pin" : "");
  add_field(bytes, source.no_tpm_key_password ? "no-tpm-key-password" : "");
  return sigv4x509::hex_sha256(bytes);
}

RolesAnywhereProvider::RolesAnywhereProvider(ProviderOptions options, const Clock& clock,
                                             std::unique_ptr<HttpTransport> transport)
    : RolesAnywhereProvider(
          [&] {
            // Cheap checks first, so a typo in an ARN is reported before any file is read.
            validate(options.session);
            return load_renewable_identity(std::move(options.identity), clock, options.debug);
          }(),
          options.session, std::move(transport), options.debug, options.transport.cancel) {
  if (transport_) return;
  if (options.open_transport_at_first_fetch)
    transport_options_ = std::move(options.transport);
  else
    transport_ = make_curl_transport(options.transport);  // a failure is reported at start
}

RolesAnywhereProvider::RolesAnywhereProvider(std::shared_ptr<SharedIdentity> identity,
                                             ProviderOptions options)
    : identity_(std::move(identity)),
      params_(std::move(options.session)),
      debug_(std::move(options.debug)),
      cancel_(options.transport.cancel) {
  validate(params_);
  if (options.open_transport_at_first_fetch)
    transport_options_ = std::move(options.transport);
  else
    transport_ = make_curl_transport(options.transport);
}

RolesAnywhereProvider::RolesAnywhereProvider(RenewableIdentity identity, CreateSessionParams params,
                                             std::unique_ptr<HttpTransport> transport,
                                             DebugSink debug, std::stop_token cancel)
    : RolesAnywhereProvider(std::make_shared<SharedIdentity>(std::move(identity)),
                            std::move(params), std::move(transport), std::move(debug),
                            std::move(cancel)) {}

RolesAnywhereProvider::RolesAnywhereProvider(std::shared_ptr<SharedIdentity> identity,
                                             CreateSessionParams params,
                                             std::unique_ptr<HttpTransport> transport,
                                             DebugSink debug, std::stop_token cancel)
    : identity_(std::move(identity)),
      params_(std::move(params)),
      transport_(std::move(transport)),
      debug_(std::move(debug)),
      cancel_(std::move(cancel)) {}

void RolesAnywhereProvider::pick_up_renewal(RenewableIdentity& identity) {
  using Outcome = RenewableIdentity::Check::Outcome;
  const std::string serial_before = identity.current().serial_decimal();
  const RenewableIdentity::Check check = identity.reload_if_changed();
  if (check.outcome == Outcome::kUnchanged) return;
  // A new certificate has its own expiry to warn about; the same one rewritten does not.
  if (check.outcome == Outcome::kReloaded && identity.current().serial_decimal() != serial_before)
    last_expiry_warning_.reset();
  if (!observer_ || (check.outcome == Outcome::kFailed && !check.first_failure)) return;
  ProviderEvent event;
  event.kind = check.outcome == Outcome::kReloaded ? ProviderEvent::Kind::kRenewed
                                                   : ProviderEvent::Kind::kRenewalFailed;
  event.certificate = describe_in_use(identity.current().certificate());
  event.failure = check.failure;
  event.watches_files = identity.watches_files();
  observer_(event);
}

std::string certificate_renewal_remedy(bool watches_files) {
  return watches_files ? "renew the certificate file: it is read again before every attempt"
                       : "put a renewed certificate in place (on the token, or in the variable or "
                         "descriptor it was given through) and restart";
}

void RolesAnywhereProvider::check_certificate_in_use(const RenewableIdentity& identity,
                                                     TimePoint now) {
  X509* certificate = identity.current().certificate();
  try {
    check_certificate_validity(certificate, now);
  } catch (const Error& error) {
    throw Error(Error::Kind::kCrypto, std::string(error.what()) +
                                          "; not sending it to the service. To recover, " +
                                          certificate_renewal_remedy(identity.watches_files()));
  }
  // In its last week, or its last quarter when it lives less than four weeks (step-ca's 24-hour
  // certificates, renewed at two thirds of their life, are then never warned about when renewal
  // works).
  constexpr auto kWarnEvery = std::chrono::hours(24);
  const TimePoint expiry = not_after(certificate);
  // Quartered before the difference: a lifetime from 1600 to 9999 (both clamped) would overflow.
  const auto quarter_life =
      expiry.time_since_epoch() / 4 - not_before(certificate).time_since_epoch() / 4;
  const auto warn_within = std::min<TimePoint::duration>(std::chrono::hours(24 * 7), quarter_life);
  if (!observer_ || expiry - now > warn_within ||
      (last_expiry_warning_ && now - *last_expiry_warning_ < kWarnEvery))
    return;
  last_expiry_warning_ = now;
  ProviderEvent event;
  event.kind = ProviderEvent::Kind::kExpiringSoon;
  event.certificate = describe_in_use(certificate);
  event.subject = subject_name(certificate);
  event.expiry = expiry;
  event.remaining = std::chrono::duration_cast<std::chrono::seconds>(expiry - now);
  event.watches_files = identity.watches_files();
  observer_(event);
}

Credentials RolesAnywhereProvider::fetch(const Clock& clock) {
  std::shared_ptr<const Identity> identity;
  {
    // The turn covers what reads or replaces the shared identity; the CreateSession, retries
    // included, signs with the snapshot after it (see SharedIdentity).
    SharedIdentity::Turn turn(*identity_, cancel_);
    pick_up_renewal(turn.identity());
    check_certificate_in_use(turn.identity(), clock.now());
    identity = turn.identity().snapshot();
  }
  RetryPolicy retry;
  retry.cancel = cancel_;
  if (!transport_) {
    if (!transport_options_)
      throw Error(Error::Kind::kInternal, "the provider was given no transport to send with");
    transport_ = std::make_unique<TransportOpenedAtFirstSend>(*transport_options_);
  }
  return create_session(*identity, params_, *transport_, clock, retry, debug_);
}

}  // namespace rolesanywhere
