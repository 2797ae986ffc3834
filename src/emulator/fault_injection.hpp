// Faults the emulator can be told to inject, so tests can drive the client's retry, timeout and
// error paths. Set by flags at start and changed at run time through POST /_emulator/faults.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace rolesanywhere::emulator {

struct FaultPlan {
  // The next `fail_count` CreateSession requests get the fault (drop, else garbage, else
  // fail_status); with drop_connection or garbage_body and fail_count 0, every request gets it
  // until the plan changes.
  int fail_count = 0;
  int fail_status = 500;  // the status answered when neither drop nor garbage is set
  int delay_ms = 0;       // sleep before answering any CreateSession request
  bool garbage_body = false;
  bool drop_connection = false;
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

// Thread-safe: each CreateSession request takes one decision, which consumes a fail_count.
class FaultState {
 public:
  explicit FaultState(FaultPlan plan = {}) { replace(plan); }
  FaultDecision next();
  void replace(const FaultPlan& plan);
  FaultPlan current() const;

 private:
  mutable std::mutex mutex_;
  FaultPlan plan_;
  // Whether the plan limited its faults to a count: once that is used up, drop and garbage
  // stop too instead of turning permanent.
  bool counted_ = false;
};

}  // namespace rolesanywhere::emulator
