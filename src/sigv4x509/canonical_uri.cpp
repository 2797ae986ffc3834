// CanonicalURI of SigV4. Every service but S3 (so Roles Anywhere too) signs the path
// normalised and with each segment URI-encoded: the path arrives as sent on the request line,
// so an already-escaped "%2F" is encoded again into "%252F", which is SigV4's documented
// "double encoding" for non-S3 services.
#include "rolesanywhere/sigv4x509.hpp"

#include <vector>

namespace rolesanywhere::sigv4x509 {

namespace {

std::vector<std::string_view> split_on_slash(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (true) {
    const auto slash = path.find('/', start);
    segments.push_back(
        path.substr(start, slash == std::string_view::npos ? path.npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

// Dot segments resolved, empty segments (duplicate slashes) dropped; a trailing slash survives
// only if the raw path had one and something is left, as botocore and aws-c-auth do.
std::vector<std::string_view> normalized_segments(std::string_view path) {
  std::vector<std::string_view> kept;
  for (auto segment : split_on_slash(path)) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
      continue;
    }
    kept.push_back(segment);
  }
  return kept;
}

}  // namespace

std::string canonical_uri(std::string_view raw_path, bool normalize) {
  if (raw_path.empty()) return "/";
  std::string out;
  // Without normalisation slashes stay exactly where they were, empty segments and dots too.
  if (!normalize) return uri_encode(raw_path, /*encode_slash=*/false);
  const auto segments = normalized_segments(raw_path);
  for (auto segment : segments) {
    out.push_back('/');
    out += uri_encode(segment, /*encode_slash=*/true);
  }
  if (segments.empty()) return "/";
  if (raw_path.back() == '/') out.push_back('/');
  return out;
}

}  // namespace rolesanywhere::sigv4x509
