// Certificates from bytes (src/identity/identity_detail.hpp): --certificate (PEM with its chain,
// or DER) and --intermediates (a PEM bundle), and everything read from them afterwards.
//
// Input: the file's bytes.
//
// Invariants: a failure is Error; a parsed bundle has a leaf, and its chain never holds the
// leaf again; every certificate fact (serial, names, validity, read-certificate-data's JSON)
// is computed without a crash.
#include "identity_support.hpp"

#include <openssl/x509.h>

using namespace rolesanywhere;
using namespace rolesanywhere::identity_detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = fuzz::as_text(data, size);
  try {
    const CertificateBundle bundle = parse_certificates(bytes, "--certificate fuzz.pem");
    fuzz::check(bundle.leaf != nullptr, "a parsed certificate file has a leaf");
    for (const X509Ptr& certificate : bundle.chain)
      fuzz::check(X509_cmp(certificate.get(), bundle.leaf.get()) != 0,
                  "the chain does not repeat the leaf");
    fuzz::use_certificate(bundle.leaf.get());
    for (const X509Ptr& certificate : bundle.chain) fuzz::use_certificate(certificate.get());
  } catch (const Error&) {
  }
  try {
    const std::vector<X509Ptr> bundle = parse_certificate_bundle(bytes, "--intermediates fuzz.pem");
    fuzz::check(!bundle.empty(), "a parsed bundle is never empty");
  } catch (const Error&) {
  }
  return 0;
}
