#pragma once
/// \file esm/pollers/stream_batch.hpp
/// What a stream handler receives (`esm::stream_batch`) and the stream mapping's settings that
/// are not policies (`esm::stream_options`).

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <esm/detail/ring.hpp>
#include <esm/pollers/lifecycle.hpp>
#include <esm/sources/shard.hpp>

namespace esm {

/// Settings of a stream event source mapping that are not policies.
struct stream_options {
  /// `StartingPosition`: `trim_horizon()`, `latest()` or `at_timestamp(t)` (Kinesis only; not in
  /// the future). **Required**, as on AWS: a poller given none throws `esm::config_error` naming
  /// `StartingPosition`. It may instead be a bare `esm::starting_position` argument of the poller
  /// (`esm::stream_poller p{stream, fn, h, esm::starting_position::trim_horizon()}`), not both.
  std::optional<starting_position> start{};
  /// `FunctionResponseTypes = ["ReportBatchItemFailures"]`: honour partial batch responses.
  /// Default false: a returned `batch_response` is ignored (spec §2.5).
  bool report_batch_item_failures = false;
  /// `Enabled`. Default true.
  bool enabled = true;
  /// How long creation, enabling, disabling, updating and deletion take, in virtual time: each a
  /// duration in [0s, 1h], default 0 (instant). AWS has no such setting and publishes no figure
  /// ("several minutes"); `esm::mapping_transitions::eventual()` is a slow, illustrative choice
  /// (esm/pollers/lifecycle.hpp).
  mapping_transitions transitions{};
  /// Name of the mapping in traces (`esm/<name>`). Default `esm`.
  std::string name = "esm";
};

/// A batch of stream records, as a handler receives it: records of one shard, in order. A view:
/// valid only during the handler's call.
template <class Record>
class stream_batch {
public:
  /// Iterates the records.
  class iterator {
  public:
    using value_type = Record;                  ///< a record
    using difference_type = std::ptrdiff_t;     ///< distance
    using reference = const Record&;            ///< what * gives
    using iterator_category = std::forward_iterator_tag; ///< forward
    iterator() = default;
    reference operator*() const noexcept { return (*batch_)[i_]; }
    const Record* operator->() const noexcept { return &(*batch_)[i_]; }
    iterator& operator++() noexcept {
      ++i_;
      return *this;
    }
    iterator operator++(int) noexcept {
      auto c = *this;
      ++i_;
      return c;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.i_ == b.i_; }

  private:
    friend class stream_batch;
    iterator(const stream_batch* b, std::size_t i) : batch_(b), i_(i) {}
    const stream_batch* batch_ = nullptr;
    std::size_t i_ = 0;
  };

  /// A view of `count` records whose positions are the front of `positions`.
  stream_batch(const stream_shard<Record>& shard, const detail::ring<std::uint64_t>& positions, std::size_t count,
               std::string_view stream_name) noexcept
      : shard_(&shard), positions_(&positions), count_(count), stream_name_(stream_name) {}

  /// Records in the batch.
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  /// True when empty (never, for a batch a handler receives).
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  /// The i-th record.
  [[nodiscard]] const Record& operator[](std::size_t i) const noexcept { return shard_->at((*positions_)[i]); }
  /// The first record.
  [[nodiscard]] const Record& front() const noexcept { return (*this)[0]; }
  /// The last record.
  [[nodiscard]] const Record& back() const noexcept { return (*this)[count_ - 1]; }
  /// Iteration.
  [[nodiscard]] iterator begin() const noexcept { return {this, 0}; }
  /// Iteration.
  [[nodiscard]] iterator end() const noexcept { return {this, count_}; }
  /// The shard the records come from.
  [[nodiscard]] const std::string& shard_id() const noexcept { return shard_->id(); }
  /// The stream's name.
  [[nodiscard]] std::string_view stream_name() const noexcept { return stream_name_; }

private:
  const stream_shard<Record>* shard_;
  const detail::ring<std::uint64_t>* positions_;
  std::size_t count_;
  std::string_view stream_name_;
};

namespace detail {
template <class P>
struct is_stream_options : std::is_same<P, stream_options> {};
template <class P>
struct is_starting_position : std::is_same<P, starting_position> {};
} // namespace detail

} // namespace esm
