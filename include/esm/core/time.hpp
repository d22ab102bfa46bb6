#pragma once
/// \file esm/core/time.hpp
/// Virtual time: integer nanoseconds counted from the simulation's start, and the wall epoch
/// that renders them as AWS timestamps. Never floating-point time.

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace esm {

/// A length of virtual time, in integer nanoseconds. `std::chrono` literals convert to it
/// implicitly: `using namespace std::chrono_literals; esm::duration d = 250ms;`.
using duration = std::chrono::nanoseconds;

/// The clock of a simulation. It has no `now()`: the only source of "now" is
/// `esm::simulation::now()`, so nothing in the model can read a wall clock by accident.
struct sim_clock {
  using rep = std::chrono::nanoseconds::rep;       ///< signed 64-bit count of nanoseconds
  using period = std::chrono::nanoseconds::period; ///< std::nano
  using duration = std::chrono::nanoseconds;       ///< the tick (= esm::duration)
  using time_point = std::chrono::time_point<sim_clock, std::chrono::nanoseconds>; ///< an instant
  static constexpr bool is_steady = true;                                          ///< virtual time never goes back
};

/// An instant of virtual time: `time_point{}` is the simulation's start;
/// `time_point::max()` means "never" (e.g. `simulation::next_event_time()` when idle).
using time_point = sim_clock::time_point;

/// `t + d`, saturated to [`time_point::min()`, `time_point::max()`] instead of overflowing.
/// Virtual time ends at `time_point::max()` (about 292 years after the start): the model's own
/// arithmetic (poll intervals, timeouts, backoffs, visibility) uses this, so an instant past the
/// end is the end itself ("never"), and nothing is undefined behaviour near it.
[[nodiscard]] constexpr time_point saturating_add(time_point t, duration d) noexcept {
  const std::int64_t a = t.time_since_epoch().count();
  const std::int64_t b = d.count();
  if (b > 0 && a > time_point::max().time_since_epoch().count() - b) return time_point::max();
  if (b < 0 && a < time_point::min().time_since_epoch().count() - b) return time_point::min();
  return time_point{duration{a + b}};
}

/// True when `t + d` is representable (does not pass `time_point::max()` or `min()`).
[[nodiscard]] constexpr bool fits_after(time_point t, duration d) noexcept {
  const std::int64_t a = t.time_since_epoch().count();
  const std::int64_t b = d.count();
  return b >= 0 ? a <= time_point::max().time_since_epoch().count() - b
                : a >= time_point::min().time_since_epoch().count() - b;
}

/// Nanoseconds since the Unix epoch on the wall clock. Used only to render AWS timestamps.
using wall_time = std::chrono::time_point<std::chrono::sys_days::clock, duration>;

namespace detail {
/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// The civil date of a count of days since 1970-01-01.
struct civil_date {
  std::int64_t year;
  unsigned month;
  unsigned day;
};
constexpr civil_date civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

inline void append_padded(std::string& out, std::int64_t v, int width) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  if (v < 0) out.push_back('-');
  for (int i = static_cast<int>(digits.size()); i < width; ++i) out.push_back('0');
  out += digits;
}
} // namespace detail

/// Where virtual time zero sits on the wall clock, for rendering AWS timestamps
/// (`approximateArrivalTimestamp`, `SentTimestamp`, ISO-8601 times in on-failure records).
/// Default: 2026-01-01T00:00:00Z.
struct wall_epoch {
  /// Unix time of the simulation's start, in nanoseconds since 1970-01-01T00:00:00Z.
  /// Default 2026-01-01T00:00:00Z.
  wall_time start{std::chrono::duration_cast<duration>(std::chrono::hours{24} * detail::days_from_civil(2026, 1, 1))};

  /// The epoch at a UTC calendar date and time of day. Throws `std::out_of_range` for a year
  /// outside [1678, 2261] (nanoseconds since 1970 in 64 bits) or a time of day outside
  /// [0, 24 h); the day of the month is not checked (the 31st of April is the 1st of May).
  static constexpr wall_epoch at(int year, unsigned month, unsigned day, duration time_of_day = {}) {
    if (year < 1678 || year > 2261) {
      throw std::out_of_range("wall_epoch::at: year must be in [1678, 2261] (nanoseconds since 1970 in 64 bits), got " +
                              std::to_string(year));
    }
    if (time_of_day < duration::zero() || time_of_day >= std::chrono::hours{24}) {
      throw std::out_of_range("wall_epoch::at: time_of_day must be in [0, 24h), got " +
                              std::to_string(time_of_day.count()) + "ns");
    }
    return wall_epoch{wall_time{
        std::chrono::duration_cast<duration>(std::chrono::hours{24} * detail::days_from_civil(year, month, day)) +
        time_of_day}};
  }

