#pragma once
/// \file esm/sources/detail/basic_stream.hpp
/// Internal: what a Kinesis stream and a DynamoDB stream share, as the base both derive from —
/// the shards by ordinal (ids `shardId-` + 12 digits, closed shards kept with their lineage),
/// the sequence counter, the listeners (pollers) told of new records and closed shards, the
/// registry of readers whose checkpoints hold records back under `retention::until_consumed()`,
/// and retention applied on write, read and checkpoint, plus an hourly sweep of every shard. The public members below
/// are part of both streams' API (and of `esm::stream_source`).
///
/// `Derived` provides, to this base only: `const esm::retention& retention_setting() const`,
/// `void on_expired(std::uint64_t records)` (its metrics) and `static constexpr std::string_view
/// type_name` (`kinesis_stream`, for messages); `name()` is public on it.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/core/simulation.hpp>
#include <esm/core/time.hpp>
#include <esm/sources/hash_key.hpp>
#include <esm/sources/retention.hpp>
#include <esm/sources/shard.hpp>

namespace esm::detail {

/// The shards, listeners, readers and retention of a stream whose shards hold `Record`.
template <class Derived, class Record>
class basic_stream {
public:
  using record_type = Record;                   ///< what shards store
  using shard_type = stream_shard<record_type>; ///< a shard

  basic_stream(const basic_stream&) = delete;
  basic_stream& operator=(const basic_stream&) = delete;

  /// The simulation it lives on.
  [[nodiscard]] simulation& sim() const noexcept { return sim_; }

  /// Every shard ever created, open or closed, in creation order (index = ordinal).
  [[nodiscard]] std::size_t shard_count() const noexcept { return shards_.size(); }
  /// The shard with this ordinal (< `shard_count()`).
  [[nodiscard]] shard_type& shard_at(std::uint32_t ordinal) noexcept { return *shards_[ordinal]; }
  /// The shard with this ordinal (< `shard_count()`).
  [[nodiscard]] const shard_type& shard_at(std::uint32_t ordinal) const noexcept { return *shards_[ordinal]; }
  /// The shard with this id. Throws `input_error` for an unknown id.
  [[nodiscard]] shard_type& shard(std::string_view shard_id) { return *shards_[ordinal_of(shard_id)]; }

  /// Adds a listener (a poller). It must be removed before it is destroyed.
  void add_listener(stream_listener* l) { listeners_.push_back(l); }
  /// Removes a listener.
  void remove_listener(stream_listener* l) noexcept { std::erase(listeners_, l); }

  /// Registers a reader whose checkpoints hold records back under `until_consumed` retention.
  reader_id register_reader() { return readers_.add(); }
  /// Ends a reader's hold on records.
  void unregister_reader(reader_id r) noexcept { readers_.remove(r); }
  /// The reader has processed every record of the shard before `position`.
  void checkpoint(reader_id r, std::uint32_t shard_ordinal, std::uint64_t position) {
    readers_.checkpoint(r, shard_ordinal, position);
    if (self().retention_setting().is_until_consumed()) trim(*shards_[shard_ordinal]);
  }
  /// Applies retention to a shard now (also done on every write, read and checkpoint).
  void trim(shard_type& s) {
    const auto removed = apply_retention(s, self().retention_setting(), sim_.now(), readers_);
    if (removed > 0) self().on_expired(removed);
  }

protected:
  explicit basic_stream(simulation& sim) : sim_(sim) {}
  /// Tells the listeners (pollers: they stop, their mappings become `Disabled`).
  ~basic_stream() {
    const auto listeners = std::move(listeners_);
    listeners_.clear();
    for (stream_listener* l : listeners) l->on_source_destroyed();
  }

  /// Applies retention to every shard, open or closed, on the first write of each virtual hour:
  /// a closed shard (or an open one no key routes to) is neither written nor, once its readers
  /// finished, read, yet AWS expires its records with the retention period (§2.8). Without the
  /// sweep they would stay in memory for the stream's life. Cost: one pass over the shards per
  /// hour of writes, so a record expires at most an hour after its retention ends.
  void sweep_retention() {
    const time_point now = sim_.now();
    if (now < next_sweep_) return;
    next_sweep_ = saturating_add(now, std::chrono::hours{1});
    for (auto& s : shards_) trim(*s);
  }

  /// The next sequence number (from 1, increasing across the stream's shards).
  [[nodiscard]] std::uint64_t next_sequence() noexcept { return ++last_sequence_; }

  /// Creates a shard covering `range` with these parents; returns its ordinal.
  std::uint32_t add_shard(hash_key_range range, std::vector<std::uint32_t> parents) {
    const auto ordinal = static_cast<std::uint32_t>(shards_.size());
    shards_.push_back(std::make_unique<shard_type>(make_shard_id(ordinal), ordinal, range, std::move(parents), sim_.now()));
    return ordinal;
  }

  /// Closes a shard now with these children (which exist already), then tells the listeners.
  void close_shard(std::uint32_t ordinal, std::vector<std::uint32_t> children) {
    shards_[ordinal]->close(sim_.now(), std::move(children));
    for (auto* l : listeners_) l->on_shard_closed(ordinal);
  }

  /// Tells the listeners that records were appended to a shard.
  void notify_records(std::uint32_t ordinal) {
    for (auto* l : listeners_) l->on_records(ordinal);
  }

  /// The ordinal of a shard id. Throws `input_error` naming the stream for an unknown id.
  [[nodiscard]] std::uint32_t ordinal_of(std::string_view shard_id) const {
    // Ids are make_shard_id(ordinal): read the ordinal back, then check it names a shard.
    constexpr std::string_view prefix = "shardId-";
    if (shard_id.size() == prefix.size() + 12 && shard_id.substr(0, prefix.size()) == prefix) {
      std::uint64_t v = 0;
      bool digits = true;
      for (const char c : shard_id.substr(prefix.size())) {
        if (c < '0' || c > '9') {
          digits = false;
          break;
        }
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
      }
      if (digits && v < shards_.size()) return static_cast<std::uint32_t>(v);
    }
    throw input_error(std::string{Derived::type_name} + " '" + self().name() + "': unknown shard id '" +
                      std::string{shard_id} + "'");
  }

private:
  [[nodiscard]] Derived& self() noexcept { return static_cast<Derived&>(*this); }
  [[nodiscard]] const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }

  simulation& sim_;
  std::vector<std::unique_ptr<shard_type>> shards_;
  reader_registry readers_;
  std::vector<stream_listener*> listeners_;
  std::uint64_t last_sequence_ = 0;
  time_point next_sweep_{}; // when sweep_retention() next trims every shard
};

} // namespace esm::detail
