// PKCS#12 (.p12/.pfx): a private key, its certificate and the chain in one password-protected
// file. The MAC is checked first, so a wrong or missing password gets its own message instead of
// OpenSSL's "mac verify failure".
#include "identity_detail.hpp"
#include "rolesanywhere/error.hpp"

#include <openssl/err.h>

namespace rolesanywhere::identity_detail {
namespace {

struct X509StackDeleter {
  void operator()(STACK_OF(X509) * stack) const noexcept { sk_X509_pop_free(stack, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

Pkcs12Ptr decode_pkcs12(std::string_view bytes) {
  if (looks_like_pem(bytes)) return nullptr;
  const auto* cursor = reinterpret_cast<const unsigned char*>(bytes.data());
  Pkcs12Ptr p12(d2i_PKCS12(nullptr, &cursor, static_cast<long>(bytes.size())));
  ERR_clear_error();
  return p12;
}

const char* checked_password(PKCS12* p12, const SecretString& password, const std::string& label) {
  const std::string& text = password.reveal();
  if (PKCS12_mac_present(p12) &&
      PKCS12_verify_mac(p12, text.c_str(), static_cast<int>(text.size())) != 1) {
    ERR_clear_error();
    throw Error(Error::Kind::kInput, "wrong password for " + label);
  }
  return text.c_str();
}

// The password that opens the file: the one known, or the empty one (both spellings OpenSSL
// knows: no password at all and the empty string), or else the one the provider is asked for.
// nullptr means "no password", which PKCS12_parse accepts. The pointer lives as long as
// `password`.
const char* password_that_opens(PKCS12* p12, KeyPassword& password, const std::string& label) {
  if (password.known()) return checked_password(p12, *password.known(), label);
  if (!PKCS12_mac_present(p12) || PKCS12_verify_mac(p12, nullptr, 0) == 1) return nullptr;
  if (PKCS12_verify_mac(p12, "", 0) == 1) return "";
  ERR_clear_error();
  if (const auto& answer = password.get(label)) return checked_password(p12, *answer, label);
  throw password.missing(label);
}

}  // namespace

bool looks_like_pkcs12(std::string_view bytes) { return decode_pkcs12(bytes) != nullptr; }

PrivateKeyFile parse_pkcs12(std::string_view bytes, KeyPassword& password,
                            const std::string& label) {
  Pkcs12Ptr p12 = decode_pkcs12(bytes);
  if (!p12) throw Error(Error::Kind::kInput, label + " is not a PKCS#12 file");
  const char* pass = password_that_opens(p12.get(), password, label);

  EVP_PKEY* raw_key = nullptr;
  X509* raw_leaf = nullptr;
  STACK_OF(X509)* raw_chain = nullptr;
  const int parsed = PKCS12_parse(p12.get(), pass, &raw_key, &raw_leaf, &raw_chain);
  EvpPkeyPtr key(raw_key);
  X509Ptr leaf(raw_leaf);
  X509StackPtr chain_stack(raw_chain);
  if (parsed != 1) {
    throw Error(Error::Kind::kInput,
                label + " is a PKCS#12 file that cannot be read: " + openssl_error_text());
  }

  PrivateKeyFile file{std::move(key), std::nullopt};
  if (leaf) {
    std::vector<X509Ptr> chain;
    // PKCS12_parse hands back the certificates in the order they are stored in the file.
    while (sk_X509_num(chain_stack.get()) > 0) chain.emplace_back(sk_X509_shift(chain_stack.get()));
    CertificateBundle bundle;
    bundle.chain = without_leaf(std::move(chain), leaf.get());
    bundle.leaf = std::move(leaf);
    file.certificates = std::move(bundle);
  }
  return file;
}

}  // namespace rolesanywhere::identity_detail
