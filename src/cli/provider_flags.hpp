// What credential-process, serve and update share: the identity, session and --debug flags,
// read into the library provider's options, and its events turned into lines for a person.
#pragma once

#include "command_line.hpp"

#include "rolesanywhere/provider.hpp"

#include <stop_token>
#include <string>
#include <vector>

namespace rolesanywhere::cli {

// The identity, session and --debug flags of credential-process, serve and update.
void add_provider_flags(cxxopts::Options& options);
// Reads them (refusing key sources that are not built yet); `cancel` stops a CreateSession in
// progress, for serve and update, so SIGTERM does not wait for a service that never answers.
ProviderOptions read_provider_flags(const cxxopts::ParseResult& result,
                                    std::stop_token cancel = {});

// For the long-running serve and update (credential-process must stay silent on success): one
// "warning: ..." line per setting that exposes the credentials, --no-verify-ssl and a plain-HTTP
// endpoint that is not on this machine.
std::vector<std::string> weakened_settings(const ProviderOptions& options);

// A renewal, a renewal that cannot be used yet, or a coming expiry, in a sentence.
std::string describe_provider_event(const ProviderEvent& event);

}  // namespace rolesanywhere::cli
