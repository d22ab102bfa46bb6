#pragma once
/// \file esm/testing/discards.hpp
/// `esm::testing::discard_log`: an on-failure destination for stream mappings that keeps, for
/// every discard, AWS's invocation record **and exactly which records were discarded**. The
/// record's `KinesisBatchInfo` / `DDBStreamBatchInfo` gives a sequence range; with
/// `ParallelizationFactor` > 1 that range also spans other lanes' records (keys hashed to other
/// lanes of the shard), so it cannot be reconciled without the lane function. The log gets the
/// discarded records themselves from the poller.
///
/// ```cpp
/// esm::testing::discard_log discards;
/// esm::stream_poller p{stream, fn, handler, discards, esm::parallelization{.factor = 5},
///                      esm::stream_retry{.max_attempts = 1}, esm::starting_position::trim_horizon()};
/// sim.run_until_idle();
/// CHECK(discards.discarded(seq));          // this record went to the destination
/// CHECK(discards.records() == p.metrics().on_failure_destination_delivered_event_count);
/// ```
///
/// Copies share one log (the poller holds a copy). Optionally forwards each record to another
/// destination callable (`discard_log{forward}`), whose result decides delivery as
/// `esm::on_failure` does. Not thread-safe.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <esm/policies/roles.hpp>
#include <esm/pollers/destination.hpp>
#include <esm/pollers/stream_batch.hpp>
#include <esm/testing/recorder.hpp>

namespace esm::testing {

/// One discard: AWS's invocation record and the records it covered, in order.
struct discarded_batch {
  stream_failure_record record;     ///< what the destination received (spec §4.6)
  std::vector<recorded_item> items; ///< exactly the discarded records (id: sequence number; key: ordering key)
  bool delivered = true;            ///< false when the forwarded destination failed (the records were dropped)
};

namespace detail {
struct accept_all {
  bool operator()(const stream_failure_record&) const noexcept { return true; }
};
} // namespace detail

/// An on-failure destination that logs every discard with its exact records.
template <class Forward = detail::accept_all>
class discard_log {
public:
  using esm_role = destination_role; ///< plays the destination role

  /// A log that accepts every record.
  discard_log() = default;
  /// A log that also forwards each record to `forward(record)` (`void`: delivered; `bool`: delivered when true).
  explicit discard_log(Forward forward) : forward_(std::move(forward)) {}

  /// Called by the poller with the discarded records.
  template <class Stream, class Record>
  bool send(const stream_failure_record& r, const Stream&, const stream_batch<Record>& records) {
    discarded_batch b{r, {}, true};
    b.items.reserve(records.size());
    for (const auto& rec : records) {
      recorded_item it;
      testing::detail::describe(rec, it.id, it.sequence, it.receive_count);
      it.key = std::string{rec.ordering_key()};
      b.items.push_back(std::move(it));
    }
    if constexpr (std::is_void_v<std::invoke_result_t<Forward&, const stream_failure_record&>>) {
      forward_(r);
    } else {
      b.delivered = static_cast<bool>(forward_(r));
    }
    const bool delivered = b.delivered;
    log_->push_back(std::move(b));
    return delivered;
  }

  /// Every discard, in order.
  [[nodiscard]] const std::vector<discarded_batch>& batches() const noexcept { return *log_; }
  /// Records discarded (delivered to the destination or not).
  [[nodiscard]] std::size_t records() const noexcept {
    std::size_t n = 0;
    for (const auto& b : *log_) n += b.items.size();
    return n;
  }
  /// True when the record with this sequence number (as AWS renders it) was discarded.
  [[nodiscard]] bool discarded(std::string_view id) const noexcept {
    for (const auto& b : *log_)
      for (const auto& it : b.items)
        if (it.id == id) return true;
    return false;
  }
  /// The sequence numbers of every discarded record, in the order discarded.
  [[nodiscard]] std::vector<std::string> discarded_ids() const {
    std::vector<std::string> out;
    for (const auto& b : *log_)
      for (const auto& it : b.items) out.push_back(it.id);
    return out;
  }

private:
  Forward forward_{};
  std::shared_ptr<std::vector<discarded_batch>> log_ = std::make_shared<std::vector<discarded_batch>>();
};

discard_log()->discard_log<detail::accept_all>;
template <class F>
discard_log(F) -> discard_log<F>;

} // namespace esm::testing
