#pragma once
/// \file esm/sources/detail/sqs_fifo_delivery.hpp
/// Internal: how a FIFO queue delivers (spec §3.6). Every message belongs to a message group; a
/// group is locked while any of its messages is in flight; a receive scans the first 20,000
/// stored messages in sequence order and takes a message when its group is not locked by another
/// receive and no earlier message of the group was passed over, so each group is delivered in
/// order. A send needs a group id and a deduplication id (given, or the SHA-256 of the body with
/// content-based deduplication); a deduplication id is remembered for 5 minutes
/// (`detail::sqs_dedup_window`). The members mirror `detail::sqs_standard_delivery`'s.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/core/source_kind.hpp>
#include <esm/core/time.hpp>
#include <esm/core/trace.hpp>
#include <esm/detail/ring.hpp>
#include <esm/detail/sha256.hpp>
#include <esm/sources/detail/sqs_dedup_window.hpp>
#include <esm/sources/detail/sqs_slot.hpp>
#include <esm/sources/sqs_config.hpp>
#include <esm/sources/sqs_message.hpp>

namespace esm::detail {

/// The message groups of a FIFO queue: per group, its visible and in-flight messages, and how
/// many groups are available (a stored visible message, none in flight).
class sqs_fifo_groups {
public:
  /// One message group.
  struct group {
    std::uint32_t in_flight = 0;  ///< its messages in flight
    std::uint32_t visible = 0;    ///< its messages visible
    std::uint64_t taken_in = 0;   ///< the receive that last took from it
    std::uint64_t blocked_in = 0; ///< the receive whose scan passed a message of it that it could not take
  };

  /// The index of group `id`, created on first use.
  std::uint32_t of(const std::string& id) {
    const auto [it, inserted] = index_.try_emplace(id, static_cast<std::uint32_t>(groups_.size()));
    if (inserted) groups_.emplace_back();
    return it->second;
  }
  /// Group `g`.
  [[nodiscard]] group& operator[](std::uint32_t g) noexcept { return groups_[g]; }
  /// A message of group `g` moved from `from` to `to`; true when the group became available.
  bool transition(std::uint32_t g, sqs_slot_state from, sqs_slot_state to) noexcept {
    group& x = groups_[g];
    const bool was = available(x);
    if (from == sqs_slot_state::in_flight) --x.in_flight;
    if (to == sqs_slot_state::in_flight) ++x.in_flight;
    if (from == sqs_slot_state::visible) --x.visible;
    if (to == sqs_slot_state::visible) ++x.visible;
    const bool is = available(x);
    if (is && !was) ++available_;
    if (!is && was) --available_;
    return is && !was;
  }
  /// Groups a receive could take from now.
  [[nodiscard]] std::size_t available() const noexcept { return available_; }
  /// Groups ever used.
  [[nodiscard]] std::size_t size() const noexcept { return groups_.size(); }

private:
  static bool available(const group& g) noexcept { return g.in_flight == 0 && g.visible > 0; }

  std::vector<group> groups_;
  std::unordered_map<std::string, std::uint32_t> index_;
  std::size_t available_ = 0;
};

/// The delivery discipline of a FIFO queue.
class sqs_fifo_delivery {
public:
  using config_type = sqs_fifo_queue_config;                     ///< the queue's settings
  static constexpr source_kind kind = source_kind::sqs_fifo;     ///< for policies
  static constexpr std::size_t in_flight_limit = 20'000;        ///< in-flight messages at most
  static constexpr std::size_t scan_limit = 20'000;             ///< messages a receive looks through
  static constexpr std::string_view component_prefix = "sqs_fifo/"; ///< of trace components
  static constexpr bool per_message_delay = false; ///< FIFO queues have a queue-level delay only

