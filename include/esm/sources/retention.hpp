#pragma once
/// \file esm/sources/retention.hpp
/// How long a stream keeps records (spec §2.8, §8). Kinesis: 24 h by default, up to 8,760 h
/// (`IncreaseStreamRetentionPeriod`); DynamoDB Streams: 24 h, fixed. `until_consumed` is a
/// modelling aid for long simulations: a record is dropped once every registered reader has
/// checkpointed past it, so memory stays bounded; AWS has no such setting.

#include <chrono>
#include <cstdint>

#include <esm/core/time.hpp>

namespace esm {

/// A stream's retention: a period, or `until_consumed`. A value type; its mode picks the algorithm.
class retention {
public:
  /// Records older than `d` (by arrival time) are trimmed. Kinesis allows [24h, 8760h].
  [[nodiscard]] static constexpr retention period(duration d) noexcept { return retention{d, false}; }
  /// Records are kept until every registered reader has checkpointed past them (not an AWS
  /// setting: for simulations too long to keep everything).
  [[nodiscard]] static constexpr retention until_consumed() noexcept { return retention{duration::zero(), true}; }

  /// True in `until_consumed` mode.
  [[nodiscard]] constexpr bool is_until_consumed() const noexcept { return until_consumed_; }
  /// The period (meaningless in `until_consumed` mode).
  [[nodiscard]] constexpr duration period() const noexcept { return period_; }

  friend constexpr bool operator==(const retention&, const retention&) = default;

private:
  constexpr retention(duration d, bool consumed) noexcept : period_(d), until_consumed_(consumed) {}
  duration period_;
  bool until_consumed_;
};

} // namespace esm
