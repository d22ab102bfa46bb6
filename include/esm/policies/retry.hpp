#pragma once
/// \file esm/policies/retry.hpp
/// What a stream mapping does when a batch fails (spec §2.2–§2.5). Once per failure the poller
/// asks its retry policy for a decision: retry after a delay, bisect the batch, or discard it
/// with a condition (to the on-failure destination if one is set) and move on. Before sending a
/// batch, the poller discards the records older than the policy's `record_age_limit()`.
///
/// AWS's policy, `esm::stream_retry`, has `MaximumRetryAttempts`, `MaximumRecordAgeInSeconds`,
/// `BisectBatchOnFunctionError` and a retry delay that doubles from 250 ms to 60 s (AWS does not
/// document it; docs/fidelity.md S5 says why this schedule). A policy of your own:
/// ```cpp
/// struct fixed_delay_retry {
///   using esm_role = esm::retry_role;
///   esm::retry_decision on_failure(const esm::stream_failure& f) const {
///     if (f.retries >= 3) return esm::retry_decision::discard(esm::discard_condition::retry_attempts_exhausted);
///     return esm::retry_decision::retry_after(std::chrono::seconds{5});
///   }
///   std::optional<esm::duration> record_age_limit() const { return std::nullopt; }
///   void validate() const {}
/// };
/// ```

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>

#include <esm/core/error.hpp>
#include <esm/core/outcome.hpp>
#include <esm/core/time.hpp>
#include <esm/policies/backoff.hpp>
#include <esm/policies/roles.hpp>

namespace esm {

/// How a stream batch failed.
enum class failure_kind : std::uint8_t {
  function_error, ///< the handler threw (an `Errors` outcome)
  timeout,        ///< the invocation timed out (an `Errors` outcome)
  partial,        ///< a partial batch response listed records (`ReportBatchItemFailures`), or was invalid
};

/// What a retry policy knows about a failure: the records from the lowest failure onward are
/// to be retried, bisected or discarded.
struct stream_failure {
  failure_kind kind = failure_kind::function_error; ///< how it failed
  int attempts = 1;            ///< invocations of these records so far (`approximateInvokeCount`), ≥ 1
  int retries = 0;             ///< retries of this batch so far (bisections and throttles excluded)
  std::size_t records = 0;     ///< records that failed (the batch, or its part from the lowest failure)
  duration oldest_age{};       ///< age of the oldest of them now (since it reached the stream)
  duration newest_age{};       ///< age of the newest of them now
  bool bisectable = false;     ///< a function error or timeout on more than one record, outside a tumbling window
  time_point now{};            ///< the time of the decision
};

/// A retry decision.
class retry_decision {
public:
  /// What the poller does.
  enum class action : std::uint8_t {
    retry,   ///< invoke the same records again after `delay()` (counts one retry)
    bisect,  ///< split the records in two and send each half, first half first (no retry used)
    discard, ///< discard the records with `condition()` and move on
  };
  /// Retry after `d` (≥ 0; the records may age out meanwhile).
  [[nodiscard]] static constexpr retry_decision retry_after(duration d) noexcept {
    return {action::retry, d, discard_condition::retry_attempts_exhausted};
  }
  /// Split in two (only for a bisectable failure; otherwise the poller retries at once).
  [[nodiscard]] static constexpr retry_decision bisect() noexcept {
    return {action::bisect, duration::zero(), discard_condition::retry_attempts_exhausted};
  }
  /// Discard with `c` (`RetryAttemptsExhausted`, `RecordAgeExceeded`).
  [[nodiscard]] static constexpr retry_decision discard(discard_condition c) noexcept {
    return {action::discard, duration::zero(), c};
  }
  /// The action.
  [[nodiscard]] constexpr action what() const noexcept { return what_; }
  /// The delay of a retry.
  [[nodiscard]] constexpr duration delay() const noexcept { return delay_; }
  /// The condition of a discard.
  [[nodiscard]] constexpr discard_condition condition() const noexcept { return condition_; }

