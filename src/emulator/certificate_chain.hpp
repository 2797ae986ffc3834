// Does the signing certificate chain up to the trust anchor at the given time?
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/openssl_ptr.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rolesanywhere::emulator {

// nullopt when `leaf` is an end-entity certificate that chains to one of `anchors` through
// `intermediates` (in any order) and every certificate on the way is valid at `now`;
// otherwise a sentence saying what failed, naming the certificate and OpenSSL's verify error.
// An anchor may itself be an intermediate CA: the chain may stop at any configured certificate.
std::optional<std::string> chain_problem(X509* leaf, const std::vector<X509Ptr>& intermediates,
                                         const std::vector<X509Ptr>& anchors, TimePoint now);

}  // namespace rolesanywhere::emulator
