// --online: one real CreateSession through the provider, as credential-process makes it. What it
// says: that credentials were issued (for which role, until when, never the credentials), or
// what the refusal means given the local findings; and the clock against the answer's Date.
#pragma once

#include "identity_loading.hpp"
#include "rolesanywhere/doctor.hpp"
#include "rolesanywhere/session.hpp"

#include <memory>

namespace rolesanywhere::doctor_detail {

// Appends clock and online. `transport` null: libcurl with `transport_options`.
void check_online(LoadedIdentity& loaded, const CreateSessionParams& params,
                  const TransportOptions& transport_options,
                  std::unique_ptr<HttpTransport> transport, const Clock& clock,
                  const DebugSink& debug, const doctor::Labels& labels, doctor::Findings& findings);

}  // namespace rolesanywhere::doctor_detail
