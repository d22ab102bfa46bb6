#pragma once
/// \file esm/policies/scaling.hpp
/// How many batches an SQS event source mapping processes at once (spec §3.1, §3.2, §3.4): the
/// on-demand scaling of its pollers and `ScalingConfig.MaximumConcurrency`.
///
/// The poller asks its scaling policy for a new target once per `interval()`, with what it saw
/// during that interval (`scaling_observation`). `esm::sqs_scaling` is AWS's current behaviour
/// (from Nov 6, 2023); `esm::sqs_scaling_2022` the earlier one. Write your own to explore others:
/// ```cpp
/// struct fixed_pollers {
///   int n = 20;
///   int initial_concurrency() const { return n; }
///   esm::duration interval() const { return std::chrono::seconds{1}; }
///   int next_target(const esm::scaling_observation&) const { return n; }
///   std::optional<int> concurrency_cap() const { return std::nullopt; }
///   void validate(esm::source_kind) const {}
/// };
/// ```

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>

#include <esm/core/error.hpp>
#include <esm/core/source_kind.hpp>
#include <esm/core/time.hpp>
#include <esm/policies/roles.hpp>

namespace esm {

/// What an SQS poller saw during one scaling interval.
struct scaling_observation {
  int target = 0;        ///< the target (concurrent batches) during the interval
  int in_flight = 0;     ///< batches being processed at the interval's end
  bool backlog = false;  ///< messages were left receivable (a receive came back full, or the queue still had messages)
  bool received = false; ///< some receive in the interval returned messages
  std::uint64_t function_errors = 0;       ///< batches that ended in a function error or timeout
  std::uint64_t throttles = 0;             ///< invocations throttled
  bool report_batch_item_failures = false; ///< the mapping has `ReportBatchItemFailures`
};

/// A scaling policy: the concurrency to start with, how often to re-decide, the next target
/// from an observation, and the `MaximumConcurrency` cap, `concurrency_cap()` (nullopt: none).
/// `next_target` may keep state (it is called on a non-const policy, once per interval).
/// ```cpp
/// static_assert(esm::scaling_policy<esm::sqs_scaling>);
/// static_assert(!esm::scaling_policy<int>);
/// ```
template <class P>
concept scaling_policy = requires(P& p, const P& cp, const scaling_observation& o, source_kind k) {
  { cp.initial_concurrency() } -> std::convertible_to<int>;
  { cp.interval() } -> std::convertible_to<duration>;
  { p.next_target(o) } -> std::convertible_to<int>;
  { cp.concurrency_cap() } -> std::convertible_to<std::optional<int>>;
  cp.validate(k);
};

namespace detail {

/// AWS's on-demand algorithm with a given rate and ceiling. One step per interval
/// (interval = 1 min / scale-up per minute); intervals with throttles, or with function errors
/// and no `ReportBatchItemFailures`, are decided before it by the error backoff
/// (`esm::sqs_error_backoff`: one step down, not below 5):
/// - a backlog: one step up, to the ceiling (and `MaximumConcurrency`);
/// - else no message received: one step down to 2 (5 with `MaximumConcurrency`, which disables
///   the scale-down to 2); messages received but no backlog: one step down to 5.
inline int on_demand_next(const scaling_observation& o, int ceiling, std::optional<int> maximum) {
  constexpr int busy_floor = 5;
  const int idle_floor = maximum ? busy_floor : 2;
  const int cap = maximum ? std::min(*maximum, ceiling) : ceiling;
  int t = o.target;
  if (o.backlog) {
    t = t + 1;
  } else if (!o.received) {
    t = t > idle_floor ? t - 1 : t;
  } else {
    t = t > busy_floor ? t - 1 : t;
  }
  return std::clamp(t, 1, cap);
}

inline void validate_maximum_concurrency(std::optional<int> m, source_kind k) {
  if (!m) return;
  detail::check_range("maximum_concurrency", *m, 2, 1000, std::string{"a "} + to_string(k) + " event source mapping");
}

} // namespace detail

/// On-demand scaling of an SQS event source mapping at `ScaleUpPerMinute` and up to `Ceiling`
/// concurrent batches; use the aliases `esm::sqs_scaling` (current) and `esm::sqs_scaling_2022`.
/// 5 concurrent batches at start, one more per interval (1 min / rate) while messages remain, up to
/// the ceiling; back toward 5 when traffic drops (2 when idle, unless `maximum_concurrency` is set)
/// (see `detail::on_demand_next`). Down on throttles, and on function errors unless
/// `ReportBatchItemFailures` is on, is the error backoff's part (`esm::sqs_error_backoff`).
template <int ScaleUpPerMinute, int Ceiling>
struct basic_sqs_scaling {
  using esm_role = scaling_role; ///< plays the scaling role
  /// `ScalingConfig.MaximumConcurrency`: concurrent batches at most; the mapping stops reading
  /// at the cap. Range [2, 1000]. Unset (default): no cap but the ceiling.
  std::optional<int> maximum_concurrency{};

  /// Concurrent batches at start: 5.
  static constexpr int initial = 5;
  /// Scale-up rate, concurrent batches per minute.
  static constexpr int scale_up_per_minute = ScaleUpPerMinute;
  /// Ceiling of concurrent batches.
  static constexpr int ceiling = Ceiling;

  /// 5 (or the cap when lower).
  [[nodiscard]] int initial_concurrency() const noexcept {
    return std::min(initial, maximum_concurrency.value_or(initial));
  }
  /// One step per 1 min / `scale_up_per_minute`.
  [[nodiscard]] duration interval() const noexcept { return duration{std::chrono::minutes{1}} / scale_up_per_minute; }
  /// The next target (see `detail::on_demand_next`).
  [[nodiscard]] int next_target(const scaling_observation& o) const {
    return detail::on_demand_next(o, ceiling, maximum_concurrency);
  }
  /// The cap.
  [[nodiscard]] std::optional<int> concurrency_cap() const noexcept { return maximum_concurrency; }
  /// Throws `config_error` for a `maximum_concurrency` outside [2, 1000].
  void validate(source_kind k) const { detail::validate_maximum_concurrency(maximum_concurrency, k); }
};

/// AWS's on-demand scaling since Nov 6, 2023 (spec §3.1): +300 per minute (one step per
/// 200 ms), ceiling 1,250.
using sqs_scaling = basic_sqs_scaling<300, 1250>;
/// AWS's on-demand scaling until Nov 5, 2023 (spec §3.1, [changed]): +60 per minute (one step
/// per second), ceiling 1,000.
using sqs_scaling_2022 = basic_sqs_scaling<60, 1000>;

namespace detail {
/// True for a scaling policy.
template <class P>
struct is_scaling : std::bool_constant<plays_role<P, scaling_role, scaling_policy<P>>> {};
} // namespace detail

} // namespace esm
