// Loading identities from every supported file format, and the signatures they make.
#include "test_identity_fixtures.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

using namespace rolesanywhere;
using namespace identity_test;

namespace {

constexpr std::string_view kMessage = "AWS4-X509-RSA-SHA256\n20240101T000000Z\nscope\nhash";

void check_signs(const Identity& identity) {
  for (Digest digest : {Digest::kSha256, Digest::kSha384, Digest::kSha512}) {
    const std::vector<std::uint8_t> signature = identity.sign(kMessage, digest);
    CHECK(signature_verifies(identity.certificate(), kMessage, signature, digest));
    // The check can fail: a different message does not verify.
    CHECK_FALSE(signature_verifies(identity.certificate(), "other", signature, digest));
  }
}

bool same_certificate(X509* a, X509* b) { return X509_cmp(a, b) == 0; }

}  // namespace

TEST_CASE("identity: every key format of RSA and EC loads and signs verifiably") {
  for (const std::string kind : {"rsa2048", "p256"}) {
    struct Case {
      std::string key_file;
      std::optional<std::string> password;
    };
    const std::vector<Case> cases{
        {kind + ".key.pem", std::nullopt},
        {kind + ".key.pkcs8.der", std::nullopt},
        {kind + ".key.traditional.pem", std::nullopt},
        {kind + ".key.traditional.der", std::nullopt},
        {kind + ".key.enc-pbkdf2.pem", kPassword},
        {kind + ".key.enc-pbkdf2.der", kPassword},
        {kind + ".key.enc-scrypt.pem", kPassword},
        {kind + ".p12", kPassword},
        {kind + ".nopass.p12", std::nullopt},
    };
    for (const Case& c : cases) {
      CAPTURE(c.key_file);
      const Identity identity = load(pki(kind + ".crt.pem"), pki(c.key_file), "", c.password);
      CHECK(identity.key_type() == (kind == "p256" ? KeyType::kEc : KeyType::kRsa));
      CHECK(identity.signing_algorithm() == (kind == "p256" ? sigv4x509::Algorithm::kEcdsaSha256
                                                            : sigv4x509::Algorithm::kRsaSha256));
      check_signs(identity);
    }
  }
}

TEST_CASE("identity: every supported RSA size and EC curve, certificate PEM or DER") {
  for (const std::string kind : {"rsa2048", "rsa3072", "rsa4096", "p256", "p384", "p521"}) {
    CAPTURE(kind);
    const Identity from_pem = load(pki(kind + ".crt.pem"), pki(kind + ".key.pem"));
    const Identity from_der = load(pki(kind + ".crt.der"), pki(kind + ".key.pem"));
    CHECK(same_certificate(from_pem.certificate(), from_der.certificate()));
    CHECK(from_pem.chain().empty());
    check_signs(from_der);
  }
}

TEST_CASE("identity: RSA signatures are PKCS#1 v1.5 of the key's size, EC signatures are DER") {
  const Identity rsa = load(pki("rsa3072.crt.pem"), pki("rsa3072.key.pem"));
  const std::vector<std::uint8_t> rsa_signature = rsa.sign(kMessage);
  CHECK(rsa_signature.size() == 384);
  // PKCS#1 v1.5 is deterministic, unlike PSS: the same input gives the same signature.
  CHECK(rsa.sign(kMessage) == rsa_signature);

  const Identity ec = load(pki("p384.crt.pem"), pki("p384.key.pem"));
  const std::vector<std::uint8_t> ec_signature = ec.sign(kMessage);
  const unsigned char* cursor = ec_signature.data();
  std::unique_ptr<ECDSA_SIG, OpensslDeleter<ECDSA_SIG_free>> parsed(
      d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(ec_signature.size())));
  CHECK(parsed != nullptr);
  CHECK(cursor == ec_signature.data() + ec_signature.size());
}

TEST_CASE("identity: the chain follows the leaf in a full-chain file, in order") {
  const Identity identity = load(pki("p384.fullchain.pem"), pki("p384.key.pem"));
  const X509Ptr intermediate = read_certificate(pki("intermediate-ca.pem"));
  REQUIRE(identity.chain().size() == 1);
  CHECK(same_certificate(identity.chain()[0].get(), intermediate.get()));
  CHECK(same_certificate(identity.certificate(), read_certificate(pki("p384.crt.pem")).get()));

  // A longer file keeps its order: leaf, intermediate, root.
  const std::string three =
      write_file("leaf-intermediate-root.pem",
                 read_file(pki("p384.fullchain.pem")) + read_file(pki("root-ca.pem")));
  const CertificateBundle bundle = load_certificate_file(three);
  REQUIRE(bundle.chain.size() == 2);
  CHECK(same_certificate(bundle.chain[0].get(), intermediate.get()));
  CHECK(same_certificate(bundle.chain[1].get(), read_certificate(pki("root-ca.pem")).get()));
}

