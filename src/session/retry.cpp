// Backoff between CreateSession attempts: exponential with full jitter, so many hosts started
// together (a fleet reboot) do not retry in lockstep against a throttled service.
#include "rolesanywhere/session.hpp"

#include <algorithm>
#include <random>

namespace rolesanywhere {

namespace {

double default_random_unit() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>{0.0, 1.0}(engine);
}

}  // namespace

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt) {
  using std::chrono::milliseconds;
  const long long base = std::max<long long>(0, policy.base_delay.count());
  const long long cap = std::max<long long>(0, policy.max_delay.count());

  // base * 2^(attempt-1), doubling step by step so a large attempt number saturates at the cap
  // instead of overflowing.
  long long ceiling = base;
  for (int i = 1; i < attempt && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);

  double unit = policy.random_unit ? policy.random_unit() : default_random_unit();
  unit = std::clamp(unit, 0.0, 1.0);  // an injected source out of range must not escape the bounds
  return milliseconds{static_cast<long long>(static_cast<double>(ceiling) * unit)};
}

}  // namespace rolesanywhere
