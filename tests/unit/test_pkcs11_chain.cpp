// The chain sent with a token certificate: only certificates that issue the leaf, checked by
// name and by signature; never the leaf, a root, or unrelated certificates.
#include "pkcs11/pkcs11_detail.hpp"
#include "test_identity_fixtures.hpp"

#include <doctest/doctest.h>

using namespace rolesanywhere;
using identity_test::pki;
using identity_test::read_certificate;

namespace {

std::vector<X509*> raw(const std::vector<X509Ptr>& certificates) {
  std::vector<X509*> pointers;
  for (const X509Ptr& certificate : certificates) pointers.push_back(certificate.get());
  return pointers;
}

}  // namespace

TEST_CASE("pkcs11 chain: only the intermediate that issued the leaf is chosen") {
  std::vector<X509Ptr> token;
  token.push_back(read_certificate(pki("p256.crt.pem")));     // the leaf itself
  token.push_back(read_certificate(pki("rsa2048.crt.pem")));  // another leaf
  token.push_back(read_certificate(pki("other-ca.pem")));     // unrelated CA
  token.push_back(read_certificate(pki("root-ca.pem")));      // the root: the anchor holds it
  token.push_back(read_certificate(pki("intermediate-ca.pem")));
  X509Ptr leaf = read_certificate(pki("p256.crt.pem"));

  std::vector<X509Ptr> chain = pkcs11_detail::issuer_chain(leaf.get(), raw(token));
  REQUIRE(chain.size() == 1);
  CHECK(X509_cmp(chain[0].get(), token[4].get()) == 0);
}

TEST_CASE("pkcs11 chain: a certificate issued by the root directly gets no chain") {
  std::vector<X509Ptr> token;
  token.push_back(read_certificate(pki("intermediate-ca.pem")));
  token.push_back(read_certificate(pki("root-ca.pem")));
  X509Ptr leaf = read_certificate(pki("direct-p256.crt.pem"));
  CHECK(pkcs11_detail::issuer_chain(leaf.get(), raw(token)).empty());
  CHECK(pkcs11_detail::issuer_chain(leaf.get(), {}).empty());
}

TEST_CASE("pkcs11 chain: a CA with the issuer's name but another key is not the issuer") {
  // Same subject as the real intermediate, different key, signed by the unrelated CA.
  const std::string key = identity_test::scratch("impostor.key");
  const std::string certificate = identity_test::scratch("impostor.pem");
  identity_test::run(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + key +
      " -out " + certificate +
      " -subj '/CN=Test Intermediate CA/O=rolesanywhere-helper tests' -days 2 "
      "2>/dev/null");
  std::vector<X509Ptr> token;
  token.push_back(read_certificate(certificate));
  X509Ptr leaf = read_certificate(pki("p384.crt.pem"));
  X509Ptr impostor = read_certificate(certificate);
  REQUIRE(X509_NAME_cmp(X509_get_subject_name(impostor.get()), X509_get_issuer_name(leaf.get())) ==
          0);
  CHECK(pkcs11_detail::issuer_chain(leaf.get(), raw(token)).empty());

  token.push_back(read_certificate(pki("intermediate-ca.pem")));
  std::vector<X509Ptr> chain = pkcs11_detail::issuer_chain(leaf.get(), raw(token));
  REQUIRE(chain.size() == 1);
  CHECK(X509_cmp(chain[0].get(), token[1].get()) == 0);
}
