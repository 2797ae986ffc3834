// --instance-property (issue 16): KEY=VALUE pairs checked against the API's limits (at most 50,
// keys and values of 1 to 200 characters) and sent as CreateSession's instanceProperties map;
// the emulator refuses a request without them for a profile that requires them.
#include "emulator/verify_session.hpp"
#include "test_emulator_support.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/session.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>

using namespace rolesanywhere;

namespace {

CreateSessionParams params_with_endpoint() {
  CreateSessionParams params;
  params.trust_anchor_arn =
      "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/a1b2c3d4-0000";
  params.profile_arn = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/f0e1d2c3-0000";
  params.role_arn = "arn:aws:iam::123456789012:role/Workload";
  params.endpoint = "http://127.0.0.1:8080";
  return params;
}

// The message add_instance_property throws for `text`, or a failed check.
std::string property_error(const std::string& text,
                           std::map<std::string, std::string> properties = {}) {
  try {
    add_instance_property(properties, text, "--instance-property");
  } catch (const Error& e) {
    CHECK(e.kind() == Error::Kind::kInvalidArgument);
    return e.what();
  }
  FAIL("no error for " << text);
  return {};
}

}  // namespace

TEST_CASE("instance properties are sent as the body's instanceProperties map, after the rest") {
  CreateSessionParams params = params_with_endpoint();
  params.role_session_name = "build-42";
  add_instance_property(params.instance_properties, "hostname=web-1", "--instance-property");
  add_instance_property(params.instance_properties, "env=a=b", "--instance-property");
  CHECK(build_create_session_request(params, resolve_endpoint(params)).body ==
        R"({"durationSeconds":3600,"roleSessionName":"build-42",)"
        R"("instanceProperties":{"env":"a=b","hostname":"web-1"}})");
  params.instance_properties.clear();
  CHECK(build_create_session_request(params, resolve_endpoint(params)).body ==
        R"({"durationSeconds":3600,"roleSessionName":"build-42"})");
}

TEST_CASE("--instance-property values outside the API's limits are refused, naming the flag") {
  CHECK(property_error("hostname") == "--instance-property \"hostname\" must be KEY=VALUE");
  CHECK(property_error("=web-1") ==
        "--instance-property \"=web-1\": the key is empty (expected KEY=VALUE)");
  CHECK(property_error("hostname=") ==
        "--instance-property \"hostname=\": the value is empty (expected KEY=VALUE)");
  const std::string long_key(201, 'k');
  CHECK(property_error(long_key + "=v").find("the key is 201 characters long; at most 200") !=
        std::string::npos);
  const std::string longest(200, 'v');
  std::map<std::string, std::string> properties;
  CHECK_NOTHROW(add_instance_property(properties, std::string(200, 'k') + "=" + longest, "--x"));
  CHECK(property_error("a=" + longest + "v").find("the value is 201 characters long") !=
        std::string::npos);
  CHECK(property_error("a=line\nbreak").find("contains a control character") != std::string::npos);
  CHECK(property_error("a=2", {{"a", "1"}}) == "--instance-property \"a\" is given twice");
  std::map<std::string, std::string> fifty;
  for (int i = 0; i < 50; ++i) fifty.emplace("k" + std::to_string(i), "v");
  CHECK(property_error("one=more", fifty) ==
        "--instance-property: at most 50 instance properties may be sent");
}

TEST_CASE("emulator verify: instance properties are recorded, and required when configured") {
  using namespace rolesanywhere::emulator;
  EmulatorConfig config = emulator_test::test_config();
  emulator_test::SignSpec spec;
  spec.body = R"({"durationSeconds":3600,"instanceProperties":{"hostname":"web-1"}})";
  VerificationResult result = verify_create_session(emulator_test::signed_request(spec), config,
                                                    emulator_test::now_seconds());
  REQUIRE(result.accepted());
  CHECK(result.grant().instance_properties ==
        std::map<std::string, std::string>{{"hostname", "web-1"}});

  config.require_instance_properties = true;
  CHECK(verify_create_session(emulator_test::signed_request(spec), config,
                              emulator_test::now_seconds())
            .accepted());
  spec.body = R"({"durationSeconds":3600})";
  result = verify_create_session(emulator_test::signed_request(spec), config,
                                 emulator_test::now_seconds());
  REQUIRE_FALSE(result.accepted());
  CHECK(result.fault().status == 403);
  CHECK(result.fault().type == "AccessDeniedException");
  CHECK(result.fault().message.find("Instance properties are required") != std::string::npos);

  for (const char* body : {R"({"instanceProperties":["a"]})", R"({"instanceProperties":{"a":1}})",
                           R"({"instanceProperties":{"a":""}})"}) {
    CAPTURE(body);
    spec.body = body;
    result = verify_create_session(emulator_test::signed_request(spec), config,
                                   emulator_test::now_seconds());
    REQUIRE_FALSE(result.accepted());
    CHECK(result.fault().status == 400);
  }
}
