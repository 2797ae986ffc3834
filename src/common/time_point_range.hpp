// Turning a calendar time into a TimePoint without overflow. system_clock counts nanoseconds in
// 64 bits (libstdc++, libc++), which spans only about 1677-09-21 to 2262-04-11: a date outside
// that, converted as is, is signed overflow (undefined behaviour) and in practice a wrong date.
// Calendar arithmetic in whole seconds holds any four-digit year, so only this last step needs a
// check. Header-only: the credentials module and the emulator both parse dates from the wire.
#pragma once

#include "rolesanywhere/clock.hpp"

#include <chrono>
#include <optional>

namespace rolesanywhere {

// `whole` seconds plus `fraction` (in [0 s, 1 s)) as a TimePoint; nullopt when TimePoint cannot
// hold it. Exact at both ends of the range, fractions included.
inline std::optional<TimePoint> to_time_point(std::chrono::sys_seconds whole,
                                              std::chrono::nanoseconds fraction = {}) {
  using namespace std::chrono;
  using Ticks = TimePoint::duration;
  constexpr Ticks kMax = TimePoint::max().time_since_epoch();
  constexpr Ticks kMin = TimePoint::min().time_since_epoch();
  // The outermost whole seconds that a Ticks count can hold, as seconds and as Ticks.
  constexpr seconds kLastSecond = floor<seconds>(kMax);
  constexpr seconds kFirstSecond = ceil<seconds>(kMin);

  const seconds since_epoch = whole.time_since_epoch();
  const Ticks part = duration_cast<Ticks>(fraction);
  if (since_epoch >= seconds{0}) {
    if (since_epoch > kLastSecond) return std::nullopt;
    if (since_epoch == kLastSecond && part > kMax - Ticks{kLastSecond}) return std::nullopt;
    return TimePoint{Ticks{since_epoch} + part};
  }
  // Before the epoch the fraction is taken from the next whole second up, so that no
  // intermediate value goes below kMin: s + f == (s + 1 s) + (f - 1 s), with f - 1 s <= 0.
  const seconds next = since_epoch + seconds{1};
  const Ticks below_next = part - Ticks{seconds{1}};
  if (next < kFirstSecond) return std::nullopt;
  if (next == kFirstSecond && below_next < kMin - Ticks{kFirstSecond}) return std::nullopt;
  return TimePoint{Ticks{next} + below_next};
}

}  // namespace rolesanywhere
