// Every way loading an identity fails, and what the message says: the flag, the file, the problem,
// and never the password.
#include "test_identity_fixtures.hpp"

#include <doctest/doctest.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace rolesanywhere;
using namespace identity_test;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The error names the flag and path, says `phrase`, has the right kind and no password in it.
void check_error(const Error& error, const std::string& flag_and_path, const std::string& phrase,
                 Error::Kind kind = Error::Kind::kInput) {
  const std::string message = error.what();
  CAPTURE(message);
  CHECK(contains(message, flag_and_path));
  CHECK(contains(message, phrase));
  CHECK(error.kind() == kind);
  CHECK_FALSE(contains(message, kPassword));
  CHECK_FALSE(contains(message, "wrong-secret"));
}

const std::string kFormatPhrase =
    "is not a private key in a supported format (PKCS#1, SEC1, PKCS#8, PKCS#12)";
const std::string kEncryptedPhrase = "is encrypted; give its password with --pkcs8-password";

// A self-signed certificate for a key the fixture script does not make.
std::pair<std::string, std::string> make_key_and_certificate(const std::string& name,
                                                             const std::string& genpkey_args) {
  const std::string key = scratch(name + ".key.pem");
  const std::string certificate = scratch(name + ".crt.pem");
  run("openssl genpkey " + genpkey_args + " -out '" + key + "'");
  run("openssl req -x509 -new -key '" + key + "' -subj '/CN=" + name + "' -days 2 -out '" +
      certificate + "'");
  return {certificate, key};
}

EvpPkeyPtr rsa_public_key_of_bits(int bits) {
  BignumPtr modulus(BN_new());
  BignumPtr exponent(BN_new());
  REQUIRE((BN_set_bit(modulus.get(), bits - 1) && BN_set_bit(modulus.get(), 0) &&
           BN_set_word(exponent.get(), 65537)));
  std::unique_ptr<OSSL_PARAM_BLD, OpensslDeleter<OSSL_PARAM_BLD_free>> builder(
      OSSL_PARAM_BLD_new());
  REQUIRE(OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()));
  REQUIRE(OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()));
  std::unique_ptr<OSSL_PARAM, OpensslDeleter<OSSL_PARAM_free>> params(
      OSSL_PARAM_BLD_to_param(builder.get()));
  EvpPkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* key = nullptr;
  REQUIRE(EVP_PKEY_fromdata_init(context.get()) == 1);
  REQUIRE(EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) == 1);
  return EvpPkeyPtr(key);
}

}  // namespace

TEST_CASE("identity errors: missing files name the flag and the path") {
  const std::string missing = scratch("no-such-file.pem");
  check_error(load_error(missing, pki("rsa2048.key.pem")), "--certificate " + missing,
              "does not exist");
  check_error(load_error(pki("rsa2048.crt.pem"), missing), "--private-key " + missing,
              "does not exist");
  check_error(load_error(pki("rsa2048.crt.pem"), pki("rsa2048.key.pem"), missing),
              "--intermediates " + missing, "does not exist");
  const std::string in_missing_dir = scratch("no-such-dir/cert.pem");
  check_error(load_error(in_missing_dir, pki("rsa2048.key.pem")), in_missing_dir, "does not exist");

  CHECK_THROWS_WITH_AS(load_certificate_file(missing), doctest::Contains(missing.c_str()), Error);
  CHECK_THROWS_WITH_AS(load_private_key_file(missing, std::nullopt),
                       doctest::Contains(missing.c_str()), Error);
  CHECK_THROWS_WITH_AS(load_certificate_bundle_file(missing), doctest::Contains("does not exist"),
                       Error);
}

TEST_CASE("identity errors: empty files and directories") {
  const std::string empty = write_file("empty.pem", "");
  check_error(load_error(empty, pki("rsa2048.key.pem")), "--certificate " + empty, "is empty");
  check_error(load_error(pki("rsa2048.crt.pem"), empty), "--private-key " + empty, "is empty");
  check_error(load_error(pki("rsa2048.crt.pem"), pki("rsa2048.key.pem"), empty),
              "--intermediates " + empty, "is empty");

  const std::string directory = pki_dir().string();
  check_error(load_error(directory, pki("rsa2048.key.pem")), "--certificate " + directory,
              "is a directory");
}

