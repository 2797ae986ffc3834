// RFC 3986 percent-encoding as SigV4 wants it; shared by the path and query canonicalisers.
// Private to src/sigv4x509.
#pragma once

#include <string>
#include <string_view>

namespace rolesanywhere::sigv4x509::detail {

// Keeps A-Z a-z 0-9 - . _ ~ and encodes every other byte as %XY (upper-case hex), so '/' too:
// callers that keep '/' encode segment by segment.
std::string percent_encode(std::string_view bytes);

// Turns %XY into its byte. A '%' not followed by two hex digits stays a literal '%' (and is then
// re-encoded as %25): canonicalisation must describe any request it is given, not reject it.
// '+' is an ordinary character here (RFC 3986), not a space as in HTML forms.
std::string percent_decode(std::string_view text);

}  // namespace rolesanywhere::sigv4x509::detail
