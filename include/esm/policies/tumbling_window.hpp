#pragma once
/// \file esm/policies/tumbling_window.hpp
/// Tumbling windows for stream event source mappings (spec §2.7, `TumblingWindowInSeconds`):
/// fixed, non-overlapping windows by record arrival time, with a state passed from one invoke of
/// a window to the next, and a final invoke when the window ends.

#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/core/time.hpp>
#include <esm/core/outcome.hpp>
#include <esm/policies/roles.hpp>

namespace esm {

/// The tumbling-window policy: windows of `size` (0 = off).
struct tumbling_window {
  using esm_role = window_role; ///< plays the tumbling-window role
  /// `TumblingWindowInSeconds`: whole seconds in [0s, 900s]; 0 turns windows off. Default 0.
  duration size = duration::zero();
  /// Largest state a handler may return: 1 MB per shard (AWS); above it the window ends early.
  static constexpr std::size_t max_state_bytes = 1'048'576;

  /// The window length (0 = off).
  [[nodiscard]] constexpr duration tumbling_window_size() const noexcept { return size; }
  /// Throws `config_error` unless `size` is whole seconds in [0s, 900s].
  void validate() const {
    const char* where = "a stream event source mapping";
    detail::check_range<duration>("tumbling_window", size, duration::zero(), std::chrono::seconds{900}, where);
    if (size % std::chrono::seconds{1} != duration::zero()) {
      throw config_error("tumbling_window", "a whole number of seconds in [0s, 900s]", esm::to_string(size), where);
    }
  }
};

/// A window policy: says the window length and validates itself.
/// ```cpp
/// static_assert(esm::window_policy<esm::tumbling_window>);
/// static_assert(!esm::window_policy<int>);
/// ```
template <class P>
concept window_policy = requires(const P& p) {
  { p.tumbling_window_size() } -> std::convertible_to<duration>;
  p.validate();
};

namespace detail {
/// True for a window policy.
template <class P>
struct is_window : std::bool_constant<plays_role<P, window_role, window_policy<P>>> {};
} // namespace detail

/// What a windowed handler sees besides the records (the `window`, `state`,
/// `isFinalInvokeForWindow` and `isWindowTerminatedEarly` fields of the event, §4.5).
struct window_context {
  time_point start;               ///< `window.start` (inclusive)
  time_point end;                 ///< `window.end` (exclusive)
  std::string_view state;         ///< `state`: what the previous invoke of this window returned ("" at first)
  bool is_final_invoke_for_window = false; ///< `isFinalInvokeForWindow`: the last invoke of the window
  bool is_window_terminated_early = false; ///< `isWindowTerminatedEarly`: the state grew over 1 MB and was dropped
  std::string_view shard_id;      ///< `shardId`
};

/// What a windowed handler returns (`TimeWindowEventResponse`, §4.5). Without `state` the invoke
/// counts as failed (§2.7).
struct window_response {
  std::optional<std::string> state{};                   ///< `state` for the next invoke of the window
  std::vector<batch_item_failure> batch_item_failures{}; ///< `batchItemFailures` (with ReportBatchItemFailures)
};

} // namespace esm
