// Keeping web pages away from the endpoint. A page cannot set the IMDSv2 token header on a
// cross-origin request, but with DNS rebinding (its own name made to resolve to 127.0.0.1) its
// requests are same-origin: it can PUT for a token and read the credentials, unless the endpoint
// looks at the name the request was addressed to. SDKs address it by the IP literal or
// "localhost" of AWS_EC2_METADATA_SERVICE_ENDPOINT / AWS_CONTAINER_CREDENTIALS_FULL_URI, and never
// send Origin; browsers always send Host, and Origin on the requests that matter here.
#pragma once

#include "rolesanywhere/http.hpp"

#include <optional>
#include <string_view>

namespace rolesanywhere::serve {

// True when a Host header names an IP literal (IPv4 dotted quad, or IPv6 in brackets) or
// "localhost", with or without a port: a name no page can rebind.
bool host_is_address_or_localhost(std::string_view host);

// The 403 for a request addressed to a name other than an IP address or localhost (unless
// `any_host`: served off loopback, clients may use any name) or sent by a web page (Origin);
// nullopt for a request that may be answered. A request without Host is HTTP/1.0 from a program:
// browsers always send one.
std::optional<HttpResponse> cross_site_refusal(const HttpRequest& request, bool any_host);

}  // namespace rolesanywhere::serve
