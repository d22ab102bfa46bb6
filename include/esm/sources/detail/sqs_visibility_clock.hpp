#pragma once
/// \file esm/sources/detail/sqs_visibility_clock.hpp
/// Internal (SQS queues): when each delayed or in-flight message turns visible, and the one
/// simulation event that wakes the queue at the earliest of those times.
///
/// Expiries with the queue's own visibility timeout arrive in time order, so a ring holds them;
/// every other expiry (a delay, `ChangeMessageVisibility`, a receive's own timeout) goes to a heap
/// ordered by (time, sequence). An entry is valid while its message's serial matches: a delete or
/// a new expiry bumps the serial and leaves the old entry to be dropped when it reaches the front,
/// so removing a message costs nothing here. The queue says what is valid (a predicate on the
/// entry), since it owns the messages.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include <esm/core/simulation.hpp>
#include <esm/core/time.hpp>
#include <esm/detail/ring.hpp>

namespace esm::detail {

/// When the message in `slot` (sent as `sequence`) turns visible; valid while the slot's serial
/// is still `serial`.
struct sqs_expiry {
  time_point at;          ///< when it turns visible
  std::uint64_t sequence; ///< tie-break between equal times: sending order
  std::uint32_t slot;     ///< the queue's slot of the message
  std::uint32_t serial;   ///< the slot's expiry serial when scheduled
};

/// The pending expiries of one queue and its wake-up timer. Not copyable (the timer captures it).
class sqs_visibility_clock {
public:
  sqs_visibility_clock() = default;
  sqs_visibility_clock(const sqs_visibility_clock&) = delete;
  sqs_visibility_clock& operator=(const sqs_visibility_clock&) = delete;

  /// Adds an expiry. `queue_timeout`: it is an in-flight message's expiry after exactly the
  /// queue's visibility timeout (such expiries are pushed in time order).
  void push(const sqs_expiry& e, bool queue_timeout) {
    if (queue_timeout && (ring_.empty() || ring_[ring_.size() - 1].at <= e.at)) {
      ring_.push_back(e);
    } else {
      heap_.push_back(e);
      std::push_heap(heap_.begin(), heap_.end(), later);
    }
  }

  /// The earliest valid expiry's time, or `time_point::max()` when none is pending.
  template <class Valid>
  [[nodiscard]] time_point earliest_time(const Valid& valid) {
    switch (earliest(valid)) {
    case from::ring:
      return ring_.front().at;
    case from::heap:
      return heap_.front().at;
    case from::none:
      break;
    }
    return time_point::max();
  }

  /// Removes and returns the earliest valid expiry due at or before `now`.
  template <class Valid>
  [[nodiscard]] std::optional<sqs_expiry> pop_due(time_point now, const Valid& valid) {
    const from which = earliest(valid);
    if (which == from::none) return std::nullopt;
    const sqs_expiry e = which == from::ring ? ring_.front() : heap_.front();
    if (e.at > now) return std::nullopt;
    if (which == from::ring) {
      ring_.pop_front();
    } else {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      heap_.pop_back();
    }
    return e;
  }

  /// When the wake-up timer fires (`time_point::max()`: not armed).
  [[nodiscard]] time_point armed_at() const noexcept { return timer_at_; }

  /// Keeps one simulation event at `t` (none for `time_point::max()`), replacing the previous
  /// one; it calls `wake()` after marking the timer as fired.
  template <class Wake>
  void arm(simulation& sim, time_point t, Wake wake) {
    sim.cancel(timer_);
    timer_at_ = t;
    if (t == time_point::max()) return;
    timer_ = sim.schedule_at(t, [this, wake] {
      timer_at_ = time_point::max();
      wake();
    });
  }
  /// Cancels the wake-up timer.
  void disarm(simulation& sim) noexcept {
    sim.cancel(timer_);
    timer_at_ = time_point::max();
  }

private:
  enum class from : std::uint8_t { none, ring, heap };

  static bool later(const sqs_expiry& a, const sqs_expiry& b) noexcept {
    return a.at > b.at || (a.at == b.at && a.sequence > b.sequence);
  }
  template <class Valid>
  from earliest(const Valid& valid) {
    while (!ring_.empty() && !valid(ring_.front())) ring_.pop_front();
    while (!heap_.empty() && !valid(heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      heap_.pop_back();
    }
    if (ring_.empty()) return heap_.empty() ? from::none : from::heap;
    if (heap_.empty()) return from::ring;
    return later(ring_.front(), heap_.front()) ? from::heap : from::ring;
  }

  ring<sqs_expiry> ring_;        // in-flight expiries with the queue's timeout, in time order
  std::vector<sqs_expiry> heap_; // other expiries (min-heap by time, sequence)
  timer_id timer_{};
  time_point timer_at_ = time_point::max();
};

} // namespace esm::detail
