#pragma once
/// \file esm/policies/visibility.hpp
/// When a message that failed returns to an SQS queue (spec §3.4). By default it returns when
/// the queue's visibility timeout expires (`esm::queue_visibility`), which is all AWS does. A
/// visibility policy can instead change each failed message's visibility timeout, as a handler
/// calling `ChangeMessageVisibility` would, e.g. `esm::exponential_backoff_visibility`.

#include <algorithm>
#include <chrono>
#include <concepts>
#include <optional>
#include <string>

#include <esm/core/error.hpp>
#include <esm/core/time.hpp>
#include <esm/core/outcome.hpp>
#include <esm/policies/roles.hpp>

namespace esm {

/// What the poller knows about a message that failed.
struct failed_message {
  int receive_count = 1;                 ///< its `ApproximateReceiveCount`
  duration queue_visibility_timeout{};   ///< the queue's visibility timeout
  outcome why = outcome::function_error; ///< how the invocation ended (`partial` for a reported item)
};

/// A visibility policy: for a failed message, the visibility timeout to set from now
/// (`ChangeMessageVisibility`), or nullopt to leave it (it returns when its current timeout
/// expires). `on_failure` may keep state (called on a non-const policy, once per failed message).
/// ```cpp
/// static_assert(esm::visibility_policy<esm::queue_visibility>);
/// static_assert(!esm::visibility_policy<int>);
/// ```
template <class P>
concept visibility_policy = requires(P& p, const P& cp, const failed_message& m) {
  { p.on_failure(m) } -> std::convertible_to<std::optional<duration>>;
  cp.validate();
};

/// AWS's behaviour: a failed message becomes visible again when the visibility timeout it was
/// received with expires.
struct queue_visibility {
  using esm_role = visibility_role; ///< plays the visibility role
  /// Leaves the timeout as it is.
  [[nodiscard]] std::optional<duration> on_failure(const failed_message&) const noexcept { return std::nullopt; }
  /// Nothing to check.
  void validate() const noexcept {}
};

/// Exponential backoff through `ChangeMessageVisibility`: a message failing for the n-th
/// receive becomes visible after `base * 2^(n-1)`, at most `maximum`.
struct exponential_backoff_visibility {
  using esm_role = visibility_role; ///< plays the visibility role
  /// Delay after the first failed receive. Range [1s, 12h]. Default 1 s.
  duration base = std::chrono::seconds{1};
  /// Longest delay. Range [base, 12h]. Default 15 min.
  duration maximum = std::chrono::minutes{15};

  /// `base * 2^(receive_count-1)`, capped at `maximum`.
  [[nodiscard]] std::optional<duration> on_failure(const failed_message& m) const noexcept {
    duration d = base;
    for (int i = 1; i < m.receive_count && d < maximum; ++i) d *= 2;
    return std::min(d, maximum);
  }
  /// Throws `config_error` for a value out of range.
  void validate() const {
    detail::check_range<duration>("base", base, std::chrono::seconds{1}, std::chrono::hours{12},
                                  "exponential_backoff_visibility");
    detail::check_range<duration>("maximum", maximum, base, std::chrono::hours{12}, "exponential_backoff_visibility");
  }
};

namespace detail {
/// True for a visibility policy.
template <class P>
struct is_visibility : std::bool_constant<plays_role<P, visibility_role, visibility_policy<P>>> {};
} // namespace detail

} // namespace esm
