#pragma once
/// \file esm/policies/throttle.hpp
/// What a poller does after a throttled invocation (spec §2.2, §3.4, §3.7): a throttle never
/// reached the function and uses no retry attempt; the policy says how long to wait before the
/// same batch is sent again, or (SQS) to give the batch up. AWS's policy, `esm::throttle_backoff`:
/// a doubling delay with a ceiling, abandoned when the next attempt would pass the deadline (the
/// SQS batch's visibility timeout). Streams default to 1 s flat (fidelity S4); SQS to 1 s
/// doubling to 8 s.
/// ```cpp
/// struct patient { // a throttle policy of your own
///   using esm_role = esm::throttle_role;
///   std::optional<esm::duration> on_throttle(const esm::throttle_event& e) { return e.throttles * 100ms; }
///   void validate() const {}
/// };
/// ```

#include <chrono>
#include <concepts>
#include <optional>
#include <type_traits>

#include <esm/core/time.hpp>
#include <esm/policies/backoff.hpp>
#include <esm/policies/roles.hpp>

namespace esm {

/// What a throttle policy knows about a throttled invocation.
struct throttle_event {
  int throttles = 1;                   ///< consecutive throttles of this batch, this one included (≥ 1)
  time_point now{};                    ///< when the throttle was seen
  std::optional<time_point> deadline{}; ///< SQS: when the batch's visibility timeout ends; streams: none
};

/// A throttle policy: the delay before the throttled batch is sent again, or nullopt to give it
/// up (SQS: its messages return to the queue; a stream poller retries at its poll interval).
/// `on_throttle` may keep state.
/// ```cpp
/// static_assert(esm::throttle_policy<esm::throttle_backoff>);
/// static_assert(!esm::throttle_policy<int>);
/// ```
template <class P>
concept throttle_policy = requires(P& p, const P& cp, const throttle_event& e) {
  { p.on_throttle(e) } -> std::convertible_to<std::optional<duration>>;
  cp.validate();
};

/// AWS's throttle handling: wait `delay.delay(throttles)`, and give up when the next attempt
/// would not come before the deadline.
struct throttle_backoff {
  using esm_role = throttle_role; ///< plays the throttle role
  /// The delays. Streams default 1 s flat; SQS 1 s doubling to 8 s. `initial` in [1ms, 60s],
  /// `maximum` in [initial, 60s].
  backoff delay{std::chrono::seconds{1}, std::chrono::seconds{1}};

  /// The stream default: 1 s flat (AWS does not document it; fidelity S4).
  [[nodiscard]] static constexpr throttle_backoff streams() noexcept { return {}; }
  /// The SQS default: 1 s doubling to 8 s while the visibility timeout lasts.
  [[nodiscard]] static constexpr throttle_backoff sqs() noexcept {
    return {backoff{std::chrono::seconds{1}, std::chrono::seconds{8}}};
  }

  /// The next delay, or nullopt when the deadline would pass first.
  [[nodiscard]] constexpr std::optional<duration> on_throttle(const throttle_event& e) const noexcept {
    const duration d = delay.delay(e.throttles);
    if (e.deadline && !(saturating_add(e.now, d) < *e.deadline)) return std::nullopt;
    return d;
  }
  /// Throws `config_error` unless initial ∈ [1ms, 60s] and maximum ∈ [initial, 60s].
  void validate() const {
    delay.validate("throttle_backoff", std::chrono::milliseconds{1}, std::chrono::seconds{60},
                   "an event source mapping");
  }
};

namespace detail {
/// True for a throttle policy.
template <class P>
struct is_throttle : std::bool_constant<plays_role<P, throttle_role, throttle_policy<P>>> {};
} // namespace detail

} // namespace esm
