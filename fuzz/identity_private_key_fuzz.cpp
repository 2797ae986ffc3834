// Private keys from bytes (src/identity/identity_detail.hpp): --private-key in every format the
// helper reads (PKCS#1, SEC1, PKCS#8, encrypted PKCS#8, PEM or DER; PKCS#12 is passed on), with
// a password provider that answers the test PKI's password, as a terminal prompt would.
//
// Input: the file's bytes.
//
// Invariants: a failure is Error and never shows the password; a loaded key has its private
// half, and a supported one signs (and gives sign-string's fixed string).
#include "identity_support.hpp"

using namespace rolesanywhere;
using namespace rolesanywhere::identity_detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = fuzz::as_text(data, size);
  KeyPassword password = fuzz::asking_key_password();
  try {
    const PrivateKeyFile file = parse_private_key(bytes, password, "--private-key fuzz.key");
    fuzz::check(file.key != nullptr, "a parsed key file has a key");
    fuzz::use_key(file.key.get());
    if (file.certificates) {
      fuzz::check(file.certificates->leaf != nullptr, "a PKCS#12 bundle has a leaf");
      (void)key_matches_certificate(file.key.get(), file.certificates->leaf.get());
    }
  } catch (const Error& error) {
    fuzz::check_key_error(error);
  }
  return 0;
}
