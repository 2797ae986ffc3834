// What the single serve and the fleet (serve --config) share in front of their bindings: the
// status pages, answered before any credentials path, and the server's options from serve's.
#pragma once

#include "endpoint_handler.hpp"
#include "endpoint_server.hpp"
#include "status_pages.hpp"

#include "rolesanywhere/credential_service.hpp"
#include "rolesanywhere/serve.hpp"

#include <functional>
#include <optional>
#include <vector>

namespace rolesanywhere::serve {

// The answer to a request for /healthz (or /metrics, when enabled), after the cross-site rules
// that every path keeps; nullopt for any other path. `statuses` is asked only for those pages.
std::optional<HttpResponse> answer_status_request(
    const HttpRequest& request, TimePoint now, bool any_host, bool metrics,
    const std::function<std::vector<BindingStatus>()>& statuses);

// What a binding's handler serves, read from its credential service at each request.
CredentialsSupplier credentials_supplier(const CredentialService& credentials);

// The libmicrohttpd server's options for serve's: the hop limit (64 on loopback, 1 off it unless
// given), --debug, and the warnings an operator should see.
EndpointServerOptions endpoint_server_options(const ServeOptions& options,
                                              const ListeningEndpoint& endpoint,
                                              std::function<void(const std::string&)> warn);

}  // namespace rolesanywhere::serve
