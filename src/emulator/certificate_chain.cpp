#include "certificate_chain.hpp"

#include "rolesanywhere/doctor.hpp"

namespace rolesanywhere::emulator {

std::optional<std::string> chain_problem(X509* leaf, const std::vector<X509Ptr>& intermediates,
                                         const std::vector<X509Ptr>& anchors, TimePoint now) {
  // The remedies name where a requester puts what is missing, and the emulator's own flag.
  doctor::Labels labels;
  labels.intermediates = "X-Amz-X509-Chain";
  labels.trust_anchor_certificate = "--ca";
  // Copies, one set per request: the connection threads would otherwise verify against the same
  // X509 objects, whose first verification fills OpenSSL's lazy extension cache without a lock
  // that ThreadSanitizer can see (two first CreateSessions at once are reported as a race).
  std::vector<X509Ptr> own_anchors;
  own_anchors.reserve(anchors.size());
  for (const X509Ptr& anchor : anchors) {
    X509Ptr copy(X509_dup(anchor.get()));
    if (!copy) return "the emulator could not copy its trust anchor certificate (out of memory)";
    own_anchors.push_back(std::move(copy));
  }
  const doctor::Findings findings =
      doctor::check_certificates(leaf, intermediates, own_anchors, now, labels);
  const doctor::Finding* problem = doctor::first_problem(findings);
  if (!problem) return std::nullopt;
  return problem->what + (problem->remedy.empty() ? "" : "; " + problem->remedy) +
         " [doctor: " + problem->id + "]";
}

}  // namespace rolesanywhere::emulator