TEST_CASE("identity errors: a file this user cannot read") {
  const std::string path = write_file("unreadable.pem", read_file(pki("rsa2048.key.pem")));
  REQUIRE(::chmod(path.c_str(), 0) == 0);
  // The scratch directory must be searchable for the unprivileged user below.
  REQUIRE(::chmod(scratch("").c_str(), 0755) == 0);

  // root reads anything; drop to "nobody" in a child process so the check is real either way.
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    std::string message = "(no error)";
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) {
      message = "(could not drop privileges)";
    } else {
      try {
        load_private_key_file(path, std::nullopt);
      } catch (const Error& error) {
        message = error.what();
      }
    }
    const ssize_t written = ::write(pipe_fds[1], message.data(), message.size());
    ::_exit(written == static_cast<ssize_t>(message.size()) ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string message;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) message.append(buffer, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  CAPTURE(message);
  CHECK(WIFEXITED(status));
  CHECK(contains(message, path));
  CHECK(contains(message, "permission denied"));
}

TEST_CASE("identity errors: files in the wrong format") {
  const std::string garbage = pki("garbage.pem");
  check_error(load_error(garbage, pki("rsa2048.key.pem")), "--certificate " + garbage,
              "is not a PEM or DER certificate");
  check_error(load_error(pki("rsa2048.crt.pem"), garbage), "--private-key " + garbage,
              kFormatPhrase);
  check_error(load_error(pki("rsa2048.crt.pem"), pki("rsa2048.key.pem"), garbage),
              "--intermediates " + garbage, "is not a PEM or DER certificate");

  // A key where the certificate belongs, and the other way round (PEM and DER).
  check_error(load_error(pki("rsa2048.key.pem"), pki("rsa2048.key.pem")),
              "--certificate " + pki("rsa2048.key.pem"), "is not a PEM or DER certificate");
  check_error(load_error(pki("rsa2048.key.pkcs8.der"), pki("rsa2048.key.pem")),
              "--certificate " + pki("rsa2048.key.pkcs8.der"), "is not a PEM or DER certificate");
  check_error(load_error(pki("rsa2048.crt.pem"), pki("rsa2048.crt.pem")),
              "--private-key " + pki("rsa2048.crt.pem"), kFormatPhrase);
  check_error(load_error(pki("rsa2048.crt.pem"), pki("rsa2048.crt.der")),
              "--private-key " + pki("rsa2048.crt.der"), kFormatPhrase);

  // Random bytes, and a DER certificate with something after it.
  const std::string noise = write_file("noise.bin", std::string("\x30\x82\x01\x00\xff\xfe", 6));
  check_error(load_error(noise, pki("rsa2048.key.pem")), "--certificate " + noise,
              "is not a PEM or DER certificate");
  check_error(load_error(pki("rsa2048.crt.pem"), noise), "--private-key " + noise, kFormatPhrase);
  const std::string trailing =
      write_file("trailing.der", read_file(pki("rsa2048.crt.der")) + "extra");
  check_error(load_error(trailing, pki("rsa2048.key.pem")), "--certificate " + trailing,
              "is not a PEM or DER certificate");

  // A CERTIFICATE block whose contents are broken.
  const std::string broken = write_file(
      "broken.pem", "-----BEGIN CERTIFICATE-----\nTUlJQm9rZW4=\n-----END CERTIFICATE-----\n");
  check_error(load_error(broken, pki("rsa2048.key.pem")), "--certificate " + broken,
              "malformed certificate");

  // A public key alone cannot sign, PEM or DER.
  const std::string public_pem = scratch("public.pem");
  const std::string public_der = scratch("public.der");
  run("openssl pkey -in '" + pki("p256.key.pem") + "' -pubout -out '" + public_pem + "'");
  run("openssl pkey -in '" + pki("p256.key.pem") + "' -pubout -outform DER -out '" + public_der +
      "'");
  check_error(load_error(pki("p256.crt.pem"), public_pem), "--private-key " + public_pem,
              "is not a private key");
  check_error(load_error(pki("p256.crt.pem"), public_der), "--private-key " + public_der,
              "is not a private key");
}