TEST_CASE("identity: --intermediates replaces the chain and keeps the bundle's order") {
  const X509Ptr intermediate = read_certificate(pki("intermediate-ca.pem"));
  const X509Ptr root = read_certificate(pki("root-ca.pem"));
  const std::string root_first =
      write_file("root-then-intermediate.pem",
                 read_file(pki("root-ca.pem")) + read_file(pki("intermediates.pem")));

  const std::vector<X509Ptr> bundle = load_certificate_bundle_file(root_first);
  REQUIRE(bundle.size() == 2);
  CHECK(same_certificate(bundle[0].get(), root.get()));
  CHECK(same_certificate(bundle[1].get(), intermediate.get()));

  // Given --intermediates, the certificates after the leaf in --certificate are not used.
  const Identity identity = load(pki("rsa2048.fullchain.pem"), pki("rsa2048.key.pem"), root_first);
  REQUIRE(identity.chain().size() == 2);
  CHECK(same_certificate(identity.chain()[0].get(), root.get()));
  CHECK(same_certificate(identity.chain()[1].get(), intermediate.get()));

  const Identity plain =
      load(pki("rsa2048.crt.pem"), pki("rsa2048.key.pem"), pki("intermediates.pem"));
  REQUIRE(plain.chain().size() == 1);
  CHECK(same_certificate(plain.chain()[0].get(), intermediate.get()));
}

TEST_CASE(
    "identity: a PKCS#12 private key brings its leaf and chain unless --certificate is given") {
  const X509Ptr intermediate = read_certificate(pki("intermediate-ca.pem"));
  for (const std::string kind : {"rsa2048", "p256"}) {
    CAPTURE(kind);
    const X509Ptr leaf = read_certificate(pki(kind + ".crt.pem"));

    const Identity from_p12 = load("", pki(kind + ".p12"), "", kPassword);
    CHECK(same_certificate(from_p12.certificate(), leaf.get()));
    REQUIRE(from_p12.chain().size() == 1);
    CHECK(same_certificate(from_p12.chain()[0].get(), intermediate.get()));
    check_signs(from_p12);

    // --certificate wins over the PKCS#12's certificates, chain included.
    const Identity with_certificate = load(pki(kind + ".crt.der"), pki(kind + ".nopass.p12"));
    CHECK(with_certificate.chain().empty());

    // --intermediates wins over the PKCS#12's chain.
    const std::string root_only = pki("root-ca.pem");
    const Identity with_intermediates = load("", pki(kind + ".p12"), root_only, kPassword);
    REQUIRE(with_intermediates.chain().size() == 1);
    CHECK(same_certificate(with_intermediates.chain()[0].get(), read_certificate(root_only).get()));

    // The standalone loader reports what the PKCS#12 carried.
    const PrivateKeyFile file = load_private_key_file(pki(kind + ".p12"), SecretString(kPassword));
    REQUIRE(file.certificates.has_value());
    CHECK(same_certificate(file.certificates->leaf.get(), leaf.get()));
    CHECK(file.certificates->chain.size() == 1);
    CHECK_FALSE(load_private_key_file(pki(kind + ".key.pem"), std::nullopt).certificates);
  }
}

TEST_CASE(
    "identity: a PKCS#12 given as --certificate supplies the key when --private-key is absent") {
  const Identity identity = load(pki("p256.p12"), "", "", kPassword);
  CHECK(identity.key_type() == KeyType::kEc);
  REQUIRE(identity.chain().size() == 1);
  check_signs(identity);

  // With --private-key too, the PKCS#12 supplies only the certificates.
  const Identity with_key = load(pki("rsa2048.nopass.p12"), pki("rsa2048.key.traditional.pem"));
  CHECK(with_key.chain().size() == 1);
  check_signs(with_key);

  // A password-less PKCS#12 is readable as a plain certificate file.
  CHECK(load_certificate_file(pki("p256.nopass.p12")).chain.size() == 1);
}

