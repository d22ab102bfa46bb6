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
#include <esm/sources/retention.hpp>
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

  /// Read limits shared by every reader of the shard (Kinesis, spec §8): the earliest time the
  /// next `GetRecords` call may be made, whichever mapping makes it.
  [[nodiscard]] time_point next_read_allowed() const noexcept { return next_read_; }
  /// Notes a `GetRecords` call made at `now` that returned `bytes`: the next may come after
  /// `min_interval` (5 calls per second: 200 ms) and once the bytes are paid for at
  /// `bytes_per_second` (2 MB/s: a 10 MB read holds the shard for 5 s). 0 = no byte limit.
  void note_read(time_point now, std::size_t bytes, duration min_interval, std::uint64_t bytes_per_second) noexcept {
    duration pay{};
    if (bytes_per_second > 0) {
      pay = duration{static_cast<duration::rep>(static_cast<std::uint64_t>(bytes) * 1'000'000'000ULL / bytes_per_second)};
    }
    next_read_ = saturating_add(now, std::max(min_interval, pay));
  }
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
  time_point next_read_{}; // shared GetRecords limit (see note_read)
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
  /// The stream is being destroyed: the listener must not use it again (nor unregister).
  virtual void on_source_destroyed() noexcept {}

protected:
  stream_listener() = default;
  stream_listener(const stream_listener&) = default;
  stream_listener& operator=(const stream_listener&) = default;
  ~stream_listener() = default;
};

/// The readers of a stream (its pollers) and their checkpoints per shard. Under
/// `retention::until_consumed`, a shard's records before every active reader's checkpoint may go.
class reader_registry {
public:
  /// Registers a reader.
  reader_id add() {
    readers_.push_back(reader{true, {}});
    return reader_id{static_cast<std::uint32_t>(readers_.size() - 1)};
  }
  /// Ends a reader's hold on records.
  void remove(reader_id r) noexcept { readers_[static_cast<std::size_t>(r)].active = false; }
  /// The reader has processed every record of the shard before `position`.
  void checkpoint(reader_id r, std::uint32_t shard_ordinal, std::uint64_t position) {
    auto& cps = readers_[static_cast<std::size_t>(r)].positions;
    if (cps.size() <= shard_ordinal) cps.resize(shard_ordinal + 1, 0);
    cps[shard_ordinal] = std::max(cps[shard_ordinal], position);
  }
  /// The lowest checkpoint of the active readers on a shard; nullopt when nobody reads.
  [[nodiscard]] std::optional<std::uint64_t> consumed(std::uint32_t shard_ordinal) const noexcept {
    std::optional<std::uint64_t> low;
    for (const auto& r : readers_) {
      if (!r.active) continue;
      const std::uint64_t p = shard_ordinal < r.positions.size() ? r.positions[shard_ordinal] : 0;
      low = low ? std::min(*low, p) : p;
    }
    return low;
  }

private:
  struct reader {
    bool active;
    std::vector<std::uint64_t> positions;
  };
  std::vector<reader> readers_;
};

/// Applies a retention to a shard at `now`; returns how many records it removed.
template <class Record>
std::size_t apply_retention(stream_shard<Record>& s, const retention& r, time_point now,
                            const reader_registry& readers) {
  if (r.is_until_consumed()) {
    const auto consumed = readers.consumed(s.ordinal());
    if (!consumed) return 0;
    std::uint64_t pos = s.begin_position();
    return s.trim_while([&](const Record&) { return pos++ < *consumed; });
  }
  if (now.time_since_epoch() < r.period()) return 0;
  const time_point oldest_kept = now - r.period();
  return s.trim_while([&](const Record& rec) { return rec.arrival < oldest_kept; });
}

/// Reads one shard of `Stream` without a poller (`GetShardIterator` + `GetRecords`). Made by
/// the stream's `iterator_at`.
template <class Stream>
class shard_iterator {
public:
  using shard_type = typename Stream::shard_type;   ///< the shard
  using record_type = typename Stream::record_type; ///< its records

  /// An iterator on `shard` of `stream` at `position`.
  shard_iterator(Stream& stream, shard_type& shard, std::uint64_t position) noexcept
      : stream_(&stream), shard_(&shard), position_(position) {}

  /// Up to `limit` records from the current position (at most `Stream::max_get_records`, as
  /// `GetRecords`); the pointers stay valid until retention trims those records. A position that
  /// retention has passed resumes at the oldest retained record.
  std::vector<const record_type*> next(std::size_t limit = Stream::max_get_records) {
    stream_->trim(*shard_);
    position_ = std::max(position_, shard_->begin_position());
    const std::uint64_t end = std::min<std::uint64_t>(
        shard_->end_position(), position_ + std::min<std::size_t>(limit, Stream::max_get_records));
    std::vector<const record_type*> out;
    out.reserve(static_cast<std::size_t>(end - position_));
    for (; position_ < end; ++position_) out.push_back(&shard_->at(position_));
    return out;
  }
  /// True when the shard is closed and every record has been read (`NextShardIterator` null).
  [[nodiscard]] bool at_end() const noexcept { return shard_->closed() && position_ >= shard_->end_position(); }
  /// The shard being read.
  [[nodiscard]] const shard_type& shard() const noexcept { return *shard_; }
  /// The position of the next record to read.
  [[nodiscard]] std::uint64_t position() const noexcept { return position_; }

private:
  Stream* stream_;
  shard_type* shard_;
  std::uint64_t position_;
};

/// Formats a shard id as AWS does: `shardId-` and 12 digits.
[[nodiscard]] inline std::string make_shard_id(std::uint32_t ordinal) {
  std::string digits = std::to_string(ordinal);
  return "shardId-" + std::string(digits.size() < 12 ? 12 - digits.size() : 0, '0') + digits;
}

} // namespace esm
