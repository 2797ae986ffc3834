// sign_request's own duties: which headers it adds, removes and signs, what it hands the key,
// and how it refuses to sign with unusable parameters. The key is a fake here; real signatures
// are covered by test_sigv4x509_golden.cpp.
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/sigv4x509.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

namespace sv = rolesanywhere::sigv4x509;
using rolesanywhere::Error;
using rolesanywhere::HttpRequest;

namespace {

HttpRequest sample_request() {
  HttpRequest request;
  request.method = "POST";
  request.path = "/sessions";
  request.query = "roleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr";
  request.headers = {{"Host", "rolesanywhere.us-east-1.amazonaws.com"},
                     {"Content-Type", "application/json"},
                     {"User-Agent", "test-agent/1"},
                     {"X-Custom", "kept and signed"}};
  request.body = R"({"durationSeconds":900})";
  return request;
}

sv::SigningParams sample_params() {
  sv::SigningParams params;
  params.algorithm = sv::Algorithm::kRsaSha256;
  params.serial_decimal = "123456789";
  params.certificate_b64 = "Q0VSVA==";
  params.chain_b64 = "SU5URVIx,SU5URVIy";
  params.region = "us-east-1";
  params.now = rolesanywhere::TimePoint(std::chrono::seconds(1715938215));  // 20240517T093015Z
  return params;
}

// Records what it was asked to sign and returns fixed bytes.
struct FakeKey {
  std::vector<std::string> seen;
  std::vector<std::uint8_t> signature{0xde, 0xad, 0xbe, 0xef};
  sv::SignFunction function() {
    return [this](std::string_view sts) {
      seen.emplace_back(sts);
      return signature;
    };
  }
};

std::size_t count_headers(const HttpRequest& request, std::string_view name) {
  return static_cast<std::size_t>(
      std::count_if(request.headers.begin(), request.headers.end(),
                    [&](const auto& h) { return rolesanywhere::iequals(h.name, name); }));
}

}  // namespace

TEST_CASE("sigv4x509 sign_request: adds the X.509 headers and signs all but User-Agent") {
  auto request = sample_request();
  FakeKey key;
  const auto canonical = sv::sign_request(request, sample_params(), key.function());

  CHECK(request.header("X-Amz-Date") == "20240517T093015Z");
  CHECK(request.header("X-Amz-X509") == "Q0VSVA==");
  CHECK(request.header("X-Amz-X509-Chain") == "SU5URVIx,SU5URVIy");
  CHECK(request.header("Authorization") ==
        "AWS4-X509-RSA-SHA256 Credential=123456789/20240517/us-east-1/rolesanywhere/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-x509;x-amz-x509-chain;x-custom, "
        "Signature=deadbeef");
  CHECK(request.header("User-Agent") == "test-agent/1");
  CHECK(canonical.find("user-agent") == std::string::npos);
  CHECK(canonical.find("x-custom:kept and signed\n") != std::string::npos);

  // The key signed exactly the string to sign of the canonical request returned.
  REQUIRE(key.seen.size() == 1);
  CHECK(key.seen[0] == sv::string_to_sign(sv::Algorithm::kRsaSha256, "20240517T093015Z",
                                          "20240517/us-east-1/rolesanywhere/aws4_request",
                                          canonical));
  // ...which is what a verifier rebuilds from the request as sent.
  const auto parsed = sv::parse_authorization(*request.header("Authorization"));
  REQUIRE(parsed);
  sv::CanonicalOptions options;
  options.names_to_sign = parsed->signed_headers;
  CHECK(sv::canonical_request(request, options) == canonical);
}

TEST_CASE("sigv4x509 sign_request: no chain header without a chain even on a re-sign") {
  auto request = sample_request();
  FakeKey key;
  sv::sign_request(request, sample_params(), key.function());
  REQUIRE(request.header("X-Amz-X509-Chain").has_value());

  auto params = sample_params();
  params.chain_b64.clear();
  params.algorithm = sv::Algorithm::kEcdsaSha256;
  const auto canonical = sv::sign_request(request, params, key.function());
  CHECK_FALSE(request.header("X-Amz-X509-Chain").has_value());
  CHECK(canonical.find("x-amz-x509-chain") == std::string::npos);
  // The old Authorization was neither signed nor kept twice.
  CHECK(count_headers(request, "Authorization") == 1);
  CHECK(count_headers(request, "X-Amz-Date") == 1);
  CHECK(canonical.find("authorization") == std::string::npos);
  CHECK(request.header("Authorization")->starts_with("AWS4-X509-ECDSA-SHA256 Credential="));
}

TEST_CASE("sigv4x509 sign_request: a changed input changes what is signed") {
  const auto sign = [](const HttpRequest& base, const sv::SigningParams& params) {
    auto request = base;
    FakeKey key;
    sv::sign_request(request, params, key.function());
    return key.seen.at(0);
  };
  const auto base = sample_request();
  const auto params = sample_params();
  const auto reference = sign(base, params);
  CHECK(sign(base, params) == reference);  // deterministic

  auto later = params;
  later.now += std::chrono::seconds(1);
  CHECK(sign(base, later) != reference);
  auto other_region = params;
  other_region.region = "us-east-2";
  CHECK(sign(base, other_region) != reference);
  auto other_cert = params;
  other_cert.certificate_b64 = "Q0VSVB==";
  CHECK(sign(base, other_cert) != reference);
  auto other_algorithm = params;
  other_algorithm.algorithm = sv::Algorithm::kEcdsaSha256;
  CHECK(sign(base, other_algorithm) != reference);

  auto body = base;
  body.body += " ";
  CHECK(sign(body, params) != reference);
  auto header = base;
  header.set_header("X-Custom", "changed");
  CHECK(sign(header, params) != reference);
  auto agent = base;
  agent.set_header("User-Agent", "another-agent/2");
  CHECK(sign(agent, params) == reference);  // unsigned on purpose
}

TEST_CASE("sigv4x509 sign_request: refuses unusable parameters") {
  FakeKey key;
  const auto fails_with = [&](HttpRequest request, const sv::SigningParams& params,
                              Error::Kind kind) {
    try {
      sv::sign_request(request, params, key.function());
      FAIL("sign_request did not throw");
    } catch (const Error& error) {
      CHECK(error.kind() == kind);
      CHECK(std::string(error.what()).size() > 0);
    }
  };
  auto params = sample_params();
  params.serial_decimal = "";
  fails_with(sample_request(), params, Error::Kind::kInvalidArgument);
  params.serial_decimal = "0x1F";
  fails_with(sample_request(), params, Error::Kind::kInvalidArgument);
  params = sample_params();
  params.certificate_b64.clear();
  fails_with(sample_request(), params, Error::Kind::kInvalidArgument);
  params = sample_params();
  params.region.clear();
  fails_with(sample_request(), params, Error::Kind::kInvalidArgument);

  auto no_host = sample_request();
  std::erase_if(no_host.headers, [](const auto& h) { return h.name == "Host"; });
  fails_with(no_host, sample_params(), Error::Kind::kInternal);

  key.signature.clear();
  fails_with(sample_request(), sample_params(), Error::Kind::kCrypto);
}
