// The fault plan: which requests get which fault, and what the control endpoint accepts.
#include "emulator/fault_injection.hpp"
#include "emulator/session_response.hpp"
#include "rolesanywhere/credentials.hpp"
#include "rolesanywhere/error.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <vector>

using namespace rolesanywhere;
using namespace rolesanywhere::emulator;

TEST_CASE("emulator faults: fail_count answers the first N with fail_status and then nothing") {
  FaultState faults(FaultPlan{.fail_count = 2, .fail_status = 429});
  for (int i = 0; i < 2; ++i) {
    const auto decision = faults.next();
    CHECK(decision.action == FaultAction::kStatus);
    CHECK(decision.status == 429);
  }
  CHECK(faults.next().action == FaultAction::kNone);
  CHECK(faults.current().fail_count == 0);
}

TEST_CASE("emulator faults: drop and garbage last until changed or for fail_count requests") {
  FaultState forever(FaultPlan{.drop_connection = true});
  for (int i = 0; i < 3; ++i) CHECK(forever.next().action == FaultAction::kDropConnection);

  FaultState counted(FaultPlan{.fail_count = 1, .garbage_body = true});
  CHECK(counted.next().action == FaultAction::kGarbageBody);
  CHECK(counted.next().action == FaultAction::kNone);

  counted.replace(FaultPlan{.delay_ms = 25});
  const auto decision = counted.next();
  CHECK(decision.action == FaultAction::kNone);
  CHECK(decision.delay_ms == 25);
}

