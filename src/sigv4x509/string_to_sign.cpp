// Credential scope and string to sign. SigV4-X509 keeps SigV4's layout; only the algorithm line
// differs, and the scope names the certificate's serial instead of an access key (see
// authorization.cpp).
#include "rolesanywhere/sigv4x509.hpp"

namespace rolesanywhere::sigv4x509 {

std::string credential_scope(std::string_view date8, std::string_view region,
                             std::string_view service) {
  std::string out;
  out += date8;
  out.push_back('/');
  out += region;
  out.push_back('/');
  out += service;
  out += "/aws4_request";
  return out;
}

std::string string_to_sign(Algorithm algorithm, std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  std::string out;
  out += algorithm_name(algorithm);
  out.push_back('\n');
  out += amz_date;
  out.push_back('\n');
  out += scope;
  out.push_back('\n');
  out += hex_sha256(canonical_request);
  return out;
}

}  // namespace rolesanywhere::sigv4x509
