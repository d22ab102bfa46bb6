#pragma once
/// \file esm/policies/retry.hpp
/// What a stream poller does when a batch fails (spec §2.2–§2.4): retry until the record age or
/// the retry attempts run out, optionally bisecting the batch on function errors, then discard
/// it (to the on-failure destination if one is set) and move on.

#include <chrono>
#include <concepts>
#include <cstdint>
#include <string>

#include <esm/core/error.hpp>
#include <esm/core/time.hpp>

namespace esm {

/// The default stream retry policy, with AWS's parameters.
///
/// Counting: the first invocation of a set of records is not a retry; each later invocation of
/// the same records after a function error (timeouts included) is one. Throttles never count.
/// With `bisect_on_error`, a failed batch of more than one record is split in two without using
/// a retry, and each half starts with no retries used; a single record is retried in place.
struct stream_retry {
  /// `MaximumRetryAttempts`: −1 = infinite (default), else [0, 10000].
  int max_attempts = -1;
  /// `MaximumRecordAgeInSeconds`: −1 s = infinite (default), else whole seconds in [60s, 604800s].
  /// A record older than this when Lambda would send it is discarded instead.
  duration max_record_age = std::chrono::seconds{-1};
  /// `BisectBatchOnFunctionError`: split a failing batch in two and retry each half. Default false.
  bool bisect_on_error = false;
  /// Delay before re-invoking after a throttle (AWS does not document it). Default 1 s,
  /// range [1ms, 60s].
  duration throttle_backoff = std::chrono::seconds{1};

  /// True when retries are unlimited.
  [[nodiscard]] constexpr bool infinite_attempts() const noexcept { return max_attempts < 0; }
  /// True when record age is unlimited.
  [[nodiscard]] constexpr bool infinite_age() const noexcept { return max_record_age < duration::zero(); }
  /// True when a batch that has used `retries` retries may be retried once more.
  [[nodiscard]] constexpr bool may_retry(int retries) const noexcept { return infinite_attempts() || retries < max_attempts; }
  /// True when a record that arrived at `arrival` is too old to send at `now`.
  [[nodiscard]] constexpr bool too_old(time_point arrival, time_point now) const noexcept {
    return !infinite_age() && now - arrival > max_record_age;
  }

  /// Throws `config_error` for values outside AWS's ranges (spec §1 "Validation").
  void validate() const {
    const char* where = "a stream event source mapping";
    if (max_attempts != -1) detail::check_range("max_attempts", max_attempts, 0, 10'000, where);
    if (max_record_age != std::chrono::seconds{-1}) {
      if (max_record_age < std::chrono::seconds{60} || max_record_age > std::chrono::seconds{604'800} ||
          max_record_age % std::chrono::seconds{1} != duration::zero()) {
        throw config_error("max_record_age", "-1s (infinite) or whole seconds in [60s, 604800s]",
                           esm::to_string(max_record_age), where);
      }
    }
    detail::check_range<duration>("throttle_backoff", throttle_backoff, std::chrono::milliseconds{1},
                                  std::chrono::seconds{60}, where);
  }
};

/// A stream retry policy: decides whether a failed batch may be retried, whether a record is too
/// old, and whether to bisect.
/// ```cpp
/// static_assert(esm::stream_retry_policy<esm::stream_retry>);
/// static_assert(!esm::stream_retry_policy<int>);
/// ```
template <class P>
concept stream_retry_policy = requires(const P& p, int retries, time_point t) {
  { p.may_retry(retries) } -> std::convertible_to<bool>;
  { p.too_old(t, t) } -> std::convertible_to<bool>;
  { p.bisect_on_error } -> std::convertible_to<bool>;
  { p.throttle_backoff } -> std::convertible_to<duration>;
  p.validate();
};

} // namespace esm
