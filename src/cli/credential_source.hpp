// What credential-process, serve and update share: the identity and session flags, turned into
// an identity loaded once and a transport kept open, ready to call CreateSession again and again.
#pragma once

#include "command_line.hpp"

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/debug_log.hpp"
#include "rolesanywhere/identity.hpp"
#include "rolesanywhere/session.hpp"

#include <memory>
#include <stop_token>

namespace rolesanywhere::cli {

class CredentialSource {
 public:
  // `cancel` stops a CreateSession in progress (Error(kCancelled)): serve and update pass the
  // stop signals' token, so SIGTERM does not wait for a service that never answers.
  CredentialSource(Identity identity, CreateSessionParams params,
                   std::unique_ptr<HttpTransport> transport, DebugSink debug,
                   std::stop_token cancel = {});

  // One CreateSession (with its retries), signed with the identity loaded at start.
  Credentials fetch(const Clock& clock);

  const Identity& identity() const noexcept { return identity_; }
  const CreateSessionParams& params() const noexcept { return params_; }

 private:
  Identity identity_;
  CreateSessionParams params_;
  std::unique_ptr<HttpTransport> transport_;
  DebugSink debug_;
  std::stop_token cancel_;
};

// The identity, session and --debug flags of credential-process, serve and update.
void add_credential_source_flags(cxxopts::Options& options);
// Checks the flags (cheap checks first), loads the identity once and opens the transport, which
// `cancel` can stop mid-transfer.
CredentialSource make_credential_source(const cxxopts::ParseResult& result, const Clock& clock,
                                        std::stop_token cancel = {});

}  // namespace rolesanywhere::cli
