// Reading CreateSession answers, mapping errors, and the backoff schedule.
#include <doctest/doctest.h>

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/session.hpp"

#include <chrono>
#include <string>

using namespace rolesanywhere;
using namespace std::chrono;

namespace {

// The shape the real service answers with (trimmed from the API reference).
const std::string kGoodBody = R"({
  "credentialSet": [{
    "assumedRoleUser": {"arn": "arn:aws:sts::123456789012:assumed-role/Workload/abc",
                        "assumedRoleId": "AROAEXAMPLE:abc"},
    "credentials": {
      "accessKeyId": "ASIAEXAMPLEKEY",
      "expiration": "2026-11-23T10:30:00Z",
      "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLETOKEN"
    },
    "packedPolicySize": 3,
    "roleArn": "arn:aws:iam::123456789012:role/Workload",
    "sourceIdentity": "CN=client"
  }],
  "subjectArn": "arn:aws:rolesanywhere:us-east-1:123456789012:subject/xyz"
})";

std::string service_message_of(const std::string& body) {
  try {
    parse_create_session_response(body);
  } catch (const Error& e) {
    CHECK(e.kind() == Error::Kind::kService);
    return e.what();
  }
  FAIL("no error for body: " << body);
  return {};
}

HttpResponse answer(long status, std::string body, std::vector<HttpHeader> headers = {}) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

}  // namespace

