// Time is injected so that expiry, refresh and clock-skew logic is testable without sleeping.
#pragma once

#include <atomic>
#include <chrono>

namespace rolesanywhere {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

// A clock that stands still until told to move; for tests. Safe to move from one thread while
// another reads it (refresh loops run on their own thread).
class FixedClock final : public Clock {
 public:
  explicit FixedClock(TimePoint t) : now_(t) {}
  TimePoint now() const override { return now_.load(); }
  void set(TimePoint t) { now_.store(t); }
  void advance(std::chrono::seconds d) { now_.store(now_.load() + d); }

 private:
  std::atomic<TimePoint> now_;
};

}  // namespace rolesanywhere
