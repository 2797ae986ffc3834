// Percent-decoding as SigV4 canonicalisation wants it; shared by the path and query
// canonicalisers. Private to src/sigv4x509 (encoding is the public sigv4x509::uri_encode).
#pragma once

#include <string>
#include <string_view>

namespace rolesanywhere::sigv4x509::detail {

// Turns %XY into its byte. A '%' not followed by two hex digits stays a literal '%' (and is then
// re-encoded as %25): canonicalisation must describe any request it is given, not reject it.
// '+' is an ordinary character here (RFC 3986), not a space as in HTML forms.
std::string percent_decode(std::string_view text);

}  // namespace rolesanywhere::sigv4x509::detail
