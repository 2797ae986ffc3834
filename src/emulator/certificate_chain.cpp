#include "certificate_chain.hpp"

#include "der_codec.hpp"

#include <openssl/x509v3.h>

#include <memory>

namespace rolesanywhere::emulator {

namespace {

struct X509StackDeleter {
  // The stack only borrows its certificates; they belong to the caller's X509Ptrs.
  void operator()(STACK_OF(X509) * stack) const noexcept { sk_X509_free(stack); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

}  // namespace

std::optional<std::string> chain_problem(X509* leaf, const std::vector<X509Ptr>& intermediates,
                                         const std::vector<X509Ptr>& anchors, TimePoint now) {
  // A CA certificate must not sign requests: the real service wants an end-entity certificate.
  if (X509_check_ca(leaf) != 0)
    return "the signing certificate '" + certificate_subject(leaf) +
           "' is a CA certificate (basicConstraints CA:TRUE or keyCertSign); an end-entity "
           "certificate (CA:FALSE) must sign";

  X509StorePtr store(X509_STORE_new());
  X509StackPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr context(X509_STORE_CTX_new());
  if (!store || !untrusted || !context) return "out of memory while building the chain";
  for (const auto& anchor : anchors)
    if (X509_STORE_add_cert(store.get(), anchor.get()) != 1)
      return "cannot add a trust anchor certificate: " + openssl_error_text();
  for (const auto& intermediate : intermediates)
    if (!sk_X509_push(untrusted.get(), intermediate.get()))
      return "out of memory while building the chain";

  if (X509_STORE_CTX_init(context.get(), store.get(), leaf, untrusted.get()) != 1)
    return "cannot start chain verification: " + openssl_error_text();
  X509_STORE_CTX_set_time(context.get(), 0, std::chrono::system_clock::to_time_t(now));
  X509_STORE_CTX_set_flags(context.get(), X509_V_FLAG_PARTIAL_CHAIN);

  if (X509_verify_cert(context.get()) == 1) return std::nullopt;

  const int error = X509_STORE_CTX_get_error(context.get());
  const int depth = X509_STORE_CTX_get_error_depth(context.get());
  X509* culprit = X509_STORE_CTX_get_current_cert(context.get());
  std::string text = X509_verify_cert_error_string(error);
  text += " (OpenSSL verify error " + std::to_string(error) + " at depth " + std::to_string(depth);
  if (culprit) text += ", certificate '" + certificate_subject(culprit) + "'";
  text += ")";
  if (error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
      error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT)
    text +=
        "; send the intermediate CA certificates in X-Amz-X509-Chain, or check that --ca "
        "names the CA that issued this chain";
  return text;
}

}  // namespace rolesanywhere::emulator
