#include "fault_injection.hpp"

#include "arn_check.hpp"
#include "json_text.hpp"

#include "rolesanywhere/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <limits>

namespace rolesanywhere::emulator {

namespace {
constexpr int kMaxCycle = 1'000'000;
}  // namespace

std::string error_type_for_status(int status) {
  switch (status) {
    case 400:
      return "ValidationException";
    case 403:
      return "AccessDeniedException";
    case 404:
      return "ResourceNotFoundException";
    case 429:
      return "ThrottlingException";
    case 503:
      return "ServiceUnavailableException";
    default:
      return status >= 500 ? "InternalServerException" : "ValidationException";
  }
}

void check_fault_plan(const FaultPlan& plan) {
  if (plan.fail_count < 0)
    throw Error(Error::Kind::kInvalidArgument, "fail_count must be 0 or more");
  if (plan.cycle_pass < 0 || plan.cycle_pass > kMaxCycle || plan.cycle_fail < 0 ||
      plan.cycle_fail > kMaxCycle)
    throw Error(Error::Kind::kInvalidArgument,
                "cycle_pass and cycle_fail must be within 0..1000000");
  if (plan.fail_status < 400 || plan.fail_status > 599)
    throw Error(Error::Kind::kInvalidArgument, "fail_status " + std::to_string(plan.fail_status) +
                                                   " is not an error status "
                                                   "(400..599)");
  if (plan.delay_ms < 0 || plan.delay_ms > 600'000)
    throw Error(Error::Kind::kInvalidArgument, "delay_ms must be within 0..600000");
  for (const auto& role : plan.refuse_roles)
    if (auto problem = arn_problem(role, ArnKind::kRole))
      throw Error(Error::Kind::kInvalidArgument,
                  "refuse_roles: '" + role + "' is not a role ARN: " + *problem);
}

FaultPlan parse_fault_plan(const std::string& text, const FaultPlan& current) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object())
    throw Error(Error::Kind::kInvalidArgument,
                "the faults body must be a JSON object such as {\"fail_count\":2,"
                "\"fail_status\":500}");
  FaultPlan plan = current;
  for (const auto& item : json.items()) {
    // Named copies, not a structured binding: clang 14 cannot capture one in the lambdas below.
    const std::string name = item.key();
    const auto& value = item.value();
    auto integer = [&](int& field) {
      if (!value.is_number_integer())
        throw Error(Error::Kind::kInvalidArgument, name + " must be an integer");
      // get<int>() would wrap a large number silently ({"fail_count":99999999999} into a
      // different count), so read it whole and refuse what an int cannot hold; the range each
      // field really allows is check_fault_plan's.
      constexpr long long kMin = std::numeric_limits<int>::min();
      constexpr long long kMax = std::numeric_limits<int>::max();
      const bool fits =
          value.is_number_unsigned()
              ? value.get<unsigned long long>() <= static_cast<unsigned long long>(kMax)
              : value.get<long long>() >= kMin && value.get<long long>() <= kMax;
      if (!fits)
        throw Error(Error::Kind::kInvalidArgument, name + " " + value.dump() + " is out of range");
      field = static_cast<int>(value.get<long long>());
    };
    auto role_list = [&](std::vector<std::string>& field) {
      if (!value.is_array())
        throw Error(Error::Kind::kInvalidArgument, name + " must be a list of role ARNs");
      std::vector<std::string> roles;
      for (const auto& element : value) {
        if (!element.is_string())
          throw Error(Error::Kind::kInvalidArgument, name + " must be a list of role ARNs");
        roles.push_back(element.get<std::string>());
      }
      field = std::move(roles);
    };
    auto boolean = [&](bool& field) {
      if (!value.is_boolean())
        throw Error(Error::Kind::kInvalidArgument, name + " must be true or false");
      field = value.get<bool>();
    };
    if (name == "fail_count")
      integer(plan.fail_count);
    else if (name == "cycle_pass")
      integer(plan.cycle_pass);
    else if (name == "cycle_fail")
      integer(plan.cycle_fail);
    else if (name == "fail_status")
      integer(plan.fail_status);
    else if (name == "delay_ms")
      integer(plan.delay_ms);
    else if (name == "garbage_body")
      boolean(plan.garbage_body);
    else if (name == "drop_connection")
      boolean(plan.drop_connection);
    else if (name == "refuse_roles")
      role_list(plan.refuse_roles);
    else
      throw Error(Error::Kind::kInvalidArgument, "unknown fault '" + name +
                                                     "'; known: fail_count, cycle_pass, "
                                                     "cycle_fail, fail_status, delay_ms, "
                                                     "garbage_body, drop_connection, "
                                                     "refuse_roles");
  }
  check_fault_plan(plan);
  return plan;
}

void parse_fail_cycle(std::string_view text, std::string_view flag, FaultPlan& plan) {
  const auto number = [&](std::string_view part, int& field) {
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), field);
    return !part.empty() && error == std::errc{} && end == part.data() + part.size() &&
           field >= 0 && field <= kMaxCycle;
  };
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || !number(text.substr(0, colon), plan.cycle_pass) ||
      !number(text.substr(colon + 1), plan.cycle_fail))
    throw Error(
        Error::Kind::kInvalidArgument,
        std::string(flag) + " '" + std::string(text) +
            "' is not PASS:FAIL (requests answered, then requests failed, each 0..1000000), "
            "such as 2:3");
  check_fault_plan(plan);
}

std::string fault_plan_json(const FaultPlan& plan) {
  return json_text(nlohmann::json{{"fail_count", plan.fail_count},
                                  {"cycle_pass", plan.cycle_pass},
                                  {"cycle_fail", plan.cycle_fail},
                                  {"fail_status", plan.fail_status},
                                  {"delay_ms", plan.delay_ms},
                                  {"garbage_body", plan.garbage_body},
                                  {"drop_connection", plan.drop_connection},
                                  {"refuse_roles", plan.refuse_roles}});
}

FaultDecision FaultState::next() {
  std::lock_guard lock(mutex_);
  FaultDecision decision;
  decision.delay_ms = plan_.delay_ms;
  if (counted_ && plan_.fail_count > 0) {
    --plan_.fail_count;
  } else if (plan_.cycle_fail > 0) {
    const long long position = cycle_position_++ % (plan_.cycle_pass + plan_.cycle_fail);
    if (position < plan_.cycle_pass) return decision;
  } else if (counted_ || (!plan_.garbage_body && !plan_.drop_connection)) {
    return decision;
  }
  if (plan_.drop_connection) {
    decision.action = FaultAction::kDropConnection;
  } else if (plan_.garbage_body) {
    decision.action = FaultAction::kGarbageBody;
  } else {
    decision.action = FaultAction::kStatus;
    decision.status = plan_.fail_status;
  }
  return decision;
}

void FaultState::replace(const FaultPlan& plan) {
  std::lock_guard lock(mutex_);
  plan_ = plan;
  counted_ = plan.fail_count > 0;
  cycle_position_ = 0;
}

FaultPlan FaultState::current() const {
  std::lock_guard lock(mutex_);
  return plan_;
}

bool FaultState::refuses_role(const std::string& role_arn) const {
  std::lock_guard lock(mutex_);
  return std::find(plan_.refuse_roles.begin(), plan_.refuse_roles.end(), role_arn) !=
         plan_.refuse_roles.end();
}

}  // namespace rolesanywhere::emulator
