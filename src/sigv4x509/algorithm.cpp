#include "rolesanywhere/sigv4x509.hpp"

namespace rolesanywhere::sigv4x509 {

namespace {
constexpr std::string_view kRsaName = "AWS4-X509-RSA-SHA256";
constexpr std::string_view kEcdsaName = "AWS4-X509-ECDSA-SHA256";
}  // namespace

std::string_view algorithm_name(Algorithm algorithm) noexcept {
  return algorithm == Algorithm::kRsaSha256 ? kRsaName : kEcdsaName;
}

std::optional<Algorithm> parse_algorithm(std::string_view name) noexcept {
  // Exact and case-sensitive: the service compares the name as a literal.
  if (name == kRsaName) return Algorithm::kRsaSha256;
  if (name == kEcdsaName) return Algorithm::kEcdsaSha256;
  return std::nullopt;
}

}  // namespace rolesanywhere::sigv4x509
