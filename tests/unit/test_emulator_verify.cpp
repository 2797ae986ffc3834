// The verifier decides like the real service: right requests pass, each kind of wrong one is
// refused with the status, error type and a message that names what is wrong.
#include "emulator/verify_session.hpp"
#include "rolesanywhere/error.hpp"
#include "test_emulator_support.hpp"

#include <doctest/doctest.h>

#include <chrono>

using namespace rolesanywhere;
using namespace rolesanywhere::emulator;
using emulator_test::signed_request;
using emulator_test::SignSpec;

namespace {

const EmulatorConfig& config() {
  static const EmulatorConfig instance = emulator_test::test_config();
  return instance;
}

VerificationResult verify(const HttpRequest& request,
                          TimePoint now = emulator_test::now_seconds()) {
  return verify_create_session(request, config(), now);
}

// Checks the refusal and returns its message for further checks.
std::string refused(const VerificationResult& result, int status, const std::string& type) {
  REQUIRE_FALSE(result.accepted());
  CHECK(result.fault().status == status);
  CHECK(result.fault().type == type);
  return result.fault().message;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("emulator verify: a correctly signed request from every supported key type passes") {
  for (const std::string kind : {"rsa2048", "rsa3072", "rsa4096", "p256", "p384", "p521"}) {
    CAPTURE(kind);
    SignSpec spec;
    spec.certificate = kind + ".crt.pem";
    spec.key = kind + ".key.pem";
    const auto result = verify(signed_request(spec));
    if (!result.accepted()) FAIL(result.fault().message);
    CHECK(result.grant().duration_seconds == 3600);
    CHECK(result.grant().role_arn == config().role_arn);
    CHECK_FALSE(result.grant().serial_decimal.empty());
    CHECK_FALSE(result.canonical_request.empty());
  }
}

TEST_CASE("emulator verify: the server's canonical request is the signer's") {
  std::string signer_canonical;
  const HttpRequest request = signed_request({}, &signer_canonical);
  const auto result = verify(request);
  REQUIRE(result.accepted());
  CHECK(result.canonical_request == signer_canonical);
  CHECK(result.canonical_request.starts_with("POST\n/sessions\nprofileArn="));
  CHECK(contains(result.string_to_sign, "AWS4-X509-RSA-SHA256\n"));
  CHECK(contains(result.string_to_sign, "/us-east-1/rolesanywhere/aws4_request\n"));
}

TEST_CASE("emulator verify: a certificate signed directly by the root needs no chain") {
  SignSpec spec;
  spec.certificate = "direct-p256.crt.pem";
  spec.key = "p256.key.pem";
  spec.send_chain = false;
  CHECK(verify(signed_request(spec)).accepted());
}

TEST_CASE("emulator verify: roleSessionName and durationSeconds limits are accepted") {
  SignSpec spec;
  spec.body = R"({"durationSeconds":900,"roleSessionName":"build-42@ci"})";
  auto result = verify(signed_request(spec));
  REQUIRE(result.accepted());
  CHECK(result.grant().duration_seconds == 900);
  CHECK(result.grant().role_session_name == "build-42@ci");
  spec.body = R"({"durationSeconds":43200})";
  CHECK(verify(signed_request(spec)).accepted());
  spec.body = "";  // optional: the default duration
  result = verify(signed_request(spec));
  REQUIRE(result.accepted());
  CHECK(result.grant().duration_seconds == kDefaultDurationSeconds);
}

TEST_CASE("emulator verify: a tampered signature is refused") {
  HttpRequest request = signed_request();
  std::string authorization = *request.header("Authorization");
  char& last = authorization.back();
  last = last == '0' ? '1' : '0';
  request.set_header("Authorization", authorization);
  const auto message = refused(verify(request), 403, "AccessDeniedException");
  CHECK(contains(message, "Signature verification failed"));
  CHECK(contains(message, "AWS4-X509-RSA-SHA256|"));
}

TEST_CASE("emulator verify: a body changed after signing is refused") {
  HttpRequest request = signed_request();
  request.body = R"({"durationSeconds":3601})";
  CHECK(contains(refused(verify(request), 403, "AccessDeniedException"),
                 "Signature verification failed"));
}

TEST_CASE("emulator verify: a signature by another key than the certificate's is refused") {
  SignSpec spec;
  spec.key = "rsa3072.key.pem";
  CHECK(contains(refused(verify(signed_request(spec)), 403, "AccessDeniedException"),
                 "Signature verification failed"));
}

TEST_CASE("emulator verify: an algorithm that does not fit the key type is refused") {
  SignSpec spec;
  spec.algorithm = sigv4x509::Algorithm::kEcdsaSha256;  // with an RSA certificate
  const auto message = refused(verify(signed_request(spec)), 403, "AccessDeniedException");
  CHECK(contains(message, "AWS4-X509-ECDSA-SHA256 does not fit the certificate's RSA key"));
}

TEST_CASE("emulator verify: a Credential serial that is not the certificate's is refused") {
  SignSpec spec;
  spec.serial = "12345";
  const auto message = refused(verify(signed_request(spec)), 403, "AccessDeniedException");
  CHECK(contains(message, "Credential serial '12345' is not the signing certificate's serial"));
}

TEST_CASE("emulator verify: a scope region other than the served one is refused") {
  SignSpec spec;
  spec.region = "eu-west-1";
  CHECK(contains(refused(verify(signed_request(spec)), 403, "AccessDeniedException"),
                 "region 'eu-west-1' is not the region this emulator serves, 'us-east-1'"));
}

TEST_CASE("emulator verify: a certificate from an untrusted CA is refused") {
  SignSpec spec;
  spec.certificate = "untrusted.crt.pem";
  spec.send_chain = false;
  const auto message = refused(verify(signed_request(spec)), 403, "AccessDeniedException");
  CHECK(contains(message, "Untrusted signing certificate"));
  CAPTURE(message);
  CHECK(contains(message, "missing issuer O=rolesanywhere-helper tests,CN=Untrusted Other CA"));
  CHECK(contains(message, "[doctor: chain.anchor]"));
}

TEST_CASE("emulator verify: an expired or not yet valid certificate is refused") {
  for (const std::string name : {"expired.crt.pem", "notyet.crt.pem"}) {
    CAPTURE(name);
    SignSpec spec;
    spec.certificate = name;
    const auto message = refused(verify(signed_request(spec)), 403, "AccessDeniedException");
    CHECK(contains(message, "Untrusted signing certificate"));
    CHECK(contains(message, name == "expired.crt.pem" ? "expired on" : "not valid until"));
    CHECK(contains(message, "[doctor: leaf.validity]"));
  }
}

TEST_CASE("emulator verify: the verification time is the injected one and not the system clock") {
  // The valid leaf, judged ten years ahead, has expired.
  const TimePoint later = emulator_test::now_seconds() + std::chrono::hours(24 * 3650);
  SignSpec spec;
  spec.signed_at = later;
  CHECK(contains(refused(verify(signed_request(spec), later), 403, "AccessDeniedException"),
                 "[doctor: leaf.validity]"));
}

TEST_CASE("emulator verify: a CA certificate (CA:TRUE) as the signer is refused") {
  SignSpec spec;
  spec.certificate = "ca-leaf.crt.pem";
  spec.key = "p256.key.pem";
  const auto message = refused(verify(signed_request(spec)), 403, "AccessDeniedException");
  CHECK(contains(message, "basicConstraints says CA:TRUE"));
  CHECK(contains(message, "[doctor: leaf.ca]"));
}

TEST_CASE("emulator verify: the leaf signed by the intermediate needs the intermediate sent") {
  SignSpec spec;
  spec.send_chain = false;
  const auto message = refused(verify(signed_request(spec)), 403, "AccessDeniedException");
  CHECK(contains(message, "missing issuer"));
  CHECK(contains(message, "send its certificate in X-Amz-X509-Chain"));
  spec.send_chain = true;
  CHECK(verify(signed_request(spec)).accepted());
}

TEST_CASE("emulator verify: an X-Amz-Date more than 5 minutes off the server time is refused") {
  const TimePoint now = emulator_test::now_seconds();
  SignSpec spec;
  spec.signed_at = now - std::chrono::minutes(6);
  CHECK(contains(refused(verify(signed_request(spec), now), 403, "AccessDeniedException"),
                 "Signature expired"));
  spec.signed_at = now + std::chrono::minutes(6);
  CHECK(contains(refused(verify(signed_request(spec), now), 403, "AccessDeniedException"),
                 "Signature not yet current"));
  spec.signed_at = now - std::chrono::minutes(4);
  CHECK(verify(signed_request(spec), now).accepted());
}

TEST_CASE("emulator verify: a malformed X-Amz-Date is refused") {
  HttpRequest request = signed_request();
  request.set_header("X-Amz-Date", "2026-11-23T09:30:00Z");
  CHECK(contains(refused(verify(request), 403, "AccessDeniedException"),
                 "is not of the form YYYYMMDDTHHMMSSZ"));
  CHECK_FALSE(parse_amz_date("20260231T000000Z"));
  CHECK(parse_amz_date("20150830T123600Z") == std::chrono::system_clock::from_time_t(1440938160));
}

// Issue 13: a year past 2262 overflowed the nanosecond time point (undefined behaviour).
TEST_CASE("emulator verify: an X-Amz-Date outside what a time point holds is refused cleanly") {
  CHECK_FALSE(parse_amz_date("99991231T235959Z"));
  CHECK_FALSE(parse_amz_date("22630101T000000Z"));
  CHECK_FALSE(parse_amz_date("16000101T000000Z"));
  CHECK_FALSE(parse_amz_date("00000101T000000Z"));
  CHECK(parse_amz_date("22620411T234716Z") ==
        std::chrono::floor<std::chrono::seconds>(TimePoint::max()));
  CHECK_FALSE(parse_amz_date("22620411T234717Z"));
  CHECK(parse_amz_date("19691231T235959Z") == std::chrono::system_clock::from_time_t(-1));

  // As the service does with any date far off its clock: expired, or not yet current.
  HttpRequest request = signed_request();
  request.set_header("X-Amz-Date", "99991231T235959Z");
  CHECK(contains(refused(verify(request), 403, "AccessDeniedException"),
                 "Signature not yet current: X-Amz-Date 99991231T235959Z"));
  request.set_header("X-Amz-Date", "16000101T000000Z");
  CHECK(contains(refused(verify(request), 403, "AccessDeniedException"),
                 "Signature expired: X-Amz-Date 16000101T000000Z"));
}

TEST_CASE("emulator verify: well-formed ARNs that are not the served ones are refused") {
  SignSpec spec;
  spec.trust_anchor_arn =
      "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/"
      "00000000-0000-4000-8000-000000000000";
  CHECK(contains(refused(verify(signed_request(spec)), 403, "AccessDeniedException"),
                 "trustAnchorArn"));
  spec = {};
  spec.role_arn = "arn:aws:iam::123456789012:role/OtherRole";
  CHECK(contains(refused(verify(signed_request(spec)), 403, "AccessDeniedException"),
                 "roleArn 'arn:aws:iam::123456789012:role/OtherRole' is not served here"));
}

TEST_CASE("emulator verify: every role given is served, and only those") {
  EmulatorConfig several = emulator_test::test_config();
  several.other_role_arns = {"arn:aws:iam::123456789012:role/web",
                             "arn:aws:iam::123456789012:role/batch"};
  SignSpec spec;
  for (const std::string& role :
       {std::string(kDefaultRoleArn), several.other_role_arns[0], several.other_role_arns[1]}) {
    spec.role_arn = role;
    const VerificationResult result =
        verify_create_session(signed_request(spec), several, emulator_test::now_seconds());
    REQUIRE_MESSAGE(result.accepted(), role);
    CHECK(result.grant().role_arn == role);
  }
  spec.role_arn = "arn:aws:iam::123456789012:role/other";
  const VerificationResult result =
      verify_create_session(signed_request(spec), several, emulator_test::now_seconds());
  CHECK(contains(refused(result, 403, "AccessDeniedException"),
                 "this emulator serves '" + std::string(kDefaultRoleArn) +
                     "', 'arn:aws:iam::123456789012:role/web', "
                     "'arn:aws:iam::123456789012:role/batch'"));

  several.other_role_arns.push_back("arn:aws:iam::123456789012:role/web");
  CHECK_THROWS_WITH_AS(finish_config(several),
                       doctest::Contains("--role-arn 'arn:aws:iam::123456789012:role/web' is "
                                         "given twice"),
                       Error);
  several.other_role_arns = {"not-an-arn"};
  CHECK_THROWS_WITH_AS(finish_config(several), doctest::Contains("--role-arn 'not-an-arn'"), Error);
}

TEST_CASE("emulator verify: malformed ARNs are a ValidationException") {
  SignSpec spec;
  spec.trust_anchor_arn = "arn:aws:rolesanywhere:us-east-1:123:trust-anchor/abc";
  CHECK(contains(refused(verify(signed_request(spec)), 400, "ValidationException"),
                 "is not a valid ARN: account '123' is not 12 digits"));
  spec = {};
  spec.profile_arn = "not-an-arn";
  CHECK(contains(refused(verify(signed_request(spec)), 400, "ValidationException"),
                 "profileArn 'not-an-arn' is not a valid ARN"));
  spec = {};
  spec.role_arn = "arn:aws:iam::123456789012:user/Someone";
  CHECK(contains(refused(verify(signed_request(spec)), 400, "ValidationException"), "role/<name>"));
}

TEST_CASE("emulator verify: a missing ARN parameter is a ValidationException") {
  HttpRequest request = signed_request();
  request.query = request.query.substr(0, request.query.find("&trustAnchorArn"));
  CHECK(contains(refused(verify(request), 400, "ValidationException"),
                 "missing required parameter trustAnchorArn"));
}

TEST_CASE("emulator verify: durationSeconds outside 900..43200 is a ValidationException") {
  for (const std::string body : {R"({"durationSeconds":899})", R"({"durationSeconds":43201})"}) {
    CAPTURE(body);
    SignSpec spec;
    spec.body = body;
    CHECK(contains(refused(verify(signed_request(spec)), 400, "ValidationException"),
                   "is outside 900..43200"));
  }
  SignSpec spec;
  spec.body = R"({"durationSeconds":"3600"})";
  CHECK(
      contains(refused(verify(signed_request(spec)), 400, "ValidationException"), "whole number"));
  spec.body = "{not json";
  CHECK(contains(refused(verify(signed_request(spec)), 400, "ValidationException"),
                 "not valid JSON"));
  spec.body = R"({"roleSessionName":"a"})";
  CHECK(contains(refused(verify(signed_request(spec)), 400, "ValidationException"),
                 "roleSessionName"));
}

TEST_CASE("emulator verify: each missing signing header is named") {
  for (const std::string name : {"X-Amz-Date", "X-Amz-X509", "Authorization", "Host"}) {
    CAPTURE(name);
    HttpRequest request = signed_request();
    std::erase_if(request.headers, [&](const HttpHeader& h) { return iequals(h.name, name); });
    CHECK(contains(refused(verify(request), 403, "AccessDeniedException"),
                   "missing " + name + " header"));
  }
}

TEST_CASE("emulator verify: a required header left out of SignedHeaders is refused") {
  SignSpec spec;
  spec.content_type_before_signing = false;
  CHECK(contains(refused(verify(signed_request(spec)), 403, "AccessDeniedException"),
                 "header content-type must be signed but is not in SignedHeaders"));
}

TEST_CASE("emulator verify: malformed certificate headers and Authorization are refused") {
  HttpRequest request = signed_request();
  request.set_header("X-Amz-X509", "not base64!");
  CHECK(
      contains(refused(verify(request), 403, "AccessDeniedException"), "X-Amz-X509 is not base64"));

  request = signed_request();
  request.set_header("X-Amz-X509-Chain", "QUJD");  // base64 of "ABC"
  CHECK(contains(refused(verify(request), 403, "AccessDeniedException"),
                 "X-Amz-X509-Chain item 1 is base64 but not one DER X.509 certificate"));

  request = signed_request();
  request.set_header("Authorization", "AWS4-HMAC-SHA256 Credential=x");
  CHECK(contains(refused(verify(request), 403, "AccessDeniedException"),
                 "algorithm 'AWS4-HMAC-SHA256'"));

  request = signed_request();
  request.set_header("Authorization", "AWS4-X509-RSA-SHA256 garbage");
  CHECK(contains(refused(verify(request), 403, "AccessDeniedException"),
                 "Authorization header is malformed"));
}

TEST_CASE("emulator verify: only POST /sessions is an operation") {
  HttpRequest request = signed_request();
  request.method = "GET";
  refused(verify(request), 404, "UnknownOperationException");
  request = signed_request();
  request.path = "/session";
  refused(verify(request), 404, "UnknownOperationException");
}

TEST_CASE("emulator verify: ARNs of different accounts do not belong together") {
  SignSpec spec;
  spec.role_arn = "arn:aws:iam::210987654321:role/EmulatorRole";
  CHECK(contains(refused(verify(signed_request(spec)), 403, "AccessDeniedException"),
                 "the ARNs do not belong together: the role ARN is in account 210987654321 but "
                 "the trust anchor ARN in 123456789012"));
}