TEST_CASE("identity: the leaf never appears in the chain") {
  const std::string leaf_pem = read_file(pki("rsa2048.crt.pem"));
  const X509Ptr leaf = read_certificate(pki("rsa2048.crt.pem"));
  const auto contains_leaf = [&](const std::vector<X509Ptr>& chain) {
    for (const X509Ptr& c : chain) {
      if (same_certificate(c.get(), leaf.get())) return true;
    }
    return false;
  };

  SUBCASE("repeated in the certificate file") {
    const std::string file =
        write_file("leaf-twice.pem", leaf_pem + leaf_pem + read_file(pki("intermediates.pem")));
    const Identity identity = load(file, pki("rsa2048.key.pem"));
    CHECK(identity.chain().size() == 1);
    CHECK_FALSE(contains_leaf(identity.chain()));
  }
  SUBCASE("inside --intermediates") {
    const std::string file =
        write_file("intermediates-with-leaf.pem", read_file(pki("intermediates.pem")) + leaf_pem);
    const Identity identity = load(pki("rsa2048.crt.pem"), pki("rsa2048.key.pem"), file);
    CHECK(identity.chain().size() == 1);
    CHECK_FALSE(contains_leaf(identity.chain()));
  }
  SUBCASE("inside a PKCS#12 whose extra certificates include the leaf") {
    const std::string p12 = scratch("leaf-in-extra-certs.p12");
    run("openssl pkcs12 -export -inkey '" + pki("rsa2048.key.pem") + "' -in '" +
        pki("rsa2048.crt.pem") + "' -certfile '" + pki("rsa2048.fullchain.pem") +
        "' -passout pass: -out '" + p12 + "'");
    const Identity identity = load("", p12);
    CHECK(same_certificate(identity.certificate(), leaf.get()));
    CHECK(identity.chain().size() == 1);
    CHECK_FALSE(contains_leaf(identity.chain()));
  }
  SUBCASE("handed to the Identity constructor") {
    std::vector<X509Ptr> chain;
    chain.push_back(read_certificate(pki("rsa2048.crt.pem")));
    chain.push_back(read_certificate(pki("intermediate-ca.pem")));
    PrivateKeyFile key = load_private_key_file(pki("rsa2048.key.pem"), std::nullopt);
    const Identity identity(read_certificate(pki("rsa2048.crt.pem")), std::move(chain),
                            std::move(key.key));
    CHECK(identity.chain().size() == 1);
    CHECK_FALSE(contains_leaf(identity.chain()));
    CHECK(identity.chain_base64().find(',') == std::string::npos);
  }
}

TEST_CASE("identity: a PEM key file may also hold the certificate and other blocks") {
  const std::string combined =
      write_file("cert-and-key.pem",
                 read_file(pki("p256.crt.pem")) + read_file(pki("p256.key.traditional.pem")));
  // The combined file works as both --certificate and --private-key.
  const Identity identity = load(combined, combined);
  check_signs(identity);
}

TEST_CASE("identity: files larger than one read load whole from disk and from a pipe") {
  // Text before the PEM blocks is ignored; it makes the files span several reads, so the
  // buffer growth of reading (reserved from the size, or grown while reading a pipe) is used.
  std::string padding;
  while (padding.size() < 40'000) padding += "padding line before the PEM blocks\n";
  const std::string key_text = padding + read_file(pki("rsa2048.key.pem"));
  const std::string certificate_text = padding + read_file(pki("rsa2048.fullchain.pem"));
  const std::string key_path = write_file("padded.key.pem", key_text);
  const std::string certificate_path = write_file("padded.crt.pem", certificate_text);
  const Identity from_disk = load(certificate_path, key_path);
  check_signs(from_disk);
  CHECK(from_disk.chain().size() == 1);

  const std::string fifo = scratch("key.fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::thread writer([&] {
    std::FILE* out = std::fopen(fifo.c_str(), "wb");
    if (!out) return;
    std::fwrite(key_text.data(), 1, key_text.size(), out);
    std::fclose(out);
  });
  // Should loading fail before it opens the pipe, the writer would wait for a reader forever:
  // open one then so the test reports the failure instead of hanging.
  struct JoinWriter {
    std::thread& thread;
    const std::string& path;
    ~JoinWriter() {
      const int unblock = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
      thread.join();
      if (unblock >= 0) ::close(unblock);
    }
  } join_writer{writer, fifo};
  check_signs(load(certificate_path, fifo));
}