  friend constexpr bool operator==(const retry_decision&, const retry_decision&) = default;

private:
  constexpr retry_decision(action a, duration d, discard_condition c) noexcept : what_(a), delay_(d), condition_(c) {}
  action what_;
  duration delay_;
  discard_condition condition_;
};

/// A stream retry policy: a decision per failure, the record age above which records are
/// discarded before they are sent (nullopt: none), and validation. `on_failure` may keep state.
/// ```cpp
/// static_assert(esm::stream_retry_policy<esm::stream_retry>);
/// static_assert(!esm::stream_retry_policy<int>);
/// ```
template <class P>
concept stream_retry_policy = requires(P& p, const P& cp, const stream_failure& f) {
  { p.on_failure(f) } -> std::convertible_to<retry_decision>;
  { cp.record_age_limit() } -> std::convertible_to<std::optional<duration>>;
  cp.validate();
};

/// AWS's stream retry policy.
///
/// Counting: the first invocation of a set of records is not a retry; each later invocation of
/// the same records after a function error (timeouts included) or a partial failure is one.
/// Throttles never count. With `bisect_on_error`, a failed batch of more than one record is
/// split in two without using a retry, and each half starts with no retries used; a single
/// record is retried in place.
struct stream_retry {
  using esm_role = retry_role; ///< plays the retry role
  /// `MaximumRetryAttempts`: −1 = infinite (default), else [0, 10000].
  int max_attempts = -1;
  /// `MaximumRecordAgeInSeconds`: −1 s = infinite (default), else whole seconds in [60s, 604800s].
  /// A record older than this when Lambda would send it is discarded instead.
  duration max_record_age = std::chrono::seconds{-1};
  /// `BisectBatchOnFunctionError`: split a failing batch in two and retry each half. Default false.
  bool bisect_on_error = false;
  /// Delay before the n-th retry: 250 ms doubling to 60 s by default (AWS retries "with
  /// exponential backoff", undocumented; fidelity S5). `initial` in [0s, 60s], `maximum` in
  /// [initial, 15 min]; `backoff::none()` retries as soon as the failed invocation ends.
  backoff retry_backoff{std::chrono::milliseconds{250}, std::chrono::seconds{60}};

  /// True when retries are unlimited.
  [[nodiscard]] constexpr bool infinite_attempts() const noexcept { return max_attempts < 0; }
  /// True when record age is unlimited.
  [[nodiscard]] constexpr bool infinite_age() const noexcept { return max_record_age < duration::zero(); }
  /// True when a batch that has used `retries` retries may be retried once more.
  [[nodiscard]] constexpr bool may_retry(int retries) const noexcept { return infinite_attempts() || retries < max_attempts; }
  /// `MaximumRecordAgeInSeconds`, nullopt when infinite.
  [[nodiscard]] constexpr std::optional<duration> record_age_limit() const noexcept {
    return infinite_age() ? std::nullopt : std::optional<duration>{max_record_age};
  }
  /// Bisect a bisectable failure when `bisect_on_error`; else retry after the backoff while
  /// attempts remain; else discard with `RetryAttemptsExhausted`.
  [[nodiscard]] constexpr retry_decision on_failure(const stream_failure& f) const noexcept {
    if (bisect_on_error && f.bisectable) return retry_decision::bisect();
    if (!may_retry(f.retries)) return retry_decision::discard(discard_condition::retry_attempts_exhausted);
    return retry_decision::retry_after(retry_backoff.delay(f.retries + 1));
  }

  /// Throws `config_error` for values outside AWS's ranges (spec §1 "Validation").
  void validate() const {
    const char* where = "a stream event source mapping";
    if (max_attempts != -1 && (max_attempts < 0 || max_attempts > 10'000)) {
      throw config_error("max_attempts", "-1 (infinite) or in [0, 10000]", std::to_string(max_attempts), where);
    }
    if (max_record_age != std::chrono::seconds{-1}) {
      if (max_record_age < std::chrono::seconds{60} || max_record_age > std::chrono::seconds{604'800} ||
          max_record_age % std::chrono::seconds{1} != duration::zero()) {
        throw config_error("max_record_age", "-1s (infinite) or whole seconds in [60s, 604800s]",
                           esm::to_string(max_record_age), where);
      }
    }
    retry_backoff.validate("retry_backoff", duration::zero(), std::chrono::minutes{15}, where);
    detail::check_range<duration>("retry_backoff.initial", retry_backoff.initial, duration::zero(),
                                  std::chrono::seconds{60}, where);
  }
};

namespace detail {
/// True for a stream retry policy.
template <class P>
struct is_stream_retry : std::bool_constant<plays_role<P, retry_role, stream_retry_policy<P>>> {};
} // namespace detail

} // namespace esm
