// The SigV4 canonical request: the exact bytes whose hash the signature covers.
#include "rolesanywhere/sigv4x509.hpp"

namespace rolesanywhere::sigv4x509 {

std::string canonical_request(const HttpRequest& request, const CanonicalOptions& options) {
  const auto headers = canonical_headers(request.headers, options.names_to_sign);
  std::string out;
  out += request.method;
  out.push_back('\n');
  out += canonical_uri(request.path, options.normalize_path);
  out.push_back('\n');
  out += canonical_query(request.query);
  out.push_back('\n');
  out += headers.block;  // each line ends in '\n', so an empty line follows the block
  out.push_back('\n');
  out += headers.signed_headers;
  out.push_back('\n');
  out += hex_sha256(request.body);
  return out;
}

}  // namespace rolesanywhere::sigv4x509
