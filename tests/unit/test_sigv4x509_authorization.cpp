// The Authorization header: writing it, and the strict parser the verifying emulator relies on.
#include "rolesanywhere/sigv4x509.hpp"

#include <doctest/doctest.h>

#include <string>

namespace sv = rolesanywhere::sigv4x509;

namespace {
constexpr const char* kValid =
    "AWS4-X509-RSA-SHA256 Credential=36202589993766844920166173305783209310/20240517/eu-central-1/"
    "rolesanywhere/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-x509, "
    "Signature=0a1b2c3d4e5f6789";

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "test bug: '" << from << "' not in '" << text << "'");
  return text.replace(at, from.size(), to);
}
}  // namespace

TEST_CASE("sigv4x509 authorization_header: exact form") {
  CHECK(sv::authorization_header(sv::Algorithm::kEcdsaSha256, "1234",
                                 "20240517/us-east-1/rolesanywhere/aws4_request", "host;x-amz-date",
                                 "3045ab") ==
        "AWS4-X509-ECDSA-SHA256 Credential=1234/20240517/us-east-1/rolesanywhere/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=3045ab");
}

TEST_CASE("sigv4x509 parse_authorization: accepts what a SigV4-X509 signer writes") {
  const auto parsed = sv::parse_authorization(kValid);
  REQUIRE(parsed.has_value());
  CHECK(parsed->algorithm == sv::Algorithm::kRsaSha256);
  CHECK(parsed->serial == "36202589993766844920166173305783209310");
  CHECK(parsed->date == "20240517");
  CHECK(parsed->region == "eu-central-1");
  CHECK(parsed->service == "rolesanywhere");
  CHECK(parsed->terminator == "aws4_request");
  CHECK(parsed->signed_headers ==
        std::vector<std::string>{"content-type", "host", "x-amz-date", "x-amz-x509"});
  CHECK(parsed->signature_hex == "0a1b2c3d4e5f6789");

  SUBCASE("ECDSA") {
    const auto ecdsa = sv::parse_authorization(replaced(kValid, "RSA-SHA256", "ECDSA-SHA256"));
    REQUIRE(ecdsa.has_value());
    CHECK(ecdsa->algorithm == sv::Algorithm::kEcdsaSha256);
  }
  SUBCASE("separators without the space") {
    auto compact = replaced(replaced(kValid, ", SignedHeaders", ",SignedHeaders"), ", Signature",
                            ",Signature");
    CHECK(sv::parse_authorization(compact).has_value());
  }
  SUBCASE("a single signed header and serial 0") {
    const auto minimal = sv::parse_authorization(
        "AWS4-X509-RSA-SHA256 Credential=0/20240101/us-east-1/rolesanywhere/aws4_request, "
        "SignedHeaders=host, Signature=00");
    REQUIRE(minimal.has_value());
    CHECK(minimal->signed_headers == std::vector<std::string>{"host"});
  }
  SUBCASE("round trip through authorization_header") {
    const auto written = sv::authorization_header(
        sv::Algorithm::kEcdsaSha256, "987654321",
        "20991231/ap-southeast-2/rolesanywhere/aws4_request",
        "content-type;host;x-amz-date;x-amz-x509;x-amz-x509-chain", "30440220deadbeef");
    const auto back = sv::parse_authorization(written);
    REQUIRE(back.has_value());
    CHECK(back->serial == "987654321");
    CHECK(back->region == "ap-southeast-2");
    CHECK(back->signed_headers.size() == 5);
    CHECK(sv::authorization_header(back->algorithm, back->serial,
                                   sv::credential_scope(back->date, back->region, back->service),
                                   "content-type;host;x-amz-date;x-amz-x509;x-amz-x509-chain",
                                   back->signature_hex) == written);
  }
}