TEST_CASE("parse_create_session_response reads the first credential set") {
  const Credentials credentials = parse_create_session_response(kGoodBody);
  CHECK(credentials.access_key_id == "ASIAEXAMPLEKEY");
  CHECK(credentials.secret_access_key.reveal() == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  CHECK(credentials.session_token.reveal() == "IQoJb3JpZ2luX2VjEXAMPLETOKEN");
  CHECK(credentials.expiration == sys_days{year{2026} / November / 23} + hours{10} + minutes{30});

  // Fractional seconds, as some SDK serialisations write them.
  std::string fractional = kGoodBody;
  fractional.replace(fractional.find("10:30:00Z"), 9, "10:30:00.000Z");
  CHECK(parse_create_session_response(fractional).expiration ==
        sys_days{year{2026} / November / 23} + hours{10} + minutes{30});
}

TEST_CASE("parse_create_session_response names what is missing and never quotes secrets") {
  // Renames the key, which leaves the JSON valid and the field absent.
  auto without = [](std::string_view field) {
    std::string body = kGoodBody;
    body.replace(body.find("\"" + std::string(field) + "\""), field.size() + 2,
                 "\"renamed_" + std::string(field) + "\"");
    return body;
  };
  for (std::string_view field : {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"}) {
    CAPTURE(field);
    const std::string message = service_message_of(without(field));
    CHECK(message.find("no credentialSet[0].credentials." + std::string(field)) !=
          std::string::npos);
    CHECK(message.find("EXAMPLEKEY") == std::string::npos);
    CHECK(message.find("EXAMPLETOKEN") == std::string::npos);
  }

  std::string bad_time = kGoodBody;
  bad_time.replace(bad_time.find("2026-11-23T10:30:00Z"), 20, "tomorrow");
  CHECK(service_message_of(bad_time).find("expiration") != std::string::npos);

  std::string number_key = kGoodBody;
  number_key.replace(number_key.find("\"ASIAEXAMPLEKEY\""), 16, "42");
  CHECK(service_message_of(number_key).find("accessKeyId is not a string") != std::string::npos);
}

TEST_CASE("parse_create_session_response turns garbage into a clear error") {
  CHECK(service_message_of("").find("not JSON") != std::string::npos);
  CHECK(service_message_of("<html>502 Bad Gateway</html>").find("not JSON") != std::string::npos);
  CHECK(service_message_of("{\"credentialSet\": [").find("not JSON") != std::string::npos);
  CHECK(service_message_of("[1,2]").find("not a JSON object") != std::string::npos);
  CHECK(service_message_of("{}").find("no credentialSet") != std::string::npos);
  CHECK(service_message_of(R"({"credentialSet":{}})").find("no credentialSet") !=
        std::string::npos);
  CHECK(service_message_of(R"({"credentialSet":[]})").find("credentialSet is empty") !=
        std::string::npos);
  CHECK(service_message_of(R"({"credentialSet":[7]})").find("not an object") != std::string::npos);
  CHECK(service_message_of(R"({"credentialSet":[{}]})").find("no credentialSet[0].credentials") !=
        std::string::npos);
  CHECK(service_message_of(R"({"credentialSet":[{"credentials":null}]})")
            .find("no credentialSet[0].credentials") != std::string::npos);
  CHECK(service_message_of(std::string("{\"a\":\"\xff\xfe\"}")).find("not JSON") !=
        std::string::npos);
}

// Issue 13: the wipe of a parsed answer recursed once per level, and 2 MB of brackets answered
// with 201 exhausted the stack (SIGSEGV) before any message could be given.
TEST_CASE("parse_create_session_response survives a million levels of nesting") {
  constexpr std::size_t kDepth = 1'000'000;
  const std::string brackets = std::string(kDepth, '[') + std::string(kDepth, ']');
  CHECK(service_message_of(brackets).find("not a JSON object") != std::string::npos);

  // Nested inside an otherwise good answer: parsed, used, and every level wiped.
  std::string good_with_depth = kGoodBody;
  good_with_depth.insert(good_with_depth.rfind('}'), ",\"deep\":" + brackets);
  const Credentials credentials = parse_create_session_response(good_with_depth);
  CHECK(credentials.access_key_id == "ASIAEXAMPLEKEY");

  // Error answers are parsed for their message too.
  CHECK(std::string(service_error_from_response(answer(400, brackets)).what()) ==
        "HTTP 400: Bad Request");
}

TEST_CASE("parse_create_session_response refuses an expiration the program cannot hold") {
  for (const char* expiration : {"9999-12-31T23:59:59Z", "1600-01-01T00:00:00Z"}) {
    std::string body = kGoodBody;
    body.replace(body.find("2026-11-23T10:30:00Z"), 20, expiration);
    const std::string message = service_message_of(body);
    CHECK_MESSAGE(message.find("credentialSet[0].credentials.expiration") != std::string::npos,
                  message);
    CHECK_MESSAGE(message.find(expiration) != std::string::npos, message);
    CHECK_MESSAGE(message.find("outside") != std::string::npos, message);
  }
}

TEST_CASE("service_error_from_response takes the type from x-amzn-ErrorType") {
  const ServiceError error = service_error_from_response(
      answer(403, R"({"message":"Untrusted signing certificate."})",
             {{"X-Amzn-ErrorType", "AccessDeniedException:http://internal.amazon.com/coral/"}}));
  CHECK(error.kind() == Error::Kind::kService);
  CHECK(error.http_status() == 403);
  CHECK(error.error_type() == "AccessDeniedException");
  CHECK(error.service_message() == "Untrusted signing certificate.");
  CHECK(std::string(error.what()) == "AccessDeniedException: Untrusted signing certificate.");
  CHECK_FALSE(error.retryable());
}

TEST_CASE("service_error_from_response falls back to the body's type and Message") {
  ServiceError error = service_error_from_response(answer(
      400, R"({"__type":"com.amazonaws.rolesanywhere#ValidationException","Message":"bad"})"));
  CHECK(error.error_type() == "ValidationException");
  CHECK(error.service_message() == "bad");

  error = service_error_from_response(answer(429, R"({"code":"ThrottlingException"})"));
  CHECK(error.error_type() == "ThrottlingException");
  CHECK(error.service_message() == "Too Many Requests");
  CHECK(error.retryable());

  // A header wins over the body.
  error = service_error_from_response(
      answer(400, R"({"__type":"Other","message":"m"})", {{"x-amzn-errortype", "Chosen"}}));
  CHECK(error.error_type() == "Chosen");
}

TEST_CASE("service_error_from_response survives garbage bodies") {
  ServiceError error = service_error_from_response(answer(502, "<html>Bad Gateway</html>"));
  CHECK(error.error_type().empty());
  CHECK(error.service_message() == "Bad Gateway");
  CHECK(std::string(error.what()) == "HTTP 502: Bad Gateway");
  CHECK(error.retryable());

  error = service_error_from_response(answer(503, ""));
  CHECK(std::string(error.what()) == "HTTP 503: Service Unavailable");

  error = service_error_from_response(answer(418, R"({"message":42,"__type":["x"]})"));
  CHECK(std::string(error.what()) == "HTTP 418: unexpected HTTP status 418");
  CHECK_FALSE(error.retryable());

  error = service_error_from_response(answer(400, "[\"not\",\"an\",\"object\"]"));
  CHECK(std::string(error.what()) == "HTTP 400: Bad Request");
}

TEST_CASE("backoff_delay is full jitter under a doubling cap") {
  RetryPolicy policy;
  policy.base_delay = milliseconds{100};
  policy.max_delay = milliseconds{1000};

  policy.random_unit = [] { return 0.0; };
  for (int attempt = 1; attempt <= 10; ++attempt)
    CHECK(backoff_delay(policy, attempt).count() == 0);

  // Just under 1: the top of the range for each attempt.
  policy.random_unit = [] { return 0.999999; };
  CHECK(backoff_delay(policy, 1).count() == 99);
  CHECK(backoff_delay(policy, 2).count() == 199);
  CHECK(backoff_delay(policy, 3).count() == 399);
  CHECK(backoff_delay(policy, 4).count() == 799);
  CHECK(backoff_delay(policy, 5).count() == 999);     // capped
  CHECK(backoff_delay(policy, 1000).count() == 999);  // no overflow at huge attempt numbers

  policy.random_unit = [] { return 0.5; };
  CHECK(backoff_delay(policy, 3).count() == 200);

  // An injected source that misbehaves cannot push the delay out of bounds.
  policy.random_unit = [] { return 7.0; };
  CHECK(backoff_delay(policy, 2).count() == 200);
  policy.random_unit = [] { return -1.0; };
  CHECK(backoff_delay(policy, 2).count() == 0);
}

TEST_CASE("backoff_delay with the default random source stays in bounds") {
  RetryPolicy policy;  // no random_unit: the real one
  policy.base_delay = milliseconds{100};
  policy.max_delay = milliseconds{5000};
  for (int attempt = 1; attempt <= 8; ++attempt) {
    const auto ceiling = std::min<long long>(5000, 100LL << (attempt - 1));
    for (int i = 0; i < 50; ++i) {
      const auto delay = backoff_delay(policy, attempt).count();
      CHECK(delay >= 0);
      CHECK(delay <= ceiling);
    }
  }
}
