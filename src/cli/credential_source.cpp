#include "credential_source.hpp"

#include "identity_source.hpp"
#include "output.hpp"
#include "pin_prompt.hpp"

#include "rolesanywhere/credentials.hpp"

#include <memory>
#include <optional>
#include <utility>

namespace rolesanywhere::cli {

CredentialSource::CredentialSource(RenewableIdentity identity, CreateSessionParams params,
                                   std::unique_ptr<HttpTransport> transport, DebugSink debug,
                                   std::stop_token cancel)
    : identity_(std::move(identity)),
      params_(std::move(params)),
      transport_(std::move(transport)),
      debug_(std::move(debug)),
      cancel_(std::move(cancel)) {}

void CredentialSource::pick_up_renewal() {
  using Outcome = RenewableIdentity::Check::Outcome;
  const std::string serial_before = identity_.current().serial_decimal();
  const RenewableIdentity::Check check = identity_.reload_if_changed();
  if (!notice_ || check.outcome == Outcome::kUnchanged) return;
  X509* certificate = identity_.current().certificate();
  const std::string in_use = "subject \"" + subject_name(certificate) + "\", serial " +
                             serial_hex(certificate) + ", valid until " +
                             format_iso8601(not_after(certificate));
  // A new certificate has its own expiry to warn about; the same one rewritten does not.
  if (check.outcome == Outcome::kReloaded && identity_.current().serial_decimal() != serial_before)
    last_expiry_warning_.reset();
  if (check.outcome == Outcome::kReloaded)
    notice_(
        "the certificate or key files changed on disk; signing from now on with the renewed "
        "certificate: " +
        in_use);
  else if (check.first_failure)
    notice_("the certificate or key files changed on disk but cannot be used yet (" +
            check.failure + "); still signing with the certificate loaded before: " + in_use +
            ". They are read again before every attempt");
}

void CredentialSource::check_certificate_in_use(TimePoint now) {
  X509* certificate = identity_.current().certificate();
  const std::string what_to_do =
      identity_.watches_files()
          ? "renew the certificate file: it is read again before every attempt, and at once on "
            "SIGHUP"
          : "put a renewed certificate on the token and restart";
  try {
    check_certificate_validity(certificate, now);
  } catch (const Error& error) {
    throw Error(
        Error::Kind::kCrypto,
        std::string(error.what()) + "; not sending it to the service. To recover, " + what_to_do);
  }
  // In its last week, or its last quarter when it lives less than four weeks (step-ca's 24-hour
  // certificates, renewed at two thirds of their life, are then never warned about when renewal
  // works).
  constexpr auto kWarnEvery = std::chrono::hours(24);
  const TimePoint expiry = not_after(certificate);
  const auto warn_within = std::min<TimePoint::duration>(std::chrono::hours(24 * 7),
                                                         (expiry - not_before(certificate)) / 4);
  if (!notice_ || expiry - now > warn_within ||
      (last_expiry_warning_ && now - *last_expiry_warning_ < kWarnEvery))
    return;
  last_expiry_warning_ = now;
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(expiry - now).count();
  const std::string in = left >= 48 * 3600  ? std::to_string(left / (24 * 3600)) + " days"
                         : left >= 2 * 3600 ? std::to_string(left / 3600) + " hours"
                         : left >= 120      ? std::to_string(left / 60) + " minutes"
                                            : std::to_string(left) + " seconds";
  notice_("warning: the certificate " + subject_name(certificate) + " expires at " +
          format_iso8601(expiry) + ", in " + in + "; " + what_to_do);
}

Credentials CredentialSource::fetch(const Clock& clock) {
  pick_up_renewal();
  check_certificate_in_use(clock.now());
  RetryPolicy retry;
  retry.cancel = cancel_;
  return create_session(identity_.current(), params_, *transport_, clock, retry, debug_);
}

std::vector<std::string> weakened_settings(const cxxopts::ParseResult& result) {
  std::vector<std::string> warnings;
  if (result.count("no-verify-ssl"))
    warnings.push_back(
        "warning: --no-verify-ssl: the service's TLS certificate is not checked, so anyone on the "
        "network path can pose as the service and read the credentials it returns");
  const Endpoint endpoint = resolve_endpoint(read_session_flags(result));
  const std::string& with_port = endpoint.host;
  const std::string host = with_port.starts_with('[') ? with_port.substr(0, with_port.find(']') + 1)
                                                      : with_port.substr(0, with_port.find(':'));
  const bool local = host.starts_with("127.") || host == "[::1]" || host == "localhost";
  if (endpoint.url.starts_with("http://") && !local)
    warnings.push_back("warning: --endpoint " + endpoint.url +
                       " is plain HTTP: the credentials come back unencrypted over the network");
  return warnings;
}

void add_credential_source_flags(cxxopts::Options& options) {
  add_identity_flags(options, FlagSet::kCredentials);
  add_session_flags(options);
  add_debug_flag(options);
}

CredentialSource make_credential_source(const cxxopts::ParseResult& result, const Clock& clock,
                                        std::stop_token cancel) {
  DebugSink debug = stderr_debug_sink(result.count("debug") > 0);
  IdentityFlags identity_flags = read_identity_flags(result, FlagSet::kCredentials);
  CreateSessionParams params = read_session_flags(result);
  TransportOptions transport_options = read_transport_flags(result);
  transport_options.cancel = cancel;

  // Cheap checks of the flags first, so a typo in an ARN is reported before any file is read.
  reject_unsupported_sources(identity_flags);
  validate(params);

  // The identity is loaded here, on this thread, where a prompt may ask for a key password. A
  // reload (a renewal, on the refresher's thread) answers with what was typed then, or with
  // nothing: it never prompts.
  struct PasswordMemory {
    std::optional<SecretString> typed;
    bool may_prompt = true;
  };
  auto memory = std::make_shared<PasswordMemory>();
  PasswordProvider ask_password = [memory](const std::string& label) {
    if (!memory->may_prompt) return memory->typed;
    memory->typed = prompt_key_password_on_terminal(label);
    return memory->typed;
  };
  std::vector<std::string> files = identity_files(identity_flags);
  RenewableIdentity identity(std::move(files), [identity_flags, &clock, debug, ask_password] {
    return load_identity(identity_flags, clock, debug, ask_password);
  });
  memory->may_prompt = false;
  return CredentialSource(std::move(identity), std::move(params),
                          make_curl_transport(transport_options), std::move(debug),
                          std::move(cancel));
}

}  // namespace rolesanywhere::cli
