#pragma once
/// \file esm/policies/batching.hpp
/// When a poller cuts a batch (spec §1, "Batch cut"). A batching policy gives the limits a batch
/// may not exceed (records, payload bytes) and, once per candidate batch, decides: cut now, or
/// wait until a time for more records. AWS's policy, `esm::batching`: whichever comes first of
/// `BatchSize` records, the batching window (`MaximumBatchingWindowInSeconds`) expiring, or the
/// 6 MB payload of a synchronous invoke. A batch holds records of one shard (streams).
///
/// A policy of your own, e.g. batches of at most 1 KiB, sent at once:
/// ```cpp
/// struct kib_batches {
///   using esm_role = esm::batching_role;
///   esm::batch_limits limits(esm::source_kind) const { return {.max_records = 10'000, .max_bytes = 1024}; }
///   esm::batch_decision decide(const esm::batch_candidate&) { return esm::batch_decision::cut(); }
///   void validate(esm::source_kind) const {}
/// };
/// ```

#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>

#include <esm/core/error.hpp>
#include <esm/core/source_kind.hpp>
#include <esm/core/time.hpp>
#include <esm/policies/roles.hpp>

namespace esm {

/// The synchronous-invoke payload limit, which AWS does not let you change: 6 MB.
inline constexpr std::size_t max_invoke_payload_bytes = 6'291'456;

/// What a batch may hold at most. The poller gathers records in order until one more would
/// exceed a limit; a single record over `max_bytes` is still sent alone.
struct batch_limits {
  /// Records per batch: [1, 10,000] (FIFO [1, 10]).
  std::size_t max_records = 100;
  /// Payload bytes per batch: [1, 6 MB], counted on the event JSON the function receives
  /// (spec §1; `esm::event_size` of the source: Kinesis data in base64, every record's metadata,
  /// `{"Records":[...]}`). Default 6 MB (6,291,456 bytes).
  std::size_t max_bytes = max_invoke_payload_bytes;
};

/// A batch the poller could send now: what a batching policy decides on.
struct batch_candidate {
  source_kind kind = source_kind::kinesis; ///< the source
  std::size_t records = 0;                 ///< records it holds (≥ 1), within the limits
  std::size_t bytes = 0;                   ///< bytes of their event JSON (`esm::event_size`)
  bool full = false;          ///< a limit stopped it (records or bytes), or a tumbling window ends at its last record
  time_point now{};           ///< the time of the decision
  time_point gathering_since{}; ///< when gathering began: the previous invocation's end, or the mapping's start
  time_point first_arrival{}; ///< when its first record reached the source (SQS: was first received)
};

/// A batching decision: send the candidate now, or wait for more records until a time (the
/// poller asks again then, or earlier when the candidate becomes full).
class batch_decision {
public:
  /// Send the candidate now.
  [[nodiscard]] static constexpr batch_decision cut() noexcept { return batch_decision{true, time_point{}}; }
  /// Wait for more records until `t` (a time not after `now` cuts at once; `time_point::max()`
  /// waits until the candidate is full).
  [[nodiscard]] static constexpr batch_decision wait_until(time_point t) noexcept { return batch_decision{false, t}; }
  /// True for `cut()`.
  [[nodiscard]] constexpr bool cuts() const noexcept { return cut_; }
  /// The time to wait until (meaningless for `cut()`).
  [[nodiscard]] constexpr time_point until() const noexcept { return until_; }

private:
  constexpr batch_decision(bool c, time_point t) noexcept : cut_(c), until_(t) {}
  bool cut_;
  time_point until_;
};

/// A batching policy: the limits of a batch for a source kind, a decision per candidate batch,
/// and validation against AWS's ranges. `decide` may keep state (it is called on a non-const
/// policy, once per candidate, never per record).
/// ```cpp
/// static_assert(esm::batching_policy<esm::batching>);
/// static_assert(!esm::batching_policy<int>);
/// ```
template <class P>
concept batching_policy = requires(P& p, const P& cp, const batch_candidate& c, source_kind k) {
  { cp.limits(k) } -> std::convertible_to<batch_limits>;
  { p.decide(c) } -> std::convertible_to<batch_decision>;
  cp.validate(k);
};

/// AWS's batching policy (`BatchSize`, `MaximumBatchingWindowInSeconds`, the 6 MB payload).
struct batching {
  using esm_role = batching_role; ///< plays the batching role
  /// `BatchSize`: records per batch at most. Streams and SQS standard 1–10,000, FIFO 1–10.
  /// Unset: the source's default (100 for streams, 10 for SQS).
  std::optional<int> batch_size{};
  /// `MaximumBatchingWindowInSeconds`: how long to gather records before invoking.
  /// Whole seconds in [0s, 300s]. Default 0 (invoke as soon as records exist). The window starts
  /// when the previous invoke completes. SQS: at least 1 s when `batch_size` > 10; FIFO queues: 0.
  duration window = duration::zero();

