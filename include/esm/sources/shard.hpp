#pragma once
/// \file esm/sources/shard.hpp
/// A stream shard: an ordered, trimmable log of records with lineage (parents, children), and
/// the iterators that read it (TRIM_HORIZON, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER,
/// AFTER_SEQUENCE_NUMBER). Shared by Kinesis and DynamoDB streams.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/core/time.hpp>
#include <esm/detail/chunked_log.hpp>
#include <esm/sources/hash_key.hpp>

namespace esm {

/// Where an iterator starts reading a shard (`ShardIteratorType`).
enum class iterator_type : std::uint8_t {
  trim_horizon,          ///< the oldest retained record
  latest,                ///< just after the newest record: only records put from now on
  at_timestamp,          ///< the first record that arrived at or after a timestamp (Kinesis)
  at_sequence_number,    ///< the record with a sequence number
  after_sequence_number, ///< just after the record with a sequence number
};

/// A starting position: a type, with the sequence number or timestamp it needs.
struct starting_position {
  iterator_type type = iterator_type::trim_horizon; ///< where to start
  std::uint64_t sequence = 0;                       ///< for `at_/after_sequence_number`
  time_point timestamp{};                           ///< for `at_timestamp`

  /// The oldest retained record.
  [[nodiscard]] static constexpr starting_position trim_horizon() noexcept { return {iterator_type::trim_horizon}; }
  /// Only records put after the iterator is created.
  [[nodiscard]] static constexpr starting_position latest() noexcept { return {iterator_type::latest}; }
  /// The first record that arrived at or after `t`.
  [[nodiscard]] static constexpr starting_position at_timestamp(time_point t) noexcept {
    return {iterator_type::at_timestamp, 0, t};
  }
  /// The record with sequence `seq` (or the next one retained).
  [[nodiscard]] static constexpr starting_position at_sequence_number(std::uint64_t seq) noexcept {
    return {iterator_type::at_sequence_number, seq};
  }
  /// The record after sequence `seq`.
  [[nodiscard]] static constexpr starting_position after_sequence_number(std::uint64_t seq) noexcept {
    return {iterator_type::after_sequence_number, seq};
  }
};

/// A shard of a stream: records in sequence order, addressed by a stable *position* (0 for the
/// first record ever put in the shard). Retention trims from the front; positions never change.
/// `Record` must have `std::uint64_t sequence` and `time_point arrival` members.
/// Not thread-safe.
template <class Record>
class stream_shard {
public:
  /// A shard with an id (`shardId-000000000000`), an ordinal (its index in the stream), a
  /// hash-key range and its parents' ordinals (none, one after a split, two after a merge).
  stream_shard(std::string id, std::uint32_t ordinal, hash_key_range range, std::vector<std::uint32_t> parents,
               time_point created)
      : id_(std::move(id)), ordinal_(ordinal), range_(range), parents_(std::move(parents)), created_(created) {}

  /// `ShardId`.
  [[nodiscard]] const std::string& id() const noexcept { return id_; }
  /// Index of the shard in its stream (0, 1, ...), in creation order.
  [[nodiscard]] std::uint32_t ordinal() const noexcept { return ordinal_; }
  /// `HashKeyRange`.
  [[nodiscard]] const hash_key_range& range() const noexcept { return range_; }
  /// Ordinals of the parent shards (`ParentShardId`, `AdjacentParentShardId`).
  [[nodiscard]] const std::vector<std::uint32_t>& parents() const noexcept { return parents_; }
  /// Ordinals of the child shards (after a split or a merge).
  [[nodiscard]] const std::vector<std::uint32_t>& children() const noexcept { return children_; }
  /// When the shard was created.
  [[nodiscard]] time_point created() const noexcept { return created_; }
  /// True once the shard was split or merged: it takes no more records, and stays readable
  /// until its records expire.
  [[nodiscard]] bool closed() const noexcept { return closed_.has_value(); }
  /// When the shard was closed, if it was.
  [[nodiscard]] std::optional<time_point> closed_at() const noexcept { return closed_; }

