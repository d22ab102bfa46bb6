#pragma once
/// \file esm/sources/detail/sqs_standard_delivery.hpp
/// Internal: how a standard queue delivers (spec §3, §8). Visible messages wait in a ready queue,
/// oldest first; a receive takes from its front, and with the at-least-once model may take a
/// message from among the 16 oldest instead (best-effort order) and leave a received message
/// receivable once more while in flight (a duplicate delivery). There are no message groups and
/// no deduplication.
///
/// A delivery discipline is what `esm::basic_sqs_queue` is composed of besides its storage: this
/// one and `detail::sqs_fifo_delivery` have the same members, which the queue calls at each step
/// of a message's life (`admit` and `on_stored` on send, `on_transition` on each change of state,
/// `on_visible`, `on_removed`, `receive`, ...). The queue befriends its discipline, which reads the
/// queue's slots and calls its `deliver`, `expire` and `redrive_if_due`.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/core/source_kind.hpp>
#include <esm/core/time.hpp>
#include <esm/core/trace.hpp>
#include <esm/detail/ring.hpp>
#include <esm/sources/detail/sqs_slot.hpp>
#include <esm/sources/sqs_config.hpp>
#include <esm/sources/sqs_message.hpp>

namespace esm::detail {

/// The delivery discipline of a standard queue.
class sqs_standard_delivery {
public:
  using config_type = sqs_queue_config;                                      ///< the queue's settings
  static constexpr source_kind kind = source_kind::sqs_standard;            ///< for policies
  static constexpr std::size_t in_flight_limit = 120'000;                  ///< in-flight messages at most
  static constexpr std::string_view component_prefix = "sqs/";             ///< of trace components
  static constexpr bool per_message_delay = true; ///< `send_options::delay` is allowed

  /// Send: checks what only FIFO queues accept. Returns a result when the send is answered without
  /// storing a message (never, here); `dedup` is left empty.
  template <class Q, class Body>
  std::optional<send_result> admit(Q& q, const Body&, const send_options& opts, std::string&) {
    if (opts.deduplication_id) throw input_error(q.where() + ": a deduplication id is only valid on FIFO queues");
    return std::nullopt;
  }
  /// Send: the message in `s` has been stored.
  template <class Body>
  void on_stored(sqs_slot<Body>& s, send_options& opts, std::string&&, time_point) {
    s.msg.group_id = std::move(opts.group_id);
  }
  /// A message redriven from a source queue has been stored in `s`.
  template <class Body>
  void on_redriven(sqs_slot<Body>&) noexcept {}
  /// A message changed state; true when this makes a message group available (never, here).
  bool on_transition(std::uint32_t, sqs_slot_state, sqs_slot_state) noexcept { return false; }
  /// The message in slot `i` (with `epoch`) became visible.
  void on_visible(std::uint32_t i, std::uint32_t epoch) { ready_.push_back({i, epoch}); }
  /// A stored message was removed (its entry in the queue's order ring is now dead).
  void on_removed() noexcept {}
  /// A dead entry of the order ring was dropped.
  void on_dead_entry_dropped() noexcept {}

  /// True when a receive now could return a message (drops ready entries made stale by deletes
  /// and expiry on the way).
  template <class Q>
  bool receivable(Q& q) {
    while (!ready_.empty()) {
      const ready_entry e = ready_.front();
      const auto& s = q.slots_[e.slot];
      if (s.epoch == e.epoch && (s.state == sqs_slot_state::visible || s.ghost)) return true;
      ready_.pop_front();
    }
    return false;
  }
  /// `available_groups()` of a standard queue: its visible messages.
  template <class Q>
  std::size_t available(const Q& q) const noexcept {
    return q.counts_.visible;
  }

  /// Receives up to `max` messages with visibility timeout `vis` into `out`; returns how many.
  template <class Q>
  std::size_t receive(Q& q, std::vector<receipt_handle>& out, std::size_t max, duration vis) {
    const time_point now = q.sim_.now();
    const at_least_once& model = q.cfg_.delivery;
    std::size_t got = 0;
    std::size_t deferred = 0; // duplicates scheduled by this call: at the back, for a later receive
    while (got < max && ready_.size() > deferred) {
      const std::size_t candidates = ready_.size() - deferred;
      if (model.reorder_rate > 0 && candidates > 1 && q.rng_.bernoulli(model.reorder_rate)) {
        const auto k = static_cast<std::size_t>(
            q.rng_.uniform_int(1, static_cast<std::int64_t>(std::min<std::size_t>(candidates, 16)) - 1));
        std::swap(ready_[0], ready_[k]);
      }
      const ready_entry e = ready_.front();
      ready_.pop_front();
      auto& s = q.slots_[e.slot];
      if (s.epoch != e.epoch) continue; // deleted, expired or re-queued since
      bool duplicate = false;
      if (s.state == sqs_slot_state::visible) {
        if (q.expired(s, now)) {
          q.expire(e.slot);
          continue;
        }
        if (q.redrive_if_due(e.slot)) continue;
      } else if (!(s.state == sqs_slot_state::in_flight && s.ghost)) {
        continue;
      } else if (q.redrive_.due(s.msg.receive_count)) {
        s.ghost = false; // a duplicate would exceed maxReceiveCount: not delivered
        continue;
      } else {
        ++q.metrics_.duplicate_deliveries;
        duplicate = true;
      }
      q.deliver(e.slot, vis, out);
      ++got;
      // A receipt from the visible state may be followed by one duplicate (not a duplicate's).
      if (!duplicate && model.duplicate_rate > 0 && q.rng_.bernoulli(model.duplicate_rate)) {
        s.ghost = true; // delivered once more by a later receive, while still in flight (at-least-once)
        ready_.push_back({e.slot, s.epoch});
        ++deferred;
      }
    }
    return got;
  }

  /// Adds what a trace event of message `m` says beyond its id (nothing, here).
  template <class Message>
  void trace_fields(const Message&, std::vector<trace_field>&) const noexcept {}

private:
  struct ready_entry {
    std::uint32_t slot;
    std::uint32_t epoch;
  };
  ring<ready_entry> ready_; // visible messages (and pending duplicates), oldest first
};

} // namespace esm::detail
