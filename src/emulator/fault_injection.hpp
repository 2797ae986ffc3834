// Faults the emulator can be told to inject, so tests can drive the client's retry, timeout and
// error paths. Set by flags at start and changed at run time through POST /_emulator/faults.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rolesanywhere::emulator {

struct FaultPlan {
  // The next `fail_count` CreateSession requests get the fault (drop, else garbage, else
  // fail_status); with drop_connection or garbage_body and fail_count 0, every request gets it
  // until the plan changes.
  int fail_count = 0;
  // Then (or without fail_count), over and over: `cycle_pass` requests are answered, then the
  // next `cycle_fail` get the fault; cycle_fail 0: off. A client that makes 3 attempts per
  // refresh sees 2:3 as two refreshes that succeed and a third that fails, again and again.
  int cycle_pass = 0;
  int cycle_fail = 0;
  int fail_status = 500;  // the status answered when neither drop nor garbage is set
  int delay_ms = 0;       // sleep before answering any CreateSession request
  bool garbage_body = false;
  bool drop_connection = false;
  // CreateSession requests for these roles, once verified, are answered 403
  // AccessDeniedException (as when the role's trust policy does not let Roles Anywhere assume it),
  // whatever the rest of the plan says: one client of several failing while the others are served.
  std::vector<std::string> refuse_roles = {};
};

enum class FaultAction { kNone, kStatus, kGarbageBody, kDropConnection };

struct FaultDecision {
  FaultAction action = FaultAction::kNone;
  int status = 0;
  int delay_ms = 0;
};

// The error type the real service uses with each injected status.
std::string error_type_for_status(int status);

// Throws Error(kInvalidArgument) when the JSON is malformed or a value is out of range.
// Fields left out keep their values in `current`.
FaultPlan parse_fault_plan(const std::string& json, const FaultPlan& current);
std::string fault_plan_json(const FaultPlan& plan);
// Throws Error(kInvalidArgument) naming the value when it cannot be answered.
void check_fault_plan(const FaultPlan& plan);
// "PASS:FAIL" (such as "2:3") into cycle_pass and cycle_fail; throws Error(kInvalidArgument)
// naming `flag` when it is not two numbers.
void parse_fail_cycle(std::string_view text, std::string_view flag, FaultPlan& plan);

// Thread-safe: each CreateSession request takes one decision, which consumes a fail_count.
class FaultState {
 public:
  explicit FaultState(FaultPlan plan = {}) { replace(plan); }
  FaultDecision next();
  void replace(const FaultPlan& plan);
  FaultPlan current() const;
  bool refuses_role(const std::string& role_arn) const;

 private:
  mutable std::mutex mutex_;
  FaultPlan plan_;
  // Whether the plan limited its faults to a count: once that is used up, drop and garbage
  // stop too instead of turning permanent.
  bool counted_ = false;
  long long cycle_position_ = 0;  // requests of the cycle since the plan was set
};

}  // namespace rolesanywhere::emulator
