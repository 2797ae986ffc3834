// What names a cache entry and what encrypts it: every field of the key makes another entry, a
// renewed certificate too; the entry key comes from the private key (file keys) or a
// deterministic token signature (token and TPM RSA), and there is none for a token or TPM EC key.
#include "identity/key_signer.hpp"
#include "test_identity_fixtures.hpp"

#include "rolesanywhere/credential_cache.hpp"
#include "rolesanywhere/pkcs11.hpp"

#include <doctest/doctest.h>
#include <openssl/err.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>
#include <vector>

using namespace rolesanywhere;

namespace {

CacheKey sample_key() {
  CacheKey key;
  key.certificate_der = std::string("\x30\x82\x01\x00 certificate", 16);
  key.chain_sent = "MIIB,MIIC";
  key.trust_anchor_arn = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/ta";
  key.profile_arn = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/p";
  key.role_arn = "arn:aws:iam::123456789012:role/r";
  key.role_session_name = "session";
  key.duration_seconds = 3600;
  key.instance_properties = {{"site", "a"}};
  key.region = "us-east-1";
  key.endpoint_url = "https://rolesanywhere.us-east-1.amazonaws.com";
  return key;
}

std::string make_renewed_certificate(const std::string& key_path, const std::string& name) {
  const std::string path = identity_test::scratch(name);
  identity_test::run("openssl req -new -x509 -key " + key_path + " -subj /CN=renewed-" + name +
                     " -days 30 -out " + path + " 2>/dev/null");
  return path;
}

}  // namespace

TEST_CASE("cache key: the id is 64 hex digits, the same for the same key") {
  const std::string id = cache_entry_id(sample_key());
  CHECK(id.size() == 64);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(cache_entry_id(sample_key()) == id);
}

TEST_CASE("cache key: every field makes another entry") {
  const std::vector<std::pair<const char*, std::function<void(CacheKey&)>>> changes = {
      {"certificate", [](CacheKey& k) { k.certificate_der += 'x'; }},
      {"chain", [](CacheKey& k) { k.chain_sent = "MIIB"; }},
      {"no chain", [](CacheKey& k) { k.chain_sent.clear(); }},
      {"trust anchor", [](CacheKey& k) { k.trust_anchor_arn += "2"; }},
      {"profile", [](CacheKey& k) { k.profile_arn += "2"; }},
      {"role", [](CacheKey& k) { k.role_arn += "2"; }},
      {"session name", [](CacheKey& k) { k.role_session_name = "other"; }},
      {"no session name", [](CacheKey& k) { k.role_session_name.clear(); }},
      {"duration", [](CacheKey& k) { k.duration_seconds = 900; }},
      {"an instance property", [](CacheKey& k) { k.instance_properties["rack"] = "r1"; }},
      {"another property value", [](CacheKey& k) { k.instance_properties["site"] = "b"; }},
      {"no instance properties", [](CacheKey& k) { k.instance_properties.clear(); }},
      {"region", [](CacheKey& k) { k.region = "eu-west-1"; }},
      {"endpoint", [](CacheKey& k) { k.endpoint_url = "https://127.0.0.1:8443"; }},
      {"transport", [](CacheKey& k) { k.transport = "verify-tls=no"; }},
  };
  std::set<std::string> ids = {cache_entry_id(sample_key())};
  for (const auto& named : changes) {
    const auto& name = named.first;  // not a structured binding: CAPTURE makes a lambda
    const auto& change = named.second;
    CAPTURE(name);
    CacheKey key = sample_key();
    change(key);
    CHECK(ids.insert(cache_entry_id(key)).second);
  }
}

TEST_CASE("cache key: fields are delimited, not concatenated") {
  CacheKey a = sample_key();
  CacheKey b = sample_key();
  a.profile_arn = "ab";
  a.role_arn = "c";
  b.profile_arn = "a";
  b.role_arn = "bc";
  CHECK(cache_entry_id(a) != cache_entry_id(b));
  a = sample_key();
  b = sample_key();
  a.region = "";
  a.endpoint_url = "x";
  b.region = "x";
  b.endpoint_url = "";
  CHECK(cache_entry_id(a) != cache_entry_id(b));
}

TEST_CASE("cache key: the identity's certificate and chain, and a renewed certificate's new id") {
  const Identity identity = identity_test::load(identity_test::pki("rsa2048.crt.pem"),
                                                identity_test::pki("rsa2048.key.pem"),
                                                identity_test::pki("intermediates.pem"));
  const CacheKey key = cache_key_for(identity);
  const std::vector<std::uint8_t> der = identity_test::certificate_der(identity.certificate());
  CHECK(key.certificate_der == std::string(der.begin(), der.end()));
  CHECK_FALSE(key.chain_sent.empty());
  CHECK(key.chain_sent == identity.chain_base64());

  const Identity without_chain = identity_test::load(identity_test::pki("rsa2048.crt.pem"),
                                                     identity_test::pki("rsa2048.key.pem"));
  CHECK(cache_entry_id(cache_key_for(without_chain)) != cache_entry_id(key));

  // Same key, a new certificate: a new entry (its key, derived from the private key, is the same).
  const std::string renewed_path =
      make_renewed_certificate(identity_test::pki("rsa2048.key.pem"), "renewed.crt.pem");
  const Identity renewed = identity_test::load(renewed_path, identity_test::pki("rsa2048.key.pem"),
                                               identity_test::pki("intermediates.pem"));
  CHECK(cache_entry_id(cache_key_for(renewed)) != cache_entry_id(key));
}

