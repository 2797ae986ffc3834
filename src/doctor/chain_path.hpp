// The path from a leaf to a trust anchor, built the way a person reasons about it (by issuer
// name, preferring the candidate whose key verifies the signature), so that when it breaks the
// rules can say where and why: a missing issuer, a root that is not the anchor, a wrong key.
#pragma once

#include "rolesanywhere/openssl_ptr.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace rolesanywhere::doctor_detail {

struct ChainPath {
  enum class End {
    kAnchor,         // the last certificate is one of the anchors
    kForeignRoot,    // the last certificate is self-issued and not an anchor
    kMissingIssuer,  // nobody given carries the last certificate's issuer name
    kTooLong,        // more than kMaxPathLength certificates: a loop, or a pathological chain
  };
  std::vector<X509*> certificates;  // the leaf first, then each issuer found
  std::vector<std::size_t> used;    // indexes into the intermediates, in path order
  End end = End::kMissingIssuer;
  std::string missing_issuer;  // kMissingIssuer: the name no certificate given carries
};

inline constexpr std::size_t kMaxPathLength = 16;

ChainPath build_chain_path(X509* leaf, const std::vector<X509Ptr>& intermediates,
                           const std::vector<X509Ptr>& anchors);

}  // namespace rolesanywhere::doctor_detail
