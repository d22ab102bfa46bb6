#pragma once
/// \file esm/pollers/detail/window_state.hpp
/// The tumbling window of one lane (spec §2.7): which window is open, the state its invokes pass
/// along, and the flags of the next invoke.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <esm/core/time.hpp>
#include <esm/policies/tumbling_window.hpp>

namespace esm::detail {

/// One lane's tumbling window.
struct window_state {
  bool active = false;   ///< a window has started and had no successful final invoke
  time_point start{};    ///< its start
  std::string state;     ///< the state returned by its last successful invoke
  bool early = false;    ///< the next invoke says isWindowTerminatedEarly
  bool final = false;    ///< the batch in flight is the window's final invoke
  std::optional<std::string> returned; ///< what the handler in flight returned as state

  /// Opens the window starting at `s` with empty state.
  void begin(time_point s) {
    active = true;
    start = s;
    state.clear();
    early = false;
  }
  /// Closes the window (its final invoke succeeded, or was discarded): the state is dropped.
  void end() {
    active = false;
    state.clear();
    final = false;
    early = false;
  }
  /// What the handler sees for a window of `size` on `shard_id`.
  [[nodiscard]] window_context context(duration size, std::string_view shard_id) const {
    return {start, saturating_add(start, size), state, final, early, shard_id};
  }
  /// Takes the state a successful invoke returned; false when it returned none (a failure).
  /// Over `max_bytes`, the window ends early: the next invoke starts with fresh state.
  bool accept_returned(std::size_t max_bytes) {
    if (!returned) return false;
    if (returned->size() > max_bytes) {
      state.clear();
      early = true;
    } else {
      state = std::move(*returned);
      early = false;
    }
    return true;
  }
};

} // namespace esm::detail