  /// The wall time of a virtual instant, saturated at `wall_time::max()` (year 2262) where
  /// nanoseconds since 1970 no longer fit 64 bits; the renderings below do not saturate.
  [[nodiscard]] constexpr wall_time to_wall(time_point t) const noexcept {
    const std::int64_t a = start.time_since_epoch().count();
    const std::int64_t b = t.time_since_epoch().count();
    if (b > 0 && a > wall_time::max().time_since_epoch().count() - b) return wall_time::max();
    if (b < 0 && a < wall_time::min().time_since_epoch().count() - b) return wall_time::min();
    return wall_time{duration{a + b}};
  }
  /// Unix time in whole milliseconds, rounded down (SQS `SentTimestamp`,
  /// `ApproximateFirstReceiveTimestamp`). Exact for every virtual instant and epoch: the sum is
  /// taken in milliseconds, so it cannot overflow.
  [[nodiscard]] constexpr std::int64_t unix_millis(time_point t) const noexcept {
    constexpr std::int64_t ns_per_ms = 1'000'000;
    const auto floor_div = [](std::int64_t v) { return v / ns_per_ms - (v % ns_per_ms < 0 ? 1 : 0); };
    const auto floor_mod = [](std::int64_t v) { return v % ns_per_ms + (v % ns_per_ms < 0 ? ns_per_ms : 0); };
    const std::int64_t a = start.time_since_epoch().count();
    const std::int64_t b = t.time_since_epoch().count();
    return floor_div(a) + floor_div(b) + (floor_mod(a) + floor_mod(b)) / ns_per_ms;
  }
  /// Unix seconds with three decimals, as Kinesis `approximateArrivalTimestamp`
  /// renders them (e.g. `1767225600.123`).
  [[nodiscard]] std::string unix_seconds_text(time_point t) const {
    const std::int64_t ms = unix_millis(t);
    const std::int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    std::string out = std::to_string(s);
    out.push_back('.');
    detail::append_padded(out, ms - s * 1000, 3);
    return out;
  }
  /// ISO-8601 UTC with milliseconds, as in on-failure records (`2026-01-01T00:00:01.250Z`).
  [[nodiscard]] std::string iso8601(time_point t) const {
    const std::int64_t ms = unix_millis(t);
    const std::int64_t day_ms = 86'400'000;
    std::int64_t days = ms / day_ms;
    std::int64_t rem = ms % day_ms;
    if (rem < 0) {
      rem += day_ms;
      --days;
    }
    const auto date = detail::civil_from_days(days);
    std::string out;
    out.reserve(24);
    detail::append_padded(out, date.year, 4);
    out.push_back('-');
    detail::append_padded(out, date.month, 2);
    out.push_back('-');
    detail::append_padded(out, date.day, 2);
    out.push_back('T');
    detail::append_padded(out, rem / 3'600'000, 2);
    out.push_back(':');
    detail::append_padded(out, rem / 60'000 % 60, 2);
    out.push_back(':');
    detail::append_padded(out, rem / 1000 % 60, 2);
    out.push_back('.');
    detail::append_padded(out, rem % 1000, 3);
    out.push_back('Z');
    return out;
  }
};

/// Renders a duration for people and error messages, in the largest unit up to seconds that
/// keeps it exact (AWS states its limits in seconds): `900s`, `1500ms`, `250us`, `7ns`;
/// negative values keep their sign.
[[nodiscard]] inline std::string to_string(duration d) {
  const std::int64_t ns = d.count();
  struct unit {
    std::int64_t ns;
    const char* suffix;
  };
  static constexpr unit units[] = {{1'000'000'000, "s"}, {1'000'000, "ms"}, {1'000, "us"}, {1, "ns"}};
  if (ns == 0) return "0s";
  for (const auto& u : units) {
    if (ns % u.ns == 0) return std::to_string(ns / u.ns) + u.suffix;
  }
  return std::to_string(ns) + "ns"; // unreachable: every count divides by 1
}

/// Renders an instant as its offset from the simulation's start (`t=1500ms`), or `never`.
[[nodiscard]] inline std::string to_string(time_point t) {
  if (t == time_point::max()) return "never";
  return "t=" + to_string(t.time_since_epoch());
}

} // namespace esm
