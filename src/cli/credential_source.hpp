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

namespace rolesanywhere::cli {

class CredentialSource {
 public:
  CredentialSource(Identity identity, CreateSessionParams params,
                   std::unique_ptr<HttpTransport> transport, DebugSink debug);

  // One CreateSession (with its retries), signed with the identity loaded at start.
  Credentials fetch(const Clock& clock);

  const Identity& identity() const noexcept { return identity_; }
  const CreateSessionParams& params() const noexcept { return params_; }

 private:
  Identity identity_;
  CreateSessionParams params_;
  std::unique_ptr<HttpTransport> transport_;
  DebugSink debug_;
};

// The identity, session and --debug flags of credential-process, serve and update.
void add_credential_source_flags(cxxopts::Options& options);
// Checks the flags (cheap checks first), loads the identity once and opens the transport.
CredentialSource make_credential_source(const cxxopts::ParseResult& result, const Clock& clock);

}  // namespace rolesanywhere::cli
