// Signing a whole request: the X.509 headers are added first so that they are signed too, then
// the Authorization header is computed over everything the transport will send unchanged.
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/sigv4x509.hpp"
#include "rolesanywhere/text.hpp"

#include <algorithm>
#include <cctype>

namespace rolesanywhere::sigv4x509 {

namespace {

bool is_decimal(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

void check_params(const HttpRequest& request, const SigningParams& params) {
  if (!is_decimal(params.serial_decimal))
    throw Error(Error::Kind::kInvalidArgument,
                "certificate serial number must be a non-empty decimal number for signing");
  if (params.certificate_b64.empty())
    throw Error(Error::Kind::kInvalidArgument, "no certificate to put in X-Amz-X509");
  if (params.region.empty()) throw Error(Error::Kind::kInvalidArgument, "no region to sign for");
  // The service signs Host; a request without it would be refused after a round trip, so catch
  // the bug here.
  if (!request.header("Host"))
    throw Error(Error::Kind::kInternal, "request to sign has no Host header");
}

// Proxies and HTTP libraries may rewrite User-Agent, and Authorization is what we are computing.
bool is_unsigned_header(std::string_view name) {
  return iequals(name, "Authorization") || iequals(name, "User-Agent");
}

std::vector<std::string> names_to_sign(const HttpRequest& request) {
  std::vector<std::string> names;
  for (const auto& header : request.headers) {
    if (is_unsigned_header(header.name)) continue;
    names.push_back(to_lower(header.name));
  }
  return names;
}

}  // namespace

std::string sign_request(HttpRequest& request, const SigningParams& params,
                         const SignFunction& sign) {
  check_params(request, params);

  const auto date_time = amz_date(params.now);
  request.set_header("X-Amz-Date", date_time);
  request.set_header("X-Amz-X509", params.certificate_b64);
  if (params.chain_b64.empty()) {
    // A request signed again (a retry) must not keep a chain it no longer claims.
    std::erase_if(request.headers,
                  [](const HttpHeader& h) { return iequals(h.name, "X-Amz-X509-Chain"); });
  } else {
    request.set_header("X-Amz-X509-Chain", params.chain_b64);
  }
  std::erase_if(request.headers,
                [](const HttpHeader& h) { return iequals(h.name, "Authorization"); });

  CanonicalOptions options;
  options.normalize_path = true;
  options.names_to_sign = names_to_sign(request);
  const auto canonical = canonical_request(request, options);
  const auto signed_headers = canonical_headers(request.headers, options.names_to_sign);

  const auto scope = credential_scope(scope_date(params.now), params.region);
  const auto to_sign = string_to_sign(params.algorithm, date_time, scope, canonical);
  const auto signature = sign(to_sign);
  if (signature.empty())
    throw Error(Error::Kind::kCrypto, "the private key produced an empty signature");

  request.set_header("Authorization",
                     authorization_header(params.algorithm, params.serial_decimal, scope,
                                          signed_headers.signed_headers, hex_encode(signature)));
  return canonical;
}

}  // namespace rolesanywhere::sigv4x509