  /// Position of the oldest retained record.
  [[nodiscard]] std::uint64_t begin_position() const noexcept { return base_; }
  /// One past the position of the newest record.
  [[nodiscard]] std::uint64_t end_position() const noexcept { return base_ + records_.size(); }
  /// Records retained.
  [[nodiscard]] std::size_t size() const noexcept { return records_.size(); }
  /// Records removed by retention so far.
  [[nodiscard]] std::uint64_t trimmed() const noexcept { return base_; }
  /// The record at `position` (begin_position() ≤ position < end_position()).
  [[nodiscard]] const Record& at(std::uint64_t position) const noexcept { return records_[position - base_]; }

  /// Position of the first retained record whose sequence is ≥ `seq` (end_position() if none).
  [[nodiscard]] std::uint64_t lower_bound(std::uint64_t seq) const noexcept {
    return base_ + first_index([&](const Record& r) { return r.sequence >= seq; });
  }
  /// Position of the first retained record that arrived at or after `t`.
  [[nodiscard]] std::uint64_t lower_bound_time(time_point t) const noexcept {
    return base_ + first_index([&](const Record& r) { return r.arrival >= t; });
  }

  /// Where an iterator of type `p` starts.
  [[nodiscard]] std::uint64_t start_of(const starting_position& p) const noexcept {
    switch (p.type) {
    case iterator_type::trim_horizon: return begin_position();
    case iterator_type::latest: return end_position();
    case iterator_type::at_timestamp: return lower_bound_time(p.timestamp);
    case iterator_type::at_sequence_number: return lower_bound(p.sequence);
    case iterator_type::after_sequence_number: {
      const auto pos = lower_bound(p.sequence);
      return pos < end_position() && at(pos).sequence == p.sequence ? pos + 1 : pos;
    }
    }
    return begin_position();
  }

  // --- used by streams ------------------------------------------------------------------------

  /// Appends a record (the stream checks that the shard is open).
  Record& append(Record r) { return records_.push_back(std::move(r)); }
  /// Appends a record built in place from its members (no intermediate moves).
  template <class... Args>
  Record& emplace(Args&&... args) {
    return records_.emplace_back(std::forward<Args>(args)...);
  }
  /// Removes retained records from the front while `expired(record)`; returns how many.
  template <class Pred>
  std::size_t trim_while(Pred expired) {
    std::size_t n = 0;
    while (!records_.empty() && expired(records_.front())) {
      records_.pop_front();
      ++base_;
      ++n;
    }
    return n;
  }
  /// Closes the shard (split or merge) with its children.
  void close(time_point at, std::vector<std::uint32_t> children) {
    closed_ = at;
    children_ = std::move(children);
  }

private:
  // Index of the first retained record for which `pred` holds (pred is monotonic), or size().
  template <class Pred>
  std::size_t first_index(Pred pred) const noexcept {
    std::size_t lo = 0, hi = records_.size();
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (pred(records_[mid])) hi = mid; else lo = mid + 1;
    }
    return lo;
  }

  std::string id_;
  std::uint32_t ordinal_;
  hash_key_range range_;
  std::vector<std::uint32_t> parents_;
  std::vector<std::uint32_t> children_;
  time_point created_;
  std::optional<time_point> closed_;
  detail::chunked_log<Record> records_;
  std::uint64_t base_ = 0;
};

/// Identifies a registered reader of a stream (for `retention::until_consumed`).
enum class reader_id : std::uint32_t {};

/// Receives a stream's notifications (a poller listens so that it needs no idle polling events).
/// Called synchronously from `put`, `split_shard` and `merge_shards`.
class stream_listener {
public:
  /// Records were appended to the shard with this ordinal.
  virtual void on_records(std::uint32_t shard_ordinal) = 0;
  /// The shard with this ordinal was closed (split or merged); its children exist already.
  virtual void on_shard_closed(std::uint32_t shard_ordinal) = 0;

protected:
  stream_listener() = default;
  stream_listener(const stream_listener&) = default;
  stream_listener& operator=(const stream_listener&) = default;
  ~stream_listener() = default;
};

/// Formats a shard id as AWS does: `shardId-` and 12 digits.
[[nodiscard]] inline std::string make_shard_id(std::uint32_t ordinal) {
  std::string digits = std::to_string(ordinal);
  return "shardId-" + std::string(digits.size() < 12 ? 12 - digits.size() : 0, '0') + digits;
}

} // namespace esm
