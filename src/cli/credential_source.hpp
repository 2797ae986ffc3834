// What credential-process, serve and update share: the identity and session flags, turned into
// an identity loaded once (and again only when its files are renewed on disk) and a transport
// kept open, ready to call CreateSession again and again.
#pragma once

#include "command_line.hpp"

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/debug_log.hpp"
#include "rolesanywhere/identity.hpp"
#include "rolesanywhere/renewable_identity.hpp"
#include "rolesanywhere/session.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace rolesanywhere::cli {

class CredentialSource {
 public:
  // `cancel` stops a CreateSession in progress (Error(kCancelled)): serve and update pass the
  // stop signals' token, so SIGTERM does not wait for a service that never answers.
  CredentialSource(RenewableIdentity identity, CreateSessionParams params,
                   std::unique_ptr<HttpTransport> transport, DebugSink debug,
                   std::stop_token cancel = {});

  // Told, in a sentence for a person, when the identity's files were renewed on disk and are now
  // used, or changed but cannot be loaded (once per state of the files). Without it, renewals
  // are still picked up, silently. Called on the thread that calls fetch().
  using Notice = std::function<void(const std::string& message)>;
  void set_renewal_notice(Notice notice) { notice_ = std::move(notice); }

  // One CreateSession (with its retries), signed with the identity loaded at start, or with the
  // renewed one when its files changed since. A certificate that has expired (or is not valid
  // yet) is refused here, with what to do, instead of being sent for the service to refuse.
  Credentials fetch(const Clock& clock);

  const CreateSessionParams& params() const noexcept { return params_; }

 private:
  void pick_up_renewal();
  // Throws when the certificate in use is outside its validity; tells notice_ (once a day) when
  // it expires within a week.
  void check_certificate_in_use(TimePoint now);

  RenewableIdentity identity_;
  Notice notice_;
  std::optional<TimePoint> last_expiry_warning_;
  CreateSessionParams params_;
  std::unique_ptr<HttpTransport> transport_;
  DebugSink debug_;
  std::stop_token cancel_;
};

// For the long-running serve and update (credential-process must stay silent on success): one
// "warning: ..." line per setting that exposes the credentials, --no-verify-ssl and a plain-HTTP
// endpoint that is not on this machine.
std::vector<std::string> weakened_settings(const cxxopts::ParseResult& result);

// The identity, session and --debug flags of credential-process, serve and update.
void add_credential_source_flags(cxxopts::Options& options);
// Checks the flags (cheap checks first), loads the identity once and opens the transport, which
// `cancel` can stop mid-transfer. A password typed at the prompt for an encrypted key file is
// kept for reloading a renewed one; a reload never prompts.
CredentialSource make_credential_source(const cxxopts::ParseResult& result, const Clock& clock,
                                        std::stop_token cancel = {});

}  // namespace rolesanywhere::cli