TEST_CASE("sigv4x509 parse_authorization: rejects anything else") {
  const std::string valid = kValid;
  REQUIRE(sv::parse_authorization(valid).has_value());  // so each rejection below is one change

  const std::vector<std::pair<const char*, std::string>> rejected = {
      {"empty", ""},
      {"algorithm only", "AWS4-X509-RSA-SHA256"},
      {"plain SigV4 algorithm", replaced(valid, "AWS4-X509-RSA-SHA256", "AWS4-HMAC-SHA256")},
      {"lower-case algorithm", replaced(valid, "AWS4-X509-RSA-SHA256", "aws4-x509-rsa-sha256")},
      {"leading space", " " + valid},
      {"two spaces after the algorithm", replaced(valid, "SHA256 Cred", "SHA256  Cred")},
      {"tab after the algorithm", replaced(valid, "SHA256 Cred", "SHA256\tCred")},
      {"trailing space", valid + " "},
      {"trailing text", valid + ", Extra=1"},
      {"trailing comma", valid + ","},
      {"missing Credential", replaced(valid, "Credential=", "Credentials=")},
      {"missing SignedHeaders",
       replaced(valid, "SignedHeaders=content-type;host;x-amz-date;x-amz-x509, ", "")},
      {"missing Signature", replaced(valid, ", Signature=0a1b2c3d4e5f6789", "")},
      {"parts out of order",
       "AWS4-X509-RSA-SHA256 SignedHeaders=host, "
       "Credential=1/20240517/eu-central-1/rolesanywhere/aws4_request, Signature=00"},
      {"key in lower case", replaced(valid, "Signature=", "signature=")},
      {"space before '='", replaced(valid, "Signature=", "Signature =")},
      {"non-decimal serial", replaced(valid, "=3620258999", "=3620258x99")},
      {"hex serial", replaced(valid, "=3620258999", "=0x3620258999")},
      {"negative serial", replaced(valid, "=3620258999", "=-3620258999")},
      {"empty serial", replaced(valid, "36202589993766844920166173305783209310", "")},
      {"absurdly long serial",
       replaced(valid, "36202589993766844920166173305783209310", std::string(65, '1'))},
      {"scope without region", replaced(valid, "/eu-central-1/", "/")},
      {"scope with an extra part", replaced(valid, "/rolesanywhere/", "/rolesanywhere/x/")},
      {"empty region", replaced(valid, "/eu-central-1/", "//")},
      {"upper-case region", replaced(valid, "eu-central-1", "EU-central-1")},
      {"empty service", replaced(valid, "/rolesanywhere/", "//")},
      {"wrong terminator", replaced(valid, "aws4_request", "aws4_requests")},
      {"short date", replaced(valid, "/20240517/", "/2024051/")},
      {"month 13", replaced(valid, "/20240517/", "/20241317/")},
      {"day 00", replaced(valid, "/20240517/", "/20240500/")},
      {"date with dashes", replaced(valid, "/20240517/", "/2024-05-17/")},
      {"empty signed headers", replaced(valid, "content-type;host;x-amz-date;x-amz-x509", "")},
      {"empty signed header name", replaced(valid, "host;x-amz-date", "host;;x-amz-date")},
      {"trailing ';' in signed headers", replaced(valid, "x-amz-x509,", "x-amz-x509;,")},
      {"unsorted signed headers", replaced(valid, "content-type;host", "host;content-type")},
      {"duplicate signed header", replaced(valid, "host;x-amz-date", "host;host;x-amz-date")},
      {"upper-case signed header", replaced(valid, "host;", "Host;")},
      {"space in signed headers", replaced(valid, "host;x-amz-date", "host; x-amz-date")},
      {"empty signature", replaced(valid, "0a1b2c3d4e5f6789", "")},
      {"odd-length signature", replaced(valid, "0a1b2c3d4e5f6789", "0a1b2c3d4e5f678")},
      {"upper-case hex signature", replaced(valid, "0a1b2c3d4e5f6789", "0A1B2C3D4E5F6789")},
      {"non-hex signature", replaced(valid, "0a1b2c3d4e5f6789", "0a1b2c3d4e5f67zz")},
      {"base64 signature", replaced(valid, "0a1b2c3d4e5f6789", "CgsMDQ4PEA==")},
      {"absurdly long signature", replaced(valid, "0a1b2c3d4e5f6789", std::string(2050, 'a'))},
      {"NUL inside", replaced(valid, "host", std::string("ho\0st", 5))},
  };
  for (const auto& entry : rejected) {
    // Not a structured binding: clang 14 cannot capture one in a lambda.
    const auto& why = entry.first;
    const auto& header = entry.second;
    INFO("case: " << why << " | header: " << header);
    CHECK_FALSE(sv::parse_authorization(header).has_value());
  }
}
