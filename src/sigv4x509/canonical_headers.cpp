// CanonicalHeaders and SignedHeaders of SigV4.
#include "rolesanywhere/sigv4x509.hpp"
#include "rolesanywhere/text.hpp"

#include <algorithm>
#include <map>

namespace rolesanywhere::sigv4x509 {

namespace {

bool is_header_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Leading and trailing whitespace dropped and every inner run of it (an obs-folded line break
// included) turned into one space. SigV4 folds inside quoted strings too: the test suite's
// `"a   b   c"` signs as `"a b c"`.
std::string fold_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (is_header_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

CanonicalHeaders canonical_headers(const std::vector<HttpHeader>& headers,
                                   const std::vector<std::string>& names_to_sign) {
  std::vector<std::string> wanted;
  wanted.reserve(names_to_sign.size());
  for (const auto& name : names_to_sign) wanted.push_back(to_lower(name));
  const auto is_wanted = [&](const std::string& lower_name) {
    return wanted.empty() || std::find(wanted.begin(), wanted.end(), lower_name) != wanted.end();
  };

  // std::map sorts by lower-cased name (byte order, as SigV4 wants); repeated headers are joined
  // with ',' in the order they appear in the request, not sorted.
  std::map<std::string, std::string> joined;
  for (const auto& header : headers) {
    auto name = to_lower(header.name);
    if (!is_wanted(name)) continue;
    auto value = fold_value(header.value);
    auto [it, inserted] = joined.try_emplace(std::move(name), value);
    if (!inserted) {
      it->second.push_back(',');
      it->second += value;
    }
  }

  CanonicalHeaders result;
  for (const auto& [name, value] : joined) {
    result.block += name;
    result.block.push_back(':');
    result.block += value;
    result.block.push_back('\n');
    if (!result.signed_headers.empty()) result.signed_headers.push_back(';');
    result.signed_headers += name;
  }
  return result;
}

}  // namespace rolesanywhere::sigv4x509
