#pragma once
/// \file esm/policies/backoff.hpp
/// A doubling delay with a ceiling, the shape of every backoff AWS describes: `initial` before
/// the first repeat, twice as long before each next one, never more than `maximum`.

#include <chrono>
#include <string>
#include <string_view>

#include <esm/core/error.hpp>
#include <esm/core/time.hpp>

namespace esm {

/// A doubling delay with a ceiling. `backoff::none()` (both zero) repeats at once.
/// ```cpp
/// constexpr esm::backoff b{.initial = 1s, .maximum = 8s};
/// static_assert(b.delay(1) == 1s && b.delay(3) == 4s && b.delay(10) == 8s);
/// ```
struct backoff {
  /// Delay before the first repeat. Unit: nanoseconds; ≥ 0.
  duration initial = std::chrono::seconds{1};
  /// Longest delay. Unit: nanoseconds; ≥ `initial`.
  duration maximum = std::chrono::seconds{1};

  /// No delay at all.
  [[nodiscard]] static constexpr backoff none() noexcept { return {duration::zero(), duration::zero()}; }

  /// The delay before the n-th repeat (n ≥ 1; n < 1 counts as 1): `initial · 2^(n-1)`, at most
  /// `maximum`. Never overflows.
  [[nodiscard]] constexpr duration delay(int n) const noexcept {
    duration d = initial;
    for (int i = 1; i < n && d < maximum; ++i) d = d > maximum / 2 ? maximum : d * 2;
    return d < maximum ? d : maximum;
  }

  /// Throws `config_error` unless `initial` is in [lo, hi] and `maximum` in [initial, hi];
  /// `name` prefixes the parameters (`name.initial`, `name.maximum`).
  void validate(std::string_view name, duration lo, duration hi, std::string_view where) const {
    detail::check_range<duration>(std::string{name} + ".initial", initial, lo, hi, where);
    detail::check_range<duration>(std::string{name} + ".maximum", maximum, initial, hi, where);
  }

  friend constexpr bool operator==(const backoff&, const backoff&) = default;
};

} // namespace esm