TEST_CASE("emulator faults: a fail cycle answers PASS requests, fails FAIL, and again") {
  FaultState faults(FaultPlan{.cycle_pass = 2, .cycle_fail = 3, .fail_status = 503});
  std::vector<FaultAction> seen;
  for (int i = 0; i < 11; ++i) seen.push_back(faults.next().action);
  const auto pass = FaultAction::kNone, fail = FaultAction::kStatus;
  CHECK(seen ==
        std::vector<FaultAction>{pass, pass, fail, fail, fail, pass, pass, fail, fail, fail, pass});

  // After fail_count's faults, from the start of the cycle; drop applies the same way.
  faults.replace(
      FaultPlan{.fail_count = 1, .cycle_pass = 1, .cycle_fail = 1, .drop_connection = true});
  CHECK(faults.next().action == FaultAction::kDropConnection);  // fail_count
  CHECK(faults.next().action == FaultAction::kNone);
  CHECK(faults.next().action == FaultAction::kDropConnection);
  CHECK(faults.next().action == FaultAction::kNone);

  FaultPlan plan = parse_fault_plan(R"({"cycle_pass":2,"cycle_fail":3})", FaultPlan{});
  CHECK(plan.cycle_pass == 2);
  CHECK(plan.cycle_fail == 3);
  CHECK(nlohmann::json::parse(fault_plan_json(plan))["cycle_fail"] == 3);
  CHECK_THROWS_WITH_AS(parse_fault_plan(R"({"cycle_fail":-1})", FaultPlan{}),
                       doctest::Contains("cycle_fail"), Error);

  plan = FaultPlan{};
  parse_fail_cycle("4:1", "--fail-cycle", plan);
  CHECK(plan.cycle_pass == 4);
  CHECK(plan.cycle_fail == 1);
  for (const char* bad : {"", "3", "2:", ":3", "2:3:4", "a:b", "-1:2", "2:3x"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(parse_fail_cycle(bad, "--fail-cycle", plan),
                         doctest::Contains("--fail-cycle"), Error);
  }
}

TEST_CASE("emulator faults: the control JSON updates only the fields given") {
  const FaultPlan current{.fail_count = 0, .fail_status = 503, .delay_ms = 10};
  const FaultPlan plan = parse_fault_plan(R"({"fail_count":3,"drop_connection":true})", current);
  CHECK(plan.fail_count == 3);
  CHECK(plan.fail_status == 503);
  CHECK(plan.delay_ms == 10);
  CHECK(plan.drop_connection);
  CHECK_FALSE(plan.garbage_body);
  const auto round_trip = nlohmann::json::parse(fault_plan_json(plan));
  CHECK(round_trip["fail_count"] == 3);
  CHECK(round_trip["drop_connection"] == true);
}

TEST_CASE("emulator faults: bad control JSON is refused with a reason") {
  const FaultPlan current;
  CHECK_THROWS_WITH_AS(parse_fault_plan("[1]", current), doctest::Contains("JSON object"), Error);
  CHECK_THROWS_WITH_AS(parse_fault_plan(R"({"fail_status":200})", current),
                       doctest::Contains("not an error status"), Error);
  CHECK_THROWS_WITH_AS(parse_fault_plan(R"({"fail_count":-1})", current),
                       doctest::Contains("fail_count"), Error);
  CHECK_THROWS_WITH_AS(parse_fault_plan(R"({"garbage_body":1})", current),
                       doctest::Contains("true or false"), Error);
  CHECK_THROWS_WITH_AS(parse_fault_plan(R"({"explode":true})", current),
                       doctest::Contains("unknown fault 'explode'"), Error);
}

TEST_CASE("emulator faults: numbers too large for the plan are refused and not wrapped") {
  const FaultPlan current;
  CHECK_THROWS_WITH_AS(parse_fault_plan(R"({"fail_count":99999999999})", current),
                       doctest::Contains("fail_count 99999999999 is out of range"), Error);
  CHECK_THROWS_WITH_AS(parse_fault_plan(R"({"fail_count":18446744073709551615})", current),
                       doctest::Contains("out of range"), Error);
  CHECK_THROWS_WITH_AS(parse_fault_plan(R"({"delay_ms":-99999999999})", current),
                       doctest::Contains("delay_ms -99999999999 is out of range"), Error);
  // 2^32 + 500 wraps to 500, a valid status, without the range check.
  CHECK_THROWS_WITH_AS(parse_fault_plan(R"({"fail_status":4294967796})", current),
                       doctest::Contains("fail_status"), Error);
  CHECK(parse_fault_plan(R"({"fail_count":2147483647})", current).fail_count == 2147483647);
}

TEST_CASE("emulator faults: each injected status carries the service's error type") {
  CHECK(error_type_for_status(500) == "InternalServerException");
  CHECK(error_type_for_status(429) == "ThrottlingException");
  CHECK(error_type_for_status(403) == "AccessDeniedException");
  CHECK(error_type_for_status(503) == "ServiceUnavailableException");
}

TEST_CASE("emulator response: access key ids look like STS temporary ones and differ") {
  const std::string first = random_access_key_id();
  CHECK(first.size() == 20);
  CHECK(first.starts_with("ASIA"));
  for (char c : first) CHECK((std::isupper(static_cast<unsigned char>(c)) || std::isdigit(c)));
  CHECK(first != random_access_key_id());
  const std::string uuid = random_uuid();
  CHECK(uuid.size() == 36);
  CHECK(uuid[14] == '4');
  CHECK(format_iso8601(std::chrono::system_clock::from_time_t(1440938160)) ==
        "2015-08-30T12:36:00Z");
}

TEST_CASE("emulator response: an error message with bytes that are not UTF-8 still makes JSON") {
  const auto body = nlohmann::json::parse(error_response_body("date '\xff'"));
  CHECK(body["message"] == "date '\xef\xbf\xbd'");
}

TEST_CASE("emulator faults: refuse_roles names the roles refused, and only role ARNs") {
  FaultState faults;
  const std::string web = "arn:aws:iam::123456789012:role/web";
  CHECK_FALSE(faults.refuses_role(web));
  FaultPlan plan = parse_fault_plan(R"({"refuse_roles":["arn:aws:iam::123456789012:role/web"]})",
                                    faults.current());
  faults.replace(plan);
  CHECK(faults.refuses_role(web));
  CHECK_FALSE(faults.refuses_role("arn:aws:iam::123456789012:role/batch"));
  // Refusing a role is no fault of the other requests: they are answered.
  CHECK(faults.next().action == FaultAction::kNone);
  CHECK(nlohmann::json::parse(fault_plan_json(plan))["refuse_roles"][0] == web);
  // Other fields leave the list as it is; [] refuses none.
  plan = parse_fault_plan(R"({"delay_ms":5})", plan);
  CHECK(plan.refuse_roles.size() == 1);
  faults.replace(parse_fault_plan(R"({"refuse_roles":[]})", plan));
  CHECK_FALSE(faults.refuses_role(web));

  const FaultPlan current;
  CHECK_THROWS_WITH_AS(parse_fault_plan(R"({"refuse_roles":"arn:aws:iam::1:role/x"})", current),
                       doctest::Contains("list of role ARNs"), Error);
  CHECK_THROWS_WITH_AS(parse_fault_plan(R"({"refuse_roles":[1]})", current),
                       doctest::Contains("list of role ARNs"), Error);
  CHECK_THROWS_WITH_AS(parse_fault_plan(R"({"refuse_roles":["web"]})", current),
                       doctest::Contains("refuse_roles: 'web' is not a role ARN"), Error);
}
