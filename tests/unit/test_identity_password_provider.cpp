// The password provider of encrypted key files: asked only when OpenSSL needs a password, at most
// once per load, never when --pkcs8-password was given; its answer opens the key, a wrong answer
// is named as such, no answer keeps the "is encrypted" error, and what it throws passes through.
#include "test_identity_fixtures.hpp"

#include <doctest/doctest.h>

using namespace rolesanywhere;
using namespace identity_test;

namespace {

// A provider that answers `answer` and remembers how often and for what it was asked.
struct CountingProvider {
  explicit CountingProvider(std::optional<std::string> answer_given)
      : answer(std::move(answer_given)) {}

  std::optional<std::string> answer;
  int calls = 0;
  std::string last_label;

  PasswordProvider provider() {
    return [this](const std::string& label) -> std::optional<SecretString> {
      ++calls;
      last_label = label;
      if (!answer) return std::nullopt;
      return SecretString(*answer);
    };
  }
};

std::string certificate_for(const std::string& key_name) {
  return pki(key_name.starts_with("p256") ? "p256.crt.pem" : "rsa2048.crt.pem");
}

Identity load_with(const std::string& certificate, const std::string& key,
                   CountingProvider& provider, std::optional<std::string> password = {}) {
  FileIdentityOptions options;
  options.certificate_path = certificate;
  options.private_key_path = key;
  if (password) options.password = SecretString(*password);
  options.ask_password = provider.provider();
  options.labels = cli_labels();
  return load_file_identity(options, SystemClock());
}

const std::vector<std::string> kEncrypted{"rsa2048.key.enc-pbkdf2.pem",
                                          "rsa2048.key.enc-pbkdf2.der",
                                          "rsa2048.key.enc-scrypt.pem",
                                          "p256.key.enc-pbkdf2.pem",
                                          "p256.key.enc-pbkdf2.der",
                                          "p256.key.enc-scrypt.pem",
                                          "rsa2048.p12",
                                          "p256.p12"};

}  // namespace

TEST_CASE("identity password provider: plain keys in every format never ask") {
  for (const std::string kind : {"rsa2048", "p256"}) {
    for (const std::string suffix : {".key.pem", ".key.pkcs8.der", ".key.traditional.pem",
                                     ".key.traditional.der", ".nopass.p12"}) {
      const std::string name = kind + suffix;
      CAPTURE(name);
      CountingProvider provider{"test-password"};
      CHECK_NOTHROW(load_with(certificate_for(name), pki(name), provider));
      CHECK(provider.calls == 0);
      CHECK(load_private_key_file(pki(name), std::nullopt, provider.provider()).key);
      CHECK(provider.calls == 0);
    }
  }
}

TEST_CASE("identity password provider: its answer opens encrypted keys after one question") {
  for (const std::string& name : kEncrypted) {
    CAPTURE(name);
    CountingProvider provider{kPassword};
    const Identity identity = load_with(certificate_for(name), pki(name), provider);
    CHECK(provider.calls == 1);
    CHECK(provider.last_label == "--private-key " + pki(name));
    const std::vector<std::uint8_t> signature = identity.sign("data");
    CHECK(signature_verifies(identity.certificate(), "data", signature));

    CountingProvider direct{kPassword};
    CHECK(load_private_key_file(pki(name), std::nullopt, direct.provider()).key);
    CHECK(direct.calls == 1);
  }
}

TEST_CASE("identity password provider: a PKCS#12 as both files is asked for once") {
  CountingProvider provider{kPassword};
  CHECK_NOTHROW(load_with(pki("p256.p12"), pki("p256.p12"), provider));
  CHECK(provider.calls == 1);
  CHECK(provider.last_label == "--certificate " + pki("p256.p12"));
}

TEST_CASE("identity password provider: never asked when --pkcs8-password was given") {
  for (const std::string& name : kEncrypted) {
    CAPTURE(name);
    CountingProvider provider{kPassword};
    CHECK_NOTHROW(load_with(certificate_for(name), pki(name), provider, kPassword));
    CHECK(provider.calls == 0);
    CountingProvider wrong_given{kPassword};
    CHECK_THROWS_WITH_AS(
        load_with(certificate_for(name), pki(name), wrong_given, std::string("wrong-secret")),
        doctest::Contains("wrong password"), Error);
    CHECK(wrong_given.calls == 0);
  }
}

TEST_CASE("identity password provider: a wrong answer is a wrong password and is not echoed") {
  for (const std::string& name : kEncrypted) {
    CAPTURE(name);
    CountingProvider provider{"wrong-secret"};
    try {
      load_with(certificate_for(name), pki(name), provider);
      FAIL("a wrong password loaded the key");
    } catch (const Error& error) {
      const std::string message = error.what();
      CHECK(message == "wrong password for --private-key " + pki(name));
    }
    CHECK(provider.calls == 1);
  }
}

TEST_CASE("identity password provider: no answer keeps the is-encrypted error") {
  for (const std::string& name : kEncrypted) {
    CAPTURE(name);
    CountingProvider provider{std::nullopt};
    CHECK_THROWS_WITH_AS(load_with(certificate_for(name), pki(name), provider),
                         doctest::Contains("is encrypted; give its password with --pkcs8-password"),
                         Error);
    CHECK(provider.calls == 1);
  }
}

TEST_CASE("identity password provider: what the provider throws reaches the caller") {
  for (const std::string& name : kEncrypted) {
    CAPTURE(name);
    int calls = 0;
    FileIdentityOptions options;
    options.certificate_path = certificate_for(name);
    options.private_key_path = pki(name);
    options.ask_password = [&calls](const std::string&) -> std::optional<SecretString> {
      ++calls;
      throw Error(Error::Kind::kInvalidArgument, "nothing was typed");
    };
    CHECK_THROWS_WITH_AS(load_file_identity(options, SystemClock()), "nothing was typed", Error);
    CHECK(calls == 1);
  }
}