TEST_CASE("identity errors: an encrypted key or PKCS#12 without a password") {
  for (const std::string name :
       {"rsa2048.key.enc-pbkdf2.pem", "rsa2048.key.enc-pbkdf2.der", "rsa2048.key.enc-scrypt.pem",
        "p256.key.enc-pbkdf2.pem", "p256.key.enc-pbkdf2.der", "p256.key.enc-scrypt.pem",
        "rsa2048.p12", "p256.p12"}) {
    CAPTURE(name);
    const std::string certificate =
        pki(name.starts_with("p256") ? "p256.crt.pem" : "rsa2048.crt.pem");
    check_error(load_error(certificate, pki(name)), "--private-key " + pki(name), kEncryptedPhrase);
  }
  // A password-protected PKCS#12 as --certificate says the same, naming --certificate.
  check_error(load_error(pki("p256.p12"), ""), "--certificate " + pki("p256.p12"),
              kEncryptedPhrase);
  CHECK_THROWS_WITH_AS(load_certificate_file(pki("p256.p12"), cli_labels()),
                       doctest::Contains(kEncryptedPhrase.c_str()), Error);
}

TEST_CASE("identity errors: a wrong password is named as such and never echoed") {
  for (const std::string name :
       {"rsa2048.key.enc-pbkdf2.pem", "rsa2048.key.enc-pbkdf2.der", "rsa2048.key.enc-scrypt.pem",
        "p256.key.enc-pbkdf2.pem", "p256.key.enc-pbkdf2.der", "p256.key.enc-scrypt.pem",
        "rsa2048.p12", "p256.p12", "p256.nopass.p12"}) {
    CAPTURE(name);
    const std::string certificate =
        pki(name.starts_with("p256") ? "p256.crt.pem" : "rsa2048.crt.pem");
    check_error(load_error(certificate, pki(name), "", "wrong-secret"),
                "wrong password for --private-key " + pki(name), "wrong password");
  }
  check_error(load_error(pki("rsa2048.p12"), "", "", "wrong-secret"),
              "wrong password for --certificate " + pki("rsa2048.p12"), "wrong password");
}

TEST_CASE("identity errors: the private key does not belong to the certificate") {
  const Error rsa_vs_ec = load_error(pki("rsa2048.crt.pem"), pki("p256.key.pem"));
  check_error(rsa_vs_ec, "--private-key " + pki("p256.key.pem"), "does not match",
              Error::Kind::kCrypto);
  CHECK(contains(rsa_vs_ec.what(), "--certificate " + pki("rsa2048.crt.pem")));

  check_error(load_error(pki("rsa3072.crt.pem"), pki("rsa2048.key.pem")),
              "--certificate " + pki("rsa3072.crt.pem"), "does not match", Error::Kind::kCrypto);
  check_error(load_error(pki("p384.crt.pem"), pki("p256.p12"), "", kPassword),
              "--private-key " + pki("p256.p12"), "does not match", Error::Kind::kCrypto);

  const X509Ptr certificate = read_certificate(pki("p384.crt.pem"));
  PrivateKeyFile key = load_private_key_file(pki("p521.key.pem"), std::nullopt);
  CHECK_THROWS_WITH_AS(check_key_matches_certificate(key.key.get(), certificate.get()),
                       doctest::Contains("does not match"), Error);
  CHECK_NOTHROW(check_key_matches_certificate(
      load_private_key_file(pki("p384.key.pem"), std::nullopt).key.get(), certificate.get()));
}

