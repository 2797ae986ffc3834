// Would the service trust the signing certificate and its chain at the given time? The rules are
// doctor's (doctor.hpp): the emulator refuses exactly what doctor calls a problem.
#pragma once

#include "rolesanywhere/clock.hpp"
#include "rolesanywhere/openssl_ptr.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rolesanywhere::emulator {

// nullopt when `leaf` passes every certificate rule (doctor::check_certificates) with
// `intermediates` as sent (in any order) and `anchors` as the trust anchor; otherwise the first
// problem, what was found and what to do, with doctor's id for it ("[doctor: chain.anchor]").
// An anchor may itself be an intermediate CA: the chain may stop at any configured certificate.
std::optional<std::string> chain_problem(X509* leaf, const std::vector<X509Ptr>& intermediates,
                                         const std::vector<X509Ptr>& anchors, TimePoint now);

}  // namespace rolesanywhere::emulator