  /// The batch size in effect for a source kind.
  [[nodiscard]] constexpr int effective_batch_size(source_kind k) const noexcept {
    if (batch_size) return *batch_size;
    return is_stream(k) ? 100 : 10;
  }
  /// The window in effect.
  [[nodiscard]] constexpr duration effective_window(source_kind) const noexcept { return window; }
  /// `BatchSize` records, 6 MB.
  [[nodiscard]] constexpr batch_limits limits(source_kind k) const noexcept {
    return {static_cast<std::size_t>(effective_batch_size(k)), max_invoke_payload_bytes};
  }
  /// Cut when full, when there is no window, or when the window has passed; else wait for its end.
  [[nodiscard]] constexpr batch_decision decide(const batch_candidate& c) const noexcept {
    const time_point end = saturating_add(c.gathering_since, window);
    if (c.full || window == duration::zero() || c.now >= end) return batch_decision::cut();
    return batch_decision::wait_until(end);
  }
  /// Throws `config_error` when a value is outside AWS's range for the source kind.
  void validate(source_kind k) const {
    const std::string where = std::string{"a "} + to_string(k) + " event source mapping";
    const int max = k == source_kind::sqs_fifo ? 10 : 10'000;
    detail::check_range("batch_size", effective_batch_size(k), 1, max, where);
    detail::check_range<duration>("window", window, duration::zero(), std::chrono::seconds{300}, where);
    if (window % std::chrono::seconds{1} != duration::zero()) {
      throw config_error("window", "a whole number of seconds in [0s, 300s]", esm::to_string(window), where);
    }
    // SQS only (spec §1, [ambiguous] resolved in docs/fidelity.md): more than 10 messages need a
    // window of at least 1 s; FIFO queues do not support a window at all.
    if (k == source_kind::sqs_fifo && window != duration::zero()) {
      throw config_error("window", "0s (a batching window is not supported for FIFO queues)", esm::to_string(window),
                         where);
    }
    if (k == source_kind::sqs_standard && effective_batch_size(k) > 10 && window < std::chrono::seconds{1}) {
      throw config_error("window", "at least 1s when batch_size is above 10", esm::to_string(window), where);
    }
  }
};

namespace detail {
/// True for a batching policy (pollers find their policies by concept or declared role).
template <class P>
struct is_batching : std::bool_constant<plays_role<P, batching_role, batching_policy<P>>> {};

/// The limits a poller may use: at least one record, at most the 6 MB payload.
inline batch_limits checked_limits(batch_limits l, source_kind k) {
  const std::string where = std::string{"a "} + to_string(k) + " event source mapping";
  const std::size_t max = k == source_kind::sqs_fifo ? 10 : 10'000;
  check_range<std::size_t>("batch_limits.max_records", l.max_records, 1, max, where);
  check_range<std::size_t>("batch_limits.max_bytes", l.max_bytes, 1, max_invoke_payload_bytes, where);
  return l;
}
} // namespace detail

} // namespace esm
