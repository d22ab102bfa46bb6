#pragma once
/// \file esm/policies/error_backoff.hpp
/// The error backoff of an SQS event source mapping (spec §3.4, "Backoff strategy for failed
/// invocations"): after function errors Lambda "stops processing and retrying the invocation"
/// and "gradually backs off, reducing the amount of concurrency allocated" to the mapping; after
/// throttles it lowers concurrency the same way while it retries; with `ReportBatchItemFailures`
/// it does not scale down on function errors. The failed messages themselves return after the
/// visibility timeout (`esm::visibility_policy`) and a throttled batch is retried after
/// `esm::throttle_policy`'s delay: this policy decides only the concurrency.
///
/// Called once per scaling interval in which invocations failed, before the scaling policy: a
/// target it returns is the next target; nullopt leaves the interval to the scaling policy.
///
/// ```cpp
/// struct halve_on_errors {                   // a user-written error backoff
///   using esm_role = esm::error_backoff_role;
///   std::optional<int> after_failures(const esm::scaling_observation& o) {
///     if (o.function_errors == 0) return std::nullopt;
///     return std::max(1, o.target / 2);
///   }
/// };
/// ```

#include <concepts>
#include <optional>
#include <type_traits>

#include <esm/policies/roles.hpp>
#include <esm/policies/scaling.hpp>

namespace esm {

/// An error backoff: given the observation of an interval in which invocations failed
/// (`function_errors` or `throttles` > 0), the target to back off to, or nullopt to let the
/// scaling policy decide. May keep state (called on a non-const policy).
/// ```cpp
/// static_assert(esm::error_backoff_policy<esm::sqs_error_backoff>);
/// static_assert(!esm::error_backoff_policy<int>);
/// ```
template <class P>
concept error_backoff_policy = requires(P& p, const scaling_observation& o) {
  { p.after_failures(o) } -> std::convertible_to<std::optional<int>>;
};

/// AWS's error backoff (the default): an interval with throttles, or with function errors and
/// no `ReportBatchItemFailures`, lowers the target by one concurrent batch, not below 5 (Lambda
/// keeps 5 pollers while messages remain, which is why low reserved concurrency overpulls,
/// spec §3.7). AWS does not document the step; one per scaling interval is "gradually".
struct sqs_error_backoff {
  using esm_role = error_backoff_role; ///< plays the error-backoff role
  /// The target it does not back off below: 5 concurrent batches (AWS's starting concurrency).
  static constexpr int floor = 5;

  /// One step down (not below `floor`) after throttles, or after function errors without
  /// `ReportBatchItemFailures`; else nullopt.
  [[nodiscard]] std::optional<int> after_failures(const scaling_observation& o) const noexcept {
    const bool backs_off = o.throttles > 0 || (o.function_errors > 0 && !o.report_batch_item_failures);
    if (!backs_off) return std::nullopt;
    return o.target > floor ? o.target - 1 : o.target;
  }
};

/// No error backoff: failures leave the target to the scaling policy (which still sees
/// `function_errors` and `throttles` in its observation).
struct no_error_backoff {
  using esm_role = error_backoff_role; ///< plays the error-backoff role
  /// Always nullopt.
  [[nodiscard]] static std::optional<int> after_failures(const scaling_observation&) noexcept { return std::nullopt; }
};

namespace detail {
/// True for an error backoff.
template <class P>
struct is_error_backoff : std::bool_constant<plays_role<P, error_backoff_role, error_backoff_policy<P>>> {};
} // namespace detail

} // namespace esm