  /// Send: checks the group id and the deduplication id (given, or the body's SHA-256 with
  /// content-based deduplication) and puts the latter in `dedup`. Returns the first send's result
  /// when the id was seen within the deduplication interval (the message is not stored).
  template <class Q, class Body>
  std::optional<send_result> admit(Q& q, const Body& body, const send_options& opts, std::string& dedup) {
    if (opts.group_id.empty() || opts.group_id.size() > 128) {
      throw input_error(q.where() + ": a FIFO message needs a group id of 1-128 characters, got " +
                        std::to_string(opts.group_id.size()));
    }
    if (opts.deduplication_id) {
      if (opts.deduplication_id->empty() || opts.deduplication_id->size() > 128) {
        throw input_error(q.where() + ": a deduplication id must be 1-128 characters, got " +
                          std::to_string(opts.deduplication_id->size()));
      }
      dedup = *opts.deduplication_id;
    } else if (q.cfg_.content_based_deduplication) {
      if constexpr (sqs_hashable_body<Body>) {
        std::string scratch;
        dedup = to_hex(sha256(sqs_content_bytes(body, scratch)));
      } else {
        throw usage_error(q.where() +
                          ": content-based deduplication of a body that is not bytes"); // refused at construction
      }
    } else {
      throw input_error(q.where() + ": a FIFO send needs a deduplication id when content-based deduplication is off");
    }
    if (const auto* seen = dedup_.find(dedup, q.sim_.now())) {
      ++q.metrics_.deduplicated;
      q.trace("deduplicated", {{"deduplication_id", std::string_view{dedup}}});
      return send_result{seen->message_id, seen->sequence, true};
    }
    return std::nullopt;
  }
  /// Send: the message in `s` has been stored; its deduplication id is remembered from `now`.
  template <class Body>
  void on_stored(sqs_slot<Body>& s, send_options& opts, std::string&& dedup, time_point now) {
    auto& m = s.msg;
    m.group_id = std::move(opts.group_id);
    m.deduplication_id = dedup;
    s.group = groups_.of(m.group_id);
    dedup_.remember(std::move(dedup), {message_id_text{m.id_chars}, m.sequence}, now);
  }
  /// A message redriven from a source queue has been stored in `s`: it joins its group here.
  template <class Body>
  void on_redriven(sqs_slot<Body>& s) {
    s.group = groups_.of(s.msg.group_id);
  }
  /// A message of group `g` changed state; true when its group became available.
  bool on_transition(std::uint32_t g, sqs_slot_state from, sqs_slot_state to) noexcept {
    return groups_.transition(g, from, to);
  }
  /// A message became visible (the order scan finds it; nothing to queue).
  void on_visible(std::uint32_t, std::uint32_t) noexcept {}
  /// A stored message was removed: its entry in the queue's order ring is now dead.
  void on_removed() noexcept { ++dead_; }
  /// A dead entry of the order ring was dropped.
  void on_dead_entry_dropped() noexcept {
    if (dead_ > 0) --dead_;
  }

  /// True when a receive now could return a message: a group is available.
  template <class Q>
  bool receivable(Q&) const noexcept {
    return groups_.available() > 0;
  }
  /// Message groups with a stored message and none in flight.
  template <class Q>
  std::size_t available(const Q&) const noexcept {
    return groups_.available();
  }

  /// Receives up to `max` messages with visibility timeout `vis` into `out`; returns how many.
  template <class Q>
  std::size_t receive(Q& q, std::vector<receipt_handle>& out, std::size_t max, duration vis) {
    const time_point now = q.sim_.now();
    maybe_compact(q);
    const std::uint64_t receive_id = ++receive_serial_;
    std::size_t got = 0;
    std::size_t scanned = 0;
    // In sequence order, through the first 20,000 stored messages (spec §3.6): a message is taken
    // when its group is not locked by another receive and no earlier message of its group was
    // passed over in this scan, so each group is delivered in order.
    if (groups_.available() == 0) return 0;
    for (std::size_t k = 0; k < q.order_.size() && got < max && scanned < scan_limit; ++k) {
      const auto e = q.order_[k];
      auto& s = q.slots_[e.slot];
      if (s.state == sqs_slot_state::free || s.msg.sequence != e.sequence) continue;
      ++scanned;
      auto& g = groups_[s.group];
      if (g.blocked_in == receive_id) continue;
      if (g.in_flight > 0 && g.taken_in != receive_id) continue;
      if (s.state != sqs_slot_state::visible) {
        g.blocked_in = receive_id; // delayed (or in flight): later messages of the group wait
        continue;
      }
      if (q.expired(s, now)) {
        q.expire(e.slot);
        continue;
      }
      if (q.redrive_if_due(e.slot)) continue; // redrive ends ordering for that message (spec §3.6)
      g.taken_in = receive_id;
      q.deliver(e.slot, vis, out);
      ++got;
    }
    return got;
  }

  /// Adds the message's group to a trace event.
  template <class Message>
  void trace_fields(const Message& m, std::vector<trace_field>& fields) const {
    fields.emplace_back("group", std::string_view{m.group_id});
  }

private:
  // Drops the order ring's dead entries when they outnumber the live ones.
  template <class Q>
  void maybe_compact(Q& q) {
    if (dead_ < 1024 || dead_ < q.size()) return;
    decltype(q.order_) fresh;
    for (std::size_t k = 0; k < q.order_.size(); ++k) {
      const auto e = q.order_[k];
      const auto& s = q.slots_[e.slot];
      if (s.state != sqs_slot_state::free && s.msg.sequence == e.sequence) fresh.push_back(e);
    }
    q.order_ = std::move(fresh);
    dead_ = 0;
  }

  sqs_fifo_groups groups_;
  sqs_dedup_window dedup_;
  std::size_t dead_ = 0; // dead entries inside the queue's order ring
  std::uint64_t receive_serial_ = 0;
};

} // namespace esm::detail
