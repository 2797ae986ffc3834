// Golden vectors (testdata/golden, made by make-golden.sh with the openssl CLI and literal
// canonical requests, not with this code): a realistic CreateSession request signed with a fixed
// RSA-2048 key (deterministic, so the whole Authorization header is pinned) and a fixed P-256
// key (randomised, so its signature is verified with the public key instead).
#include "rolesanywhere/openssl_ptr.hpp"
#include "rolesanywhere/sigv4x509.hpp"

#include <doctest/doctest.h>

#include <openssl/pem.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace fs = std::filesystem;
namespace sv = rolesanywhere::sigv4x509;
using rolesanywhere::HttpRequest;

namespace {

// The inputs make-golden.sh also uses (see its header).
constexpr std::int64_t kSigningTime = 1715938215;  // 2024-05-17T09:30:15Z
constexpr const char* kRegion = "eu-central-1";
constexpr const char* kHost = "rolesanywhere.eu-central-1.amazonaws.com";
constexpr const char* kQuery =
    "profileArn=arn%3Aaws%3Arolesanywhere%3Aeu-central-1%3A123456789012%3Aprofile%2F0c3f4b59-2a77-"
    "4a4e-9c6e-0f6d1b3e8a21&roleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fgolden-test-role&"
    "trustAnchorArn=arn%3Aaws%3Arolesanywhere%3Aeu-central-1%3A123456789012%3Atrust-anchor%"
    "2F7d2e9a10-5b3c-4f8e-a1d4-6c9b2e7f3a05";
constexpr const char* kBody = R"({"durationSeconds":3600})";

fs::path golden_dir() {
  const char* from_ctest = std::getenv("TESTDATA_DIR");
  return fs::path(from_ctest ? from_ctest : SOURCE_DIR "/testdata") / "golden";
}

std::string read_golden(const std::string& name) {
  std::ifstream in(golden_dir() / name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read golden file " << (golden_dir() / name).string());
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

rolesanywhere::EvpPkeyPtr load_key(const std::string& name, bool is_private) {
  const auto pem = read_golden(name);
  rolesanywhere::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  REQUIRE(bio);
  rolesanywhere::EvpPkeyPtr key(is_private
                                    ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                                    : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE_MESSAGE(key, "cannot load " << name << ": " << rolesanywhere::openssl_error_text());
  return key;
}

// What the identity module will do; written here with EVP directly so this test stands alone.
std::vector<std::uint8_t> evp_sign(EVP_PKEY* key, std::string_view data) {
  rolesanywhere::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1);
  std::size_t length = 0;
  REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &length,
                         reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1);
  std::vector<std::uint8_t> signature(length);
  REQUIRE(EVP_DigestSign(ctx.get(), signature.data(), &length,
                         reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1);
  signature.resize(length);
  return signature;
}

std::vector<std::uint8_t> hex_decode(std::string_view hex) {
  REQUIRE(hex.size() % 2 == 0);
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2)
    bytes.push_back(
        static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return bytes;
}

bool evp_verify(EVP_PKEY* key, std::string_view data, const std::vector<std::uint8_t>& signature) {
  rolesanywhere::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  REQUIRE(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1);
  const int result =
      EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size());
  rolesanywhere::openssl_error_text();  // a failed verification leaves errors queued
  return result == 1;
}

HttpRequest golden_request() {
  HttpRequest request;
  request.method = "POST";
  request.path = "/sessions";
  request.query = kQuery;
  request.headers = {{"Host", kHost},
                     {"Content-Type", "application/json"},
                     {"User-Agent", "rolesanywhere-helper/0.1.0 golden-test"}};
  request.body = kBody;
  return request;
}

sv::SigningParams golden_params(sv::Algorithm algorithm, const std::string& kind) {
  sv::SigningParams params;
  params.algorithm = algorithm;
  params.serial_decimal = read_golden(kind + ".serial");
  params.certificate_b64 = read_golden(kind + ".crt.b64");
  if (kind == "rsa2048") params.chain_b64 = read_golden("chain.b64");
  params.region = kRegion;
  params.now = rolesanywhere::TimePoint(std::chrono::seconds(kSigningTime));
  return params;
}

std::string signature_of(const std::string& authorization) {
  const auto parsed = sv::parse_authorization(authorization);
  REQUIRE_MESSAGE(parsed.has_value(), "our own Authorization does not parse: " << authorization);
  return parsed->signature_hex;
}

}  // namespace

TEST_CASE("sigv4x509 golden: RSA-2048 CreateSession request with every byte pinned") {
  const auto key = load_key("test-only-rsa2048.key.pem", true);
  auto request = golden_request();
  std::string signed_text;
  const auto canonical = sv::sign_request(
      request, golden_params(sv::Algorithm::kRsaSha256, "rsa2048"), [&](std::string_view sts) {
        signed_text = sts;
        return evp_sign(key.get(), sts);
      });

  CHECK(canonical == read_golden("rsa2048.canonical-request.txt"));
  CHECK(signed_text == read_golden("rsa2048.string-to-sign.txt"));
  CHECK(request.header("Authorization") == read_golden("rsa2048.authorization.txt"));

  CHECK(request.header("X-Amz-Date") == "20240517T093015Z");
  CHECK(request.header("X-Amz-X509") == read_golden("rsa2048.crt.b64"));
  CHECK(request.header("X-Amz-X509-Chain") == read_golden("chain.b64"));
  CHECK(request.header("User-Agent") == "rolesanywhere-helper/0.1.0 golden-test");
  CHECK(request.body == kBody);

  // The pinned signature is a valid one, checked with the public key alone.
  const auto public_key = load_key("test-only-rsa2048.pub.pem", false);
  const auto signature = hex_decode(signature_of(read_golden("rsa2048.authorization.txt")));
  CHECK(signature.size() == 256);
  CHECK(evp_verify(public_key.get(), read_golden("rsa2048.string-to-sign.txt"), signature));
}

TEST_CASE("sigv4x509 golden: RSA signature equals `openssl dgst -sha256 -sign` over our string") {
  if (std::system("openssl version >/dev/null 2>&1") != 0) {
    WARN_MESSAGE(false, "SKIPPED: the openssl command is not available for the cross-check");
    return;
  }
  const auto key = load_key("test-only-rsa2048.key.pem", true);
  auto request = golden_request();
  std::string signed_text;
  sv::sign_request(request, golden_params(sv::Algorithm::kRsaSha256, "rsa2048"),
                   [&](std::string_view sts) {
                     signed_text = sts;
                     return evp_sign(key.get(), sts);
                   });

  const auto sts_file =
      fs::temp_directory_path() / ("sigv4x509-golden-sts-" + std::to_string(::getpid()) + ".txt");
  {
    std::ofstream out(sts_file, std::ios::binary);
    out << signed_text;
  }
  const auto command = "openssl dgst -sha256 -sign '" +
                       (golden_dir() / "test-only-rsa2048.key.pem").string() + "' '" +
                       sts_file.string() + "'";
  std::vector<std::uint8_t> cli_signature;
  {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    REQUIRE(pipe);
    int c;
    while ((c = std::fgetc(pipe.get())) != EOF)
      cli_signature.push_back(static_cast<std::uint8_t>(c));
  }
  fs::remove(sts_file);
  REQUIRE(cli_signature.size() == 256);
  CHECK(sv::hex_encode(cli_signature) == signature_of(*request.header("Authorization")));
}

TEST_CASE("sigv4x509 golden: P-256 request without a chain and a verifiable ECDSA signature") {
  const auto key = load_key("test-only-p256.key.pem", true);
  const auto public_key = load_key("test-only-p256.pub.pem", false);
  auto request = golden_request();
  std::string signed_text;
  const auto canonical = sv::sign_request(
      request, golden_params(sv::Algorithm::kEcdsaSha256, "p256"), [&](std::string_view sts) {
        signed_text = sts;
        return evp_sign(key.get(), sts);
      });

  CHECK(canonical == read_golden("p256.canonical-request.txt"));
  CHECK(signed_text == read_golden("p256.string-to-sign.txt"));
  CHECK_FALSE(request.header("X-Amz-X509-Chain").has_value());

  const auto authorization = request.header("Authorization").value();
  const auto prefix = read_golden("p256.authorization-prefix.txt");
  REQUIRE(authorization.starts_with(prefix));
  const auto signature = hex_decode(authorization.substr(prefix.size()));
  CHECK(signature.front() == 0x30);  // DER SEQUENCE, as the service expects, not raw r||s
  CHECK(evp_verify(public_key.get(), read_golden("p256.string-to-sign.txt"), signature));

  // The same signature must not verify over a string to sign for another request.
  auto tampered = read_golden("p256.string-to-sign.txt");
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  CHECK_FALSE(evp_verify(public_key.get(), tampered, signature));
}

TEST_CASE("sigv4x509 golden: tampering with any signed part invalidates the signature") {
  const auto key = load_key("test-only-rsa2048.key.pem", true);
  const auto public_key = load_key("test-only-rsa2048.pub.pem", false);
  const auto params = golden_params(sv::Algorithm::kRsaSha256, "rsa2048");
  auto sign = [&](std::string_view sts) { return evp_sign(key.get(), sts); };

  auto original = golden_request();
  sv::sign_request(original, params, sign);
  const auto signature = hex_decode(signature_of(*original.header("Authorization")));

  // What a verifier does: rebuild the string to sign from what it received.
  const auto received_sts = [&](const HttpRequest& received) {
    const auto parsed = sv::parse_authorization(*received.header("Authorization"));
    REQUIRE(parsed);
    sv::CanonicalOptions options;
    options.names_to_sign = parsed->signed_headers;
    return sv::string_to_sign(parsed->algorithm, *received.header("X-Amz-Date"),
                              sv::credential_scope(parsed->date, parsed->region, parsed->service),
                              sv::canonical_request(received, options));
  };
  REQUIRE(evp_verify(public_key.get(), received_sts(original), signature));

  SUBCASE("body") {
    auto received = original;
    received.body = R"({"durationSeconds":43200})";
    CHECK_FALSE(evp_verify(public_key.get(), received_sts(received), signature));
  }
  SUBCASE("query") {
    auto received = original;
    received.query.replace(received.query.find("golden-test-role"), 6, "evil-r");
    CHECK_FALSE(evp_verify(public_key.get(), received_sts(received), signature));
  }
  SUBCASE("path") {
    auto received = original;
    received.path = "/sessions2";
    CHECK_FALSE(evp_verify(public_key.get(), received_sts(received), signature));
  }
  SUBCASE("method") {
    auto received = original;
    received.method = "PUT";
    CHECK_FALSE(evp_verify(public_key.get(), received_sts(received), signature));
  }
  SUBCASE("certificate header") {
    auto received = original;
    received.set_header("X-Amz-X509", read_golden("p256.crt.b64"));
    CHECK_FALSE(evp_verify(public_key.get(), received_sts(received), signature));
  }
  SUBCASE("chain header dropped") {
    auto received = original;
    std::erase_if(received.headers, [](const auto& h) { return h.name == "X-Amz-X509-Chain"; });
    CHECK_FALSE(evp_verify(public_key.get(), received_sts(received), signature));
  }
  SUBCASE("date header") {
    auto received = original;
    received.set_header("X-Amz-Date", "20240517T093016Z");
    CHECK_FALSE(evp_verify(public_key.get(), received_sts(received), signature));
  }
  SUBCASE("an unsigned User-Agent may change without breaking the signature") {
    auto received = original;
    received.set_header("User-Agent", "rewritten-by-a-proxy/1.0");
    CHECK(evp_verify(public_key.get(), received_sts(received), signature));
  }
}
