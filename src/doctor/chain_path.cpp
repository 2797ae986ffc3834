#include "chain_path.hpp"

#include "x509_facts.hpp"

#include <optional>

namespace rolesanywhere::doctor_detail {

namespace {

// Among `candidates` (skipping those `taken`), the one named as `child`'s issuer, preferring one
// whose key verifies the signature: two CA certificates may share a name (a CA reissued with a
// new key), and the one that really signed is the one the path goes through.
std::optional<std::size_t> issuer_index(X509* child, const std::vector<X509Ptr>& candidates,
                                        const std::vector<bool>* taken) {
  std::optional<std::size_t> by_name;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (taken && (*taken)[i]) continue;
    X509* candidate = candidates[i].get();
    if (candidate == child || X509_cmp(candidate, child) == 0) continue;
    if (X509_NAME_cmp(X509_get_subject_name(candidate), X509_get_issuer_name(child)) != 0) continue;
    if (signed_by(child, candidate)) return i;
    if (!by_name) by_name = i;
  }
  return by_name;
}

bool is_one_of(X509* certificate, const std::vector<X509Ptr>& list) {
  for (const auto& item : list)
    if (X509_cmp(item.get(), certificate) == 0) return true;
  return false;
}

}  // namespace

ChainPath build_chain_path(X509* leaf, const std::vector<X509Ptr>& intermediates,
                           const std::vector<X509Ptr>& anchors) {
  ChainPath path;
  path.certificates.push_back(leaf);
  if (is_one_of(leaf, anchors)) {
    path.end = ChainPath::End::kAnchor;
    return path;
  }
  std::vector<bool> taken(intermediates.size(), false);
  X509* current = leaf;
  while (path.certificates.size() < kMaxPathLength) {
    if (const auto anchor = issuer_index(current, anchors, nullptr)) {
      path.certificates.push_back(anchors[*anchor].get());
      path.end = ChainPath::End::kAnchor;
      return path;
    }
    if (self_issued(current)) {
      path.end = ChainPath::End::kForeignRoot;
      return path;
    }
    const auto next = issuer_index(current, intermediates, &taken);
    if (!next) {
      path.end = ChainPath::End::kMissingIssuer;
      path.missing_issuer = issuer(current);
      return path;
    }
    taken[*next] = true;
    path.used.push_back(*next);
    current = intermediates[*next].get();
    path.certificates.push_back(current);
  }
  path.end = ChainPath::End::kTooLong;
  return path;
}

}  // namespace rolesanywhere::doctor_detail
