// PKCS#12 files from bytes (src/identity/identity_detail.hpp), as --certificate or
// --private-key: the MAC checked with no password, the empty one, then the provider's (the test
// PKI's password, as a terminal prompt would answer).
//
// Input: the file's bytes.
//
// Invariants: a failure is Error and never shows the password; the chain never repeats the
// leaf; a key that came with a certificate is checked against it and used as the helper would.
#include "identity_support.hpp"

#include <openssl/x509.h>

using namespace rolesanywhere;
using namespace rolesanywhere::identity_detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = fuzz::as_text(data, size);
  KeyPassword password = fuzz::asking_key_password();
  try {
    const PrivateKeyFile file = parse_pkcs12(bytes, password, "--certificate fuzz.p12");
    if (file.certificates) {
      const CertificateBundle& bundle = *file.certificates;
      fuzz::check(bundle.leaf != nullptr, "a PKCS#12 bundle has a leaf");
      for (const X509Ptr& certificate : bundle.chain)
        fuzz::check(X509_cmp(certificate.get(), bundle.leaf.get()) != 0,
                    "the chain does not repeat the leaf");
      fuzz::use_certificate(bundle.leaf.get());
      if (file.key) (void)key_matches_certificate(file.key.get(), bundle.leaf.get());
    }
    if (file.key) fuzz::use_key(file.key.get());
  } catch (const Error& error) {
    fuzz::check_key_error(error);
  }
  return 0;
}