TEST_CASE("identity errors: unsupported key types are named") {
  check_error(load_error(pki("rsa1024.crt.pem"), pki("rsa1024.key.pem")),
              "--private-key " + pki("rsa1024.key.pem"), "RSA key of 1024 bits",
              Error::Kind::kCrypto);
  check_error(load_error(pki("ed25519.crt.pem"), pki("ed25519.key.pem")),
              "--private-key " + pki("ed25519.key.pem"), "Ed25519", Error::Kind::kCrypto);

  const auto [k1_certificate, k1_key] =
      make_key_and_certificate("secp256k1", "-algorithm EC -pkeyopt ec_paramgen_curve:secp256k1");
  check_error(load_error(k1_certificate, k1_key), "--private-key " + k1_key, "secp256k1",
              Error::Kind::kCrypto);
  const auto [ed448_certificate, ed448_key] = make_key_and_certificate("ed448", "-algorithm ED448");
  check_error(load_error(ed448_certificate, ed448_key), "--private-key " + ed448_key, "Ed448",
              Error::Kind::kCrypto);

  // The standalone check, on keys made in memory, including one too large.
  using KeyPtr = EvpPkeyPtr;
  CHECK_THROWS_WITH_AS(
      check_key_supported(KeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519")).get()),
      doctest::Contains("X25519"), Error);
  const KeyPtr p224(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-224"));
  CHECK_THROWS_WITH_AS(check_key_supported(p224.get()), doctest::Contains("secp224r1"), Error);
  for (const char* name :
       {"rsa2048.key.pem", "rsa4096.key.pem", "p256.key.pem", "p384.key.pem", "p521.key.pem"}) {
    CAPTURE(name);
    CHECK_NOTHROW(check_key_supported(load_private_key_file(pki(name), std::nullopt).key.get()));
  }
  // Too large: generating a real 4608-bit key takes seconds, and only the size matters here,
  // so a public key with a 4608-bit modulus stands in.
  CHECK_THROWS_WITH_AS(check_key_supported(rsa_public_key_of_bits(4608).get()),
                       doctest::Contains("RSA key of 4608 bits"), Error);
  CHECK_NOTHROW(check_key_supported(rsa_public_key_of_bits(4096).get()));
}

TEST_CASE("identity errors: which flags are required") {
  check_error(load_error("", ""), "--certificate", "required", Error::Kind::kInvalidArgument);
  // A plain certificate cannot stand in for the key.
  check_error(load_error(pki("rsa2048.crt.pem"), ""), "--certificate " + pki("rsa2048.crt.pem"),
              "--private-key is required", Error::Kind::kInvalidArgument);
  // A plain key without --certificate.
  check_error(load_error("", pki("rsa2048.key.pem")), "--private-key " + pki("rsa2048.key.pem"),
              "--certificate is required", Error::Kind::kInvalidArgument);
}

TEST_CASE("identity errors: without labels the messages name the files and no flag") {
  // A caller without a command line (the default IdentityLabels) gets messages that say what is
  // wrong with which file, and no flag it never had.
  auto message_of = [](const std::string& certificate, const std::string& key,
                       const std::string& intermediates = "") {
    FileIdentityOptions options;
    options.certificate_path = certificate;
    options.private_key_path = key;
    options.intermediates_path = intermediates;
    try {
      load_file_identity(options, SystemClock{});
    } catch (const Error& error) {
      return std::string(error.what());
    }
    FAIL("load_file_identity accepted certificate '" << certificate << "' and key '" << key << "'");
    return std::string();
  };
  const std::string missing = scratch("no-such-file.pem");
  const std::vector<std::pair<std::string, std::string>> cases{
      {message_of("", ""), "a certificate and a private key are required"},
      {message_of(pki("rsa2048.crt.pem"), ""),
       "a private key is required: certificate file " + pki("rsa2048.crt.pem")},
      {message_of("", pki("rsa2048.key.pem")),
       "a certificate is required: private key file " + pki("rsa2048.key.pem")},
      {message_of(missing, pki("rsa2048.key.pem")), "certificate file " + missing},
      {message_of(pki("rsa2048.crt.pem"), missing), "private key file " + missing},
      {message_of(pki("rsa2048.crt.pem"), pki("rsa2048.key.pem"), missing),
       "intermediates file " + missing},
      {message_of(pki("p256.crt.pem"), pki("p256.key.enc-pbkdf2.pem")),
       "private key file " + pki("p256.key.enc-pbkdf2.pem") +
           " is encrypted and no password was given"},
      {message_of(pki("rsa2048.crt.pem"), pki("p256.key.pem")), "does not match"},
  };
  for (const auto& entry : cases) {
    // Not a structured binding: clang 14 cannot capture one in a lambda (CAPTURE makes one).
    const auto& message = entry.first;
    const auto& expected = entry.second;
    CAPTURE(message);
    CHECK(contains(message, expected));
    CHECK_FALSE(contains(message, "--"));
  }
  try {
    load_private_key_file(pki("p256.key.enc-pbkdf2.pem"), std::nullopt);
    FAIL("an encrypted key loaded without a password");
  } catch (const Error& error) {
    CHECK_FALSE(contains(error.what(), "--"));
  }
}
