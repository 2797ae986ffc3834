// SigV4-X509, the signing process of IAM Roles Anywhere: plain SigV4 canonicalisation, an
// X.509 credential scope and an RSA or ECDSA signature instead of an HMAC. Pure functions:
// no clock, no network, no key handles; the private-key operation is passed in.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/http.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rolesanywhere::sigv4x509 {

enum class Algorithm { kRsaSha256, kEcdsaSha256 };

// "AWS4-X509-RSA-SHA256" / "AWS4-X509-ECDSA-SHA256".
std::string_view algorithm_name(Algorithm algorithm) noexcept;
std::optional<Algorithm> parse_algorithm(std::string_view name) noexcept;

inline constexpr std::string_view kService = "rolesanywhere";

// --- canonicalisation (identical to SigV4; tested against the aws-c-auth v4 suite) ---

// RFC 3986 percent-encoding as SigV4 (and the AWS SDKs' query serializers) write it: keeps
// A-Z a-z 0-9 - . _ ~ and turns every other byte into %XY with upper-case hex, '/' included
// unless encode_slash is false (a path whose segments are encoded in place).
std::string uri_encode(std::string_view bytes, bool encode_slash);

// URI-encodes each path segment (RFC 3986 unreserved kept), and with normalize removes dot
// segments and duplicate slashes, as SigV4 does for every service but S3.
std::string canonical_uri(std::string_view raw_path, bool normalize);
// Decodes and re-encodes names and values, sorts by name then value, joins with '&'.
std::string canonical_query(std::string_view raw_query);

struct CanonicalHeaders {
  std::string block;  // "name:value\n" lines, names lower-cased and sorted, values trimmed,
                      // inner runs of spaces folded, duplicates joined with ','
  std::string signed_headers;  // "content-type;host;x-amz-date"
};
// Canonicalises every header given whose lower-cased name is in `names_to_sign`; an empty list
// means every header.
CanonicalHeaders canonical_headers(const std::vector<HttpHeader>& headers,
                                   const std::vector<std::string>& names_to_sign = {});

std::string hex_encode(const std::vector<std::uint8_t>& bytes);
std::string hex_sha256(std::string_view data);

struct CanonicalOptions {
  bool normalize_path = true;
  std::vector<std::string> names_to_sign;  // lower-case; empty: every header in the request
};
std::string canonical_request(const HttpRequest& request, const CanonicalOptions& options = {});

// --- scope, string to sign, Authorization ---

std::string amz_date(TimePoint t);    // "20150830T123600Z"
std::string scope_date(TimePoint t);  // "20150830"
// "<date>/<region>/<service>/aws4_request"
std::string credential_scope(std::string_view date8, std::string_view region,
                             std::string_view service = kService);
std::string string_to_sign(Algorithm algorithm, std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);
// "AWS4-X509-RSA-SHA256 Credential=<serial>/<scope>, SignedHeaders=<...>, Signature=<hex>"
std::string authorization_header(Algorithm algorithm, std::string_view serial_decimal,
                                 std::string_view scope, std::string_view signed_headers,
                                 std::string_view signature_hex);

struct ParsedAuthorization {
  Algorithm algorithm;
  std::string serial;  // what was in Credential= before the first '/'
  std::string date;    // scope parts
  std::string region;
  std::string service;
  std::string terminator;  // "aws4_request"
  std::vector<std::string> signed_headers;
  std::string signature_hex;
};
// For the verifier: nullopt when the header is not of the form above.
std::optional<ParsedAuthorization> parse_authorization(std::string_view header);

// --- signing a request ---

struct SigningParams {
  Algorithm algorithm;
  std::string serial_decimal;   // certificate serial, decimal
  std::string certificate_b64;  // DER, base64: the X-Amz-X509 header
  std::string chain_b64;        // comma-separated base64 DER intermediates, or empty
  std::string region;
  TimePoint now;
};
// Signs string-to-sign bytes with the private key; returns the raw signature (ECDSA: DER).
using SignFunction = std::function<std::vector<std::uint8_t>(std::string_view string_to_sign)>;

// Adds X-Amz-Date, X-Amz-X509, X-Amz-X509-Chain (when there is a chain) and Authorization.
// Signs every header present except Authorization and User-Agent (which proxies may rewrite).
// Returns the canonical request, for --debug.
std::string sign_request(HttpRequest& request, const SigningParams& params,
                         const SignFunction& sign);

}  // namespace rolesanywhere::sigv4x509
