// The chain to send with a token certificate: only certificates that really issue it. Tokens
// often hold other certificates too (other identities, roots, unrelated CAs); sending those, or
// the leaf itself, as intermediates is wrong, so each link is checked by name and signature.
#include "pkcs11_detail.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace rolesanywhere::pkcs11_detail {
namespace {

constexpr std::size_t kMaxChainLength = 8;  // guards against issuer loops

bool issues(X509* issuer, X509* subject) {
  if (X509_check_issued(issuer, subject) != X509_V_OK) return false;
  EVP_PKEY* issuer_key = X509_get0_pubkey(issuer);
  const bool verified = issuer_key && X509_verify(subject, issuer_key) == 1;
  ERR_clear_error();
  return verified;
}

bool self_signed(X509* certificate) { return issues(certificate, certificate); }

}  // namespace

std::vector<X509Ptr> issuer_chain(X509* leaf, const std::vector<X509*>& candidates) {
  std::vector<X509Ptr> chain;
  X509* current = leaf;
  while (chain.size() < kMaxChainLength && !self_signed(current)) {
    X509* next = nullptr;
    for (X509* candidate : candidates) {
      if (X509_cmp(candidate, leaf) == 0 || X509_cmp(candidate, current) == 0) continue;
      bool already_in_chain = false;
      for (const X509Ptr& link : chain)
        if (X509_cmp(link.get(), candidate) == 0) already_in_chain = true;
      if (!already_in_chain && issues(candidate, current)) {
        next = candidate;
        break;
      }
    }
    // The trust anchor holds the root; a self-signed issuer ends the chain unsent.
    if (!next || self_signed(next)) break;
    X509_up_ref(next);
    chain.emplace_back(next);
    current = next;
  }
  return chain;
}

}  // namespace rolesanywhere::pkcs11_detail
