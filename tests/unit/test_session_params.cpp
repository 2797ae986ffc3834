// ARN parsing, parameter validation, endpoint resolution and the unsigned request.
#include "cli/flag_labels.hpp"

#include <doctest/doctest.h>

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/session.hpp"
#include "rolesanywhere/version.hpp"

#include <nlohmann/json.hpp>

#include <string>

using namespace rolesanywhere;

namespace {

constexpr const char* kTrustAnchor =
    "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/"
    "a1b2c3d4-0000-1111-2222-333344445555";
constexpr const char* kProfile =
    "arn:aws:rolesanywhere:us-east-1:123456789012:profile/f0e1d2c3-0000-1111-2222-333344445555";
constexpr const char* kRole = "arn:aws:iam::123456789012:role/Workload";

// The flag names the command line passes.
SessionLabels cli_labels() { return rolesanywhere::cli::session_labels(); }

// Valid parameters, labelled as the command line labels them: the messages checked here are
// the ones users see.
CreateSessionParams good_params() {
  CreateSessionParams params;
  params.trust_anchor_arn = kTrustAnchor;
  params.profile_arn = kProfile;
  params.role_arn = kRole;
  params.labels = cli_labels();
  return params;
}

// Runs `action`, requires Error(kInvalidArgument), and returns its message.
template <typename Action>
std::string invalid_argument_message(Action action) {
  try {
    action();
  } catch (const Error& e) {
    CHECK(e.kind() == Error::Kind::kInvalidArgument);
    return e.what();
  }
  FAIL("no error thrown");
  return {};
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

std::string replace(std::string text, std::string_view from, std::string_view to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

}  // namespace

TEST_CASE("parse_arn splits the six fields and keeps colons in the resource") {
  const Arn arn = parse_arn(kTrustAnchor, "--trust-anchor-arn");
  CHECK(arn.partition == "aws");
  CHECK(arn.service == "rolesanywhere");
  CHECK(arn.region == "us-east-1");
  CHECK(arn.account == "123456789012");
  CHECK(arn.resource == "trust-anchor/a1b2c3d4-0000-1111-2222-333344445555");

  const Arn role = parse_arn("arn:aws-cn:iam::123456789012:role/a:b", "--role-arn");
  CHECK(role.partition == "aws-cn");
  CHECK(role.region.empty());
  CHECK(role.resource == "role/a:b");
}

TEST_CASE("parse_arn names the flag and the text when it is not an ARN") {
  for (std::string_view text :
       {"", "not-an-arn", "arn:aws:iam::123", "urn:aws:iam::1:role/x", "arn::iam::1:role/x",
        "arn:aws:::1:role/x", "arn:aws:iam::1:", "arn:aws:iam::1:role/x y"}) {
    CAPTURE(text);
    const std::string message = invalid_argument_message([&] { parse_arn(text, "--profile-arn"); });
    CHECK(contains(message, "--profile-arn"));
    CHECK(contains(message, "\"" + std::string(text) + "\""));
    CHECK(contains(message, "is not an ARN"));
  }
}

TEST_CASE("validate accepts good parameters and the documented duration bounds") {
  CreateSessionParams params = good_params();
  CHECK_NOTHROW(validate(params));
  params.duration_seconds = 900;
  CHECK_NOTHROW(validate(params));
  params.duration_seconds = 43'200;
  CHECK_NOTHROW(validate(params));
  params.role_session_name = "my-session_1+=,.@x";
  CHECK_NOTHROW(validate(params));
  params.role_arn = "arn:aws:iam::123456789012:role/division/team/Workload";
  CHECK_NOTHROW(validate(params));
  params.region = "eu-west-2";
  CHECK_NOTHROW(validate(params));
}

TEST_CASE("validate names the flag of each wrong ARN") {
  struct Case {
    std::string_view flag;
    void (*mutate)(CreateSessionParams&);
    std::string_view fragment;
  };
  const Case cases[] = {
      {"--trust-anchor-arn", [](CreateSessionParams& p) { p.trust_anchor_arn.clear(); },
       "is required"},
      {"--profile-arn", [](CreateSessionParams& p) { p.profile_arn.clear(); }, "is required"},
      {"--role-arn", [](CreateSessionParams& p) { p.role_arn.clear(); }, "is required"},
      {"--trust-anchor-arn", [](CreateSessionParams& p) { p.trust_anchor_arn = "garbage"; },
       "is not an ARN"},
      {"--trust-anchor-arn", [](CreateSessionParams& p) { p.trust_anchor_arn = kProfile; },
       "does not name a trust-anchor"},
      {"--trust-anchor-arn",
       [](CreateSessionParams& p) {
         p.trust_anchor_arn = "arn:aws:iam:us-east-1:123456789012:trust-anchor/x";
       },
       "expected \"rolesanywhere\""},
      {"--trust-anchor-arn",
       [](CreateSessionParams& p) {
         p.trust_anchor_arn = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/";
       },
       "does not name a trust-anchor"},
      {"--trust-anchor-arn",
       [](CreateSessionParams& p) {
         p.trust_anchor_arn = "arn:aws:rolesanywhere::123456789012:trust-anchor/x";
       },
       "has no valid region"},
      {"--profile-arn", [](CreateSessionParams& p) { p.profile_arn = kTrustAnchor; },
       "does not name a profile"},
      {"--profile-arn", [](CreateSessionParams& p) { p.profile_arn = kRole; },
       "expected \"rolesanywhere\""},
      {"--role-arn", [](CreateSessionParams& p) { p.role_arn = kProfile; }, "expected \"iam\""},
      {"--role-arn",
       [](CreateSessionParams& p) { p.role_arn = "arn:aws:iam::123456789012:user/Someone"; },
       "does not name a role"},
      {"--role-arn", [](CreateSessionParams& p) { p.role_arn = "arn:aws:iam:::role/x"; },
       "has no account id"},
  };
  for (const auto& c : cases) {
    CreateSessionParams params = good_params();
    c.mutate(params);
    CAPTURE(params.trust_anchor_arn);
    CAPTURE(params.profile_arn);
    CAPTURE(params.role_arn);
    const std::string message = invalid_argument_message([&] { validate(params); });
    CHECK_MESSAGE(contains(message, c.flag), message);
    CHECK_MESSAGE(contains(message, c.fragment), message);
  }
}

TEST_CASE("validate requires one partition and one region across the ARNs") {
  CreateSessionParams params = good_params();
  params.profile_arn = replace(kProfile, "arn:aws:", "arn:aws-cn:");
  std::string message = invalid_argument_message([&] { validate(params); });
  CHECK(contains(message, "--profile-arn is in partition \"aws-cn\""));
  CHECK(contains(message, "--trust-anchor-arn is in partition \"aws\""));

  params = good_params();
  params.role_arn = replace(kRole, "arn:aws:", "arn:aws-us-gov:");
  message = invalid_argument_message([&] { validate(params); });
  CHECK(contains(message, "--role-arn is in partition \"aws-us-gov\""));

  params = good_params();
  params.profile_arn = replace(kProfile, "us-east-1", "us-west-2");
  message = invalid_argument_message([&] { validate(params); });
  CHECK(contains(message, "--trust-anchor-arn (us-east-1)"));
  CHECK(contains(message, "--profile-arn (us-west-2)"));
  CHECK(contains(message, "do not match"));
}

TEST_CASE("validate checks duration, session name and region") {
  CreateSessionParams params = good_params();
  for (int duration : {0, 899, 43'201, -5}) {
    params.duration_seconds = duration;
    const std::string message = invalid_argument_message([&] { validate(params); });
    CHECK(contains(message, "--session-duration must be between 900 and 43200 seconds, not " +
                                std::to_string(duration)));
  }
  params = good_params();
  for (std::string name : {std::string("a"), std::string(65, 'x'), std::string("has space"),
                           std::string("slash/no"), std::string("quote\"")}) {
    params.role_session_name = name;
    const std::string message = invalid_argument_message([&] { validate(params); });
    CHECK(contains(message, "--role-session-name"));
  }
  params.role_session_name = std::string(64, 'x');
  CHECK_NOTHROW(validate(params));

  params = good_params();
  params.region = "us-east-1.evil.example/";
  CHECK(contains(invalid_argument_message([&] { validate(params); }), "--region"));
}

TEST_CASE("resolve_endpoint picks the host per partition") {
  CreateSessionParams params = good_params();
  Endpoint endpoint = resolve_endpoint(params);
  CHECK(endpoint.url == "https://rolesanywhere.us-east-1.amazonaws.com");
  CHECK(endpoint.host == "rolesanywhere.us-east-1.amazonaws.com");
  CHECK(endpoint.region == "us-east-1");

  params.trust_anchor_arn = "arn:aws-cn:rolesanywhere:cn-north-1:123456789012:trust-anchor/a1b2";
  endpoint = resolve_endpoint(params);
  CHECK(endpoint.url == "https://rolesanywhere.cn-north-1.amazonaws.com.cn");
  CHECK(endpoint.host == "rolesanywhere.cn-north-1.amazonaws.com.cn");
  CHECK(endpoint.region == "cn-north-1");

  params.trust_anchor_arn =
      "arn:aws-us-gov:rolesanywhere:us-gov-west-1:123456789012:trust-anchor/a1b2";
  endpoint = resolve_endpoint(params);
  CHECK(endpoint.url == "https://rolesanywhere.us-gov-west-1.amazonaws.com");
  CHECK(endpoint.region == "us-gov-west-1");

  params.trust_anchor_arn = "arn:aws-iso:rolesanywhere:us-iso-east-1:123456789012:trust-anchor/a";
  CHECK(contains(invalid_argument_message([&] { resolve_endpoint(params); }), "--endpoint"));
}

TEST_CASE("resolve_endpoint honours --region and --endpoint") {
  CreateSessionParams params = good_params();
  params.region = "eu-central-1";
  Endpoint endpoint = resolve_endpoint(params);
  CHECK(endpoint.url == "https://rolesanywhere.eu-central-1.amazonaws.com");
  CHECK(endpoint.region == "eu-central-1");

  params = good_params();
  struct Case {
    std::string_view given, url, host;
  };
  const Case cases[] = {
      {"https://vpce.example.com", "https://vpce.example.com", "vpce.example.com"},
      {"https://vpce.example.com/", "https://vpce.example.com", "vpce.example.com"},
      {"HTTPS://vpce.example.com:443", "https://vpce.example.com:443", "vpce.example.com"},
      {"https://vpce.example.com:8443", "https://vpce.example.com:8443", "vpce.example.com:8443"},
      {"http://127.0.0.1:8080", "http://127.0.0.1:8080", "127.0.0.1:8080"},
      {"http://localhost:80/", "http://localhost:80", "localhost"},
      {"rolesanywhere.example.com", "https://rolesanywhere.example.com",
       "rolesanywhere.example.com"},
      {"localhost:9443", "https://localhost:9443", "localhost:9443"},
      {"http://[::1]:8080", "http://[::1]:8080", "[::1]:8080"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.given);
    params.endpoint = std::string(c.given);
    endpoint = resolve_endpoint(params);
    CHECK(endpoint.url == c.url);
    CHECK(endpoint.host == c.host);
    CHECK(endpoint.region == "us-east-1");  // signing region still from the ARN
  }

  for (std::string_view bad :
       {"ftp://host", "https://", "https://host/path", "https://host:0", "https://host:99999",
        "https://host:port", "https://u@host", "https://host?x=1", "http://[::1:80"}) {
    CAPTURE(bad);
    params.endpoint = std::string(bad);
    CHECK(contains(invalid_argument_message([&] { resolve_endpoint(params); }), "--endpoint"));
  }
}

TEST_CASE("validate and resolve_endpoint without labels name the value, not a flag") {
  struct Case {
    void (*mutate)(CreateSessionParams&);
    std::string_view fragment;
  };
  const Case cases[] = {
      {[](CreateSessionParams& p) { p.trust_anchor_arn.clear(); },
       "the trust anchor ARN is required"},
      {[](CreateSessionParams& p) { p.profile_arn = "garbage"; },
       "the profile ARN: \"garbage\" is not an ARN"},
      {[](CreateSessionParams& p) { p.role_arn = kProfile; }, "the role ARN \""},
      {[](CreateSessionParams& p) { p.profile_arn = replace(kProfile, "us-east-1", "us-west-2"); },
       "the regions of the trust anchor ARN (us-east-1) and the profile ARN (us-west-2)"},
      {[](CreateSessionParams& p) { p.duration_seconds = 1; },
       "the session duration must be between 900 and 43200 seconds, not 1"},
      {[](CreateSessionParams& p) { p.role_session_name = "a"; }, "the role session name \"a\""},
      {[](CreateSessionParams& p) { p.region = "Not A Region"; },
       "the region \"Not A Region\" is not a region name"},
  };
  for (const auto& c : cases) {
    CreateSessionParams params = good_params();
    params.labels = {};
    c.mutate(params);
    const std::string message = invalid_argument_message([&] { validate(params); });
    CAPTURE(message);
    CHECK(contains(message, c.fragment));
    CHECK_FALSE(contains(message, "--"));
  }

  CreateSessionParams params = good_params();
  params.labels = {};
  params.endpoint = "ftp://host";
  std::string message = invalid_argument_message([&] { resolve_endpoint(params); });
  CHECK(contains(message, "the endpoint \"ftp://host\" must use https or http"));
  CHECK_FALSE(contains(message, "--"));
  params = good_params();
  params.labels = {};
  params.trust_anchor_arn = "arn:aws-iso:rolesanywhere:us-iso-east-1:123456789012:trust-anchor/a";
  message = invalid_argument_message([&] { resolve_endpoint(params); });
  CHECK(contains(message, "the trust anchor ARN is in partition \"aws-iso\""));
  CHECK_FALSE(contains(message, "--"));
  params.trust_anchor_arn = "arn:aws:rolesanywhere::123456789012:trust-anchor/a";
  message = invalid_argument_message([&] { resolve_endpoint(params); });
  CHECK(message == "no region: the trust anchor ARN has none and no region was given");
}

TEST_CASE("build_create_session_request matches the official helper's request") {
  CreateSessionParams params = good_params();
  params.duration_seconds = 1800;
  params.endpoint = "http://127.0.0.1:8080";
  const HttpRequest request = build_create_session_request(params, resolve_endpoint(params));

  CHECK(request.method == "POST");
  CHECK(request.path == "/sessions");
  CHECK(request.query ==
        "profileArn=arn%3Aaws%3Arolesanywhere%3Aus-east-1%3A123456789012%3Aprofile%2F"
        "f0e1d2c3-0000-1111-2222-333344445555"
        "&roleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FWorkload"
        "&trustAnchorArn=arn%3Aaws%3Arolesanywhere%3Aus-east-1%3A123456789012%3Atrust-anchor%2F"
        "a1b2c3d4-0000-1111-2222-333344445555");
  CHECK(request.body == R"({"durationSeconds":1800})");
  REQUIRE(request.headers.size() == 3);
  CHECK(request.headers[0].name == "Host");
  CHECK(request.headers[0].value == "127.0.0.1:8080");
  CHECK(request.header("content-type") == "application/json");
  const std::string user_agent = std::string(kToolName) + "/" + kVersion + " (";
  CHECK(request.header("User-Agent").value_or("").starts_with(user_agent));
  CHECK(request.header("User-Agent").value_or("").ends_with(")"));

  params.role_session_name = "build-42";
  CHECK(build_create_session_request(params, resolve_endpoint(params)).body ==
        R"({"durationSeconds":1800,"roleSessionName":"build-42"})");
}