TEST_CASE("cache key: a file key's entry key is 32 bytes, stable, and differs per entry and key") {
  const Identity rsa = identity_test::load(identity_test::pki("rsa2048.crt.pem"),
                                           identity_test::pki("rsa2048.key.pem"));
  const Identity rsa_again = identity_test::load(identity_test::pki("rsa2048.crt.pem"),
                                                 identity_test::pki("rsa2048.key.pem"));
  const Identity ec =
      identity_test::load(identity_test::pki("p256.crt.pem"), identity_test::pki("p256.key.pem"));
  const std::string id_a(64, 'a');
  const std::string id_b(64, 'b');

  const std::optional<SecretString> rsa_a = cache_entry_key(rsa, id_a);
  REQUIRE(rsa_a);
  CHECK(rsa_a->size() == 32);
  CHECK(cache_entry_key(rsa_again, id_a) == rsa_a);  // another process derives the same key
  CHECK(cache_entry_key(rsa, id_b) != rsa_a);

  const std::optional<SecretString> ec_a = cache_entry_key(ec, id_a);
  REQUIRE(ec_a);
  CHECK(ec_a->size() == 32);
  CHECK(ec_a != rsa_a);
  CHECK(cache_entry_key(ec, id_b) != ec_a);

  // A PKCS#8 file and a traditional one hold the same key: the same entry key.
  const Identity ec_traditional = identity_test::load(
      identity_test::pki("p256.crt.pem"), identity_test::pki("p256.key.traditional.pem"));
  CHECK(cache_entry_key(ec_traditional, id_a) == ec_a);
}

namespace {

// Signs as an ordinary key would, counting: stands in for a TPM key's signer.
class CountingSigner final : public identity_detail::KeySigner {
 public:
  std::vector<std::uint8_t> sign(EVP_PKEY* key, std::string_view data, Digest digest) override {
    ++calls;
    return identity_detail::evp_sign(key, data, digest);
  }
  int calls = 0;
};

}  // namespace

TEST_CASE("cache key: a key with a signer of its own (a TPM key) takes the token route") {
  const Identity file_rsa = identity_test::load(identity_test::pki("rsa2048.crt.pem"),
                                                identity_test::pki("rsa2048.key.pem"));
  const Identity rsa = identity_test::load(identity_test::pki("rsa2048.crt.pem"),
                                           identity_test::pki("rsa2048.key.pem"));
  auto signer = std::make_shared<CountingSigner>();
  identity_detail::attach_signer(rsa.key(), signer);
  const std::string id(64, 'a');
  const std::optional<SecretString> key = cache_entry_key(rsa, id);
  REQUIRE(key);
  CHECK(signer->calls == 1);                    // derived from a signature,
  CHECK(key != cache_entry_key(file_rsa, id));  // not from the private key's encoding

  const Identity ec =
      identity_test::load(identity_test::pki("p256.crt.pem"), identity_test::pki("p256.key.pem"));
  identity_detail::attach_signer(ec.key(), std::make_shared<CountingSigner>());
  CHECK_FALSE(cache_entry_key(ec, id).has_value());
}

TEST_CASE("cache key: the default directory follows XDG_CACHE_HOME, else HOME") {
  using std::filesystem::path;
  CHECK(default_cache_directory("/x/cache", "/home/u") == path("/x/cache/rolesanywhere-helper"));
  CHECK(default_cache_directory(nullptr, "/home/u") == path("/home/u/.cache/rolesanywhere-helper"));
  CHECK(default_cache_directory("", "/home/u") == path("/home/u/.cache/rolesanywhere-helper"));
  // The XDG spec: a relative path is invalid and ignored.
  CHECK(default_cache_directory("relative", "/home/u") ==
        path("/home/u/.cache/rolesanywhere-helper"));
  CHECK_FALSE(default_cache_directory(nullptr, nullptr).has_value());
  CHECK_FALSE(default_cache_directory(nullptr, "").has_value());
}

// --- token keys (SoftHSM2) ---

namespace {

constexpr const char* kModule = identity_test::kSoftHsmModule;
constexpr const char* kPin = identity_test::kSoftHsmPin;

bool token_ready() { return identity_test::softhsm_token_ready(); }

Identity token_identity(const std::string& object) {
  Pkcs11Options options;
  options.certificate = "pkcs11:token=rolesanywhere-test;object=" + object +
                        ";type=cert?pin-value=" + std::string(kPin);
  options.module = kModule;
  SystemClock clock;
  return load_pkcs11_identity(options, clock);
}

}  // namespace

TEST_CASE("cache key: a token RSA key derives its entry key from a deterministic signature") {
  if (!token_ready()) return;
  const Identity identity = token_identity("rsa2048");
  // The token's key has no private half here to encode: were it encodable (from its public
  // parts), the entry key would be derivable by anyone holding the certificate.
  CHECK(i2d_PrivateKey(identity.key(), nullptr) <= 0);
  ERR_clear_error();
  const std::string id_a(64, 'a');
  const std::optional<SecretString> key = cache_entry_key(identity, id_a);
  REQUIRE(key);
  CHECK(key->size() == 32);
  CHECK(cache_entry_key(token_identity("rsa2048"), id_a) == key);  // another process, same key
  CHECK(cache_entry_key(identity, std::string(64, 'b')) != key);
}

TEST_CASE("cache key: a token EC key has no entry key (its entries are stored unencrypted)") {
  if (!token_ready()) return;
  CHECK(i2d_PrivateKey(token_identity("p256").key(), nullptr) <= 0);
  ERR_clear_error();
  CHECK_FALSE(cache_entry_key(token_identity("p256"), std::string(64, 'a')).has_value());
}
