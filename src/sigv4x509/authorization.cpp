// The Authorization header of SigV4-X509, written and read back.
//
//   AWS4-X509-RSA-SHA256 Credential=<serial>/<yyyymmdd>/<region>/rolesanywhere/aws4_request,
//   SignedHeaders=<h1;h2;...>, Signature=<lower-case hex>
//
// The parser serves the verifying emulator, so it is strict: anything this signer (or the
// official helper) would not produce is refused rather than guessed at.
#include "rolesanywhere/sigv4x509.hpp"

#include <algorithm>

namespace rolesanywhere::sigv4x509 {

std::string authorization_header(Algorithm algorithm, std::string_view serial_decimal,
                                 std::string_view scope, std::string_view signed_headers,
                                 std::string_view signature_hex) {
  std::string out;
  out += algorithm_name(algorithm);
  out += " Credential=";
  out += serial_decimal;
  out.push_back('/');
  out += scope;
  out += ", SignedHeaders=";
  out += signed_headers;
  out += ", Signature=";
  out += signature_hex;
  return out;
}

namespace {

// A 20-octet serial (RFC 5280's maximum) has at most 49 decimal digits; leave some slack for
// non-conforming CAs without accepting unbounded input.
constexpr std::size_t kMaxSerialDigits = 64;
// An 8192-bit RSA signature is 1024 bytes.
constexpr std::size_t kMaxSignatureHex = 2048;

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_lower_hex(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'f'); }
bool is_scope_char(char c) noexcept { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-'; }
// Header names as they appear in a canonical request: lower-case RFC 7230 tokens.
bool is_header_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || is_digit(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

template <typename Pred>
bool all_of(std::string_view text, Pred pred) {
  return std::all_of(text.begin(), text.end(), pred);
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto at = text.find(separator, start);
    parts.push_back(text.substr(start, at == std::string_view::npos ? text.npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

bool is_plausible_date8(std::string_view date) {
  if (date.size() != 8 || !all_of(date, is_digit)) return false;
  const int month = (date[4] - '0') * 10 + (date[5] - '0');
  const int day = (date[6] - '0') * 10 + (date[7] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// "<serial>/<date>/<region>/<service>/aws4_request"
bool parse_credential(std::string_view credential, ParsedAuthorization& out) {
  const auto parts = split(credential, '/');
  if (parts.size() != 5) return false;
  const auto serial = parts[0];
  if (serial.empty() || serial.size() > kMaxSerialDigits || !all_of(serial, is_digit)) return false;
  if (!is_plausible_date8(parts[1])) return false;
  for (auto part : {parts[2], parts[3]})
    if (part.empty() || !all_of(part, is_scope_char)) return false;
  if (parts[4] != "aws4_request") return false;
  out.serial = serial;
  out.date = parts[1];
  out.region = parts[2];
  out.service = parts[3];
  out.terminator = parts[4];
  return true;
}

// "h1;h2": non-empty lower-case names in strictly ascending order, which is how a canonical
// request lists them; anything else cannot have come from a SigV4 signer.
bool parse_signed_headers(std::string_view list, ParsedAuthorization& out) {
  if (list.empty()) return false;
  std::vector<std::string> names;
  for (auto name : split(list, ';')) {
    if (name.empty() || !all_of(name, is_header_name_char)) return false;
    if (!names.empty() && !(names.back() < name)) return false;
    names.emplace_back(name);
  }
  out.signed_headers = std::move(names);
  return true;
}

bool parse_signature(std::string_view hex, ParsedAuthorization& out) {
  if (hex.empty() || hex.size() % 2 != 0 || hex.size() > kMaxSignatureHex ||
      !all_of(hex, is_lower_hex))
    return false;
  out.signature_hex = hex;
  return true;
}

}  // namespace

std::optional<ParsedAuthorization> parse_authorization(std::string_view header) {
  const auto space = header.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto algorithm = parse_algorithm(header.substr(0, space));
  if (!algorithm) return std::nullopt;

  ParsedAuthorization parsed{};
  parsed.algorithm = *algorithm;

  // The three parts in SigV4's order, each exactly once, separated by "," and optional spaces
  // (SigV4 signers write ", "; some write ","). Nothing else is allowed, not even trailing text.
  constexpr std::string_view kKeys[] = {"Credential=", "SignedHeaders=", "Signature="};
  const auto parts = split(header.substr(space + 1), ',');
  if (parts.size() != std::size(kKeys)) return std::nullopt;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto part = parts[i];
    if (i > 0) part.remove_prefix(std::min(part.find_first_not_of(' '), part.size()));
    if (!part.starts_with(kKeys[i])) return std::nullopt;
    part.remove_prefix(kKeys[i].size());
    const bool ok = i == 0   ? parse_credential(part, parsed)
                    : i == 1 ? parse_signed_headers(part, parsed)
                             : parse_signature(part, parsed);
    if (!ok) return std::nullopt;
  }
  return parsed;
}

}  // namespace rolesanywhere::sigv4x509
