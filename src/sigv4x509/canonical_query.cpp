// CanonicalQueryString of SigV4: every parameter decoded and re-encoded the one SigV4 way
// (so "%7e", "~" and "%7E" sign the same), sorted by encoded name and then encoded value.
#include "percent_encoding.hpp"
#include "rolesanywhere/sigv4x509.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace rolesanywhere::sigv4x509 {

std::string canonical_query(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> parameters;
  std::size_t start = 0;
  while (start <= raw_query.size()) {
    auto end = raw_query.find('&', start);
    if (end == std::string_view::npos) end = raw_query.size();
    const auto piece = raw_query.substr(start, end - start);
    start = end + 1;
    if (piece.empty()) continue;  // "a=1&&b=2": nothing between the separators
    const auto equals = piece.find('=');
    const auto name = piece.substr(0, equals);
    const auto value =
        equals == std::string_view::npos ? std::string_view{} : piece.substr(equals + 1);
    parameters.emplace_back(uri_encode(detail::percent_decode(name), /*encode_slash=*/true),
                            uri_encode(detail::percent_decode(value), /*encode_slash=*/true));
  }
  std::sort(parameters.begin(), parameters.end());

  std::string out;
  for (const auto& [name, value] : parameters) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');  // SigV4 keeps the '=' even when the value is empty
    out += value;
  }
  return out;
}

}  // namespace rolesanywhere::sigv4x509
