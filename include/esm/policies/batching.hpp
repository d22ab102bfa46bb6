#pragma once
/// \file esm/policies/batching.hpp
/// When a poller cuts a batch (spec §1, "Batch cut"): whichever comes first of `BatchSize`
/// records, the batching window (`MaximumBatchingWindowInSeconds`) expiring, or the 6 MB payload
/// of a synchronous invoke. A batch holds records of one shard.

#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>

#include <esm/core/error.hpp>
#include <esm/core/time.hpp>
#include <esm/core/source_kind.hpp>

namespace esm {

/// The synchronous-invoke payload limit, which AWS does not let you change: 6 MB.
inline constexpr std::size_t max_invoke_payload_bytes = 6'291'456;

/// The default batching policy (AWS's batch cut).
struct batching {
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

/// A batching policy: says the batch size and window in effect for a source kind, and
/// validates itself.
/// ```cpp
/// static_assert(esm::batching_policy<esm::batching>);
/// static_assert(!esm::batching_policy<int>);
/// ```
template <class P>
concept batching_policy = requires(const P& p, source_kind k) {
  { p.effective_batch_size(k) } -> std::convertible_to<int>;
  { p.effective_window(k) } -> std::convertible_to<duration>;
  p.validate(k);
};

namespace detail {
/// True for a batching policy (pollers find their policies by concept).
template <class P>
struct is_batching : std::bool_constant<batching_policy<P>> {};
} // namespace detail

} // namespace esm
