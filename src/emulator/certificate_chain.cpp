#include "certificate_chain.hpp"

#include "rolesanywhere/doctor.hpp"

namespace rolesanywhere::emulator {

std::optional<std::string> chain_problem(X509* leaf, const std::vector<X509Ptr>& intermediates,
                                         const std::vector<X509Ptr>& anchors, TimePoint now) {
  // The remedies name where a requester puts what is missing, and the emulator's own flag.
  doctor::Labels labels;
  labels.intermediates = "X-Amz-X509-Chain";
  labels.trust_anchor_certificate = "--ca";
  const doctor::Findings findings =
      doctor::check_certificates(leaf, intermediates, anchors, now, labels);
  const doctor::Finding* problem = doctor::first_problem(findings);
  if (!problem) return std::nullopt;
  return problem->what + (problem->remedy.empty() ? "" : "; " + problem->remedy) +
         " [doctor: " + problem->id + "]";
}

}  // namespace rolesanywhere::emulator
