#pragma once
/// \file esm/sources/sqs_queue.hpp
/// SQS queues (spec §3, §8): `esm::sqs_queue<Body>` (standard) and, in sqs_fifo_queue.hpp,
/// `esm::sqs_fifo_queue<Body>`. Both are `esm::basic_sqs_queue<Body, Fifo>`:
/// visibility timeouts, per-message and queue delays, retention, the maximum message size,
/// message attributes, `ApproximateReceiveCount`, `SentTimestamp`,
/// `ApproximateFirstReceiveTimestamp`, deterministic message ids and receipt handles, receive of
/// 1–10 messages (immediate, or long-polled up to 20 s), delete by receipt handle,
/// `change_visibility`, a redrive policy to a dead-letter queue of the same kind, and the
/// in-flight limit. Standard queues can model at-least-once delivery and best-effort order
/// (seeded duplicates and reordering, off by default); FIFO queues deliver each message group in
/// order, lock a group while any of its messages is in flight, and deduplicate for 5 minutes.
///
/// Usable without a poller:
/// ```cpp
/// esm::simulation sim;
/// esm::sqs_queue<std::string> q{sim, {.name = "orders"}};
/// q.send("hello");
/// for (auto& m : q.receive(10)) q.delete_message(m.receipt);
/// ```

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/core/random.hpp>
#include <esm/core/simulation.hpp>
#include <esm/core/source_kind.hpp>
#include <esm/core/time.hpp>
#include <esm/core/trace.hpp>
#include <esm/detail/chunked_vector.hpp>
#include <esm/detail/ring.hpp>
#include <esm/detail/uuid.hpp>
#include <esm/sources/detail/sqs_fifo_delivery.hpp>
#include <esm/sources/detail/sqs_redrive.hpp>
#include <esm/sources/detail/sqs_slot.hpp>
#include <esm/sources/detail/sqs_standard_delivery.hpp>
#include <esm/sources/detail/sqs_visibility_clock.hpp>
#include <esm/sources/detail/sqs_waiters.hpp>
#include <esm/sources/event_size.hpp>
#include <esm/sources/sqs_config.hpp>
#include <esm/sources/sqs_message.hpp>

namespace esm {

/// An SQS queue of messages carrying `Body`; `Fifo` selects a FIFO queue. Use the aliases
/// `esm::sqs_queue<Body>` and `esm::sqs_fifo_queue<Body>`. Not thread-safe; not copyable.
///
/// Composed of its storage (slots, their state counts, the order ring, retention), the redrive
/// link (`detail::sqs_redrive`), a visibility clock (`detail::sqs_visibility_clock`), the long
/// polls (`detail::sqs_waiters`) and a delivery
/// discipline — `detail::sqs_standard_delivery` or `detail::sqs_fifo_delivery` — which owns what
/// differs between the two kinds: ready queue and at-least-once model, or message groups,
/// deduplication window and the ordered scan.
template <class Body, bool Fifo>
class basic_sqs_queue {
  using delivery_type = std::conditional_t<Fifo, detail::sqs_fifo_delivery, detail::sqs_standard_delivery>;

public:
  using body_type = Body;                                        ///< the message body type
  using message_type = sqs_message<Body>;                        ///< what the queue stores
  using config_type = typename delivery_type::config_type;      ///< settings
  static constexpr source_kind kind = delivery_type::kind;       ///< for policies
  static constexpr bool is_fifo = Fifo;                          ///< a FIFO queue

  static_assert(std::is_default_constructible_v<Body> && std::is_move_constructible_v<Body> &&
                    std::is_move_assignable_v<Body>,
                "esm::sqs_queue: the body type must be default-constructible and movable");

  /// In-flight messages at most (received, not deleted, not visible again): about 120,000 for
  /// a standard queue, 20,000 for a FIFO queue; beyond it a receive returns nothing.
  static constexpr std::size_t in_flight_limit = delivery_type::in_flight_limit;
  /// Messages per `ReceiveMessage` at most.
  static constexpr int max_receive = 10;
  /// Longest long-poll wait (`WaitTimeSeconds`).
  static constexpr duration max_wait = std::chrono::seconds{20};
  /// FIFO: how long a deduplication id is remembered.
  static constexpr duration deduplication_interval = detail::sqs_dedup_window::interval;
  /// FIFO: how many messages a receive looks through for available message groups.
  static constexpr std::size_t fifo_scan_limit = detail::sqs_fifo_delivery::scan_limit;
  /// Message attributes per message at most.
  static constexpr std::size_t max_attributes = 10;

  /// A queue on `sim`. Throws `config_error` for a setting outside AWS's range.
  basic_sqs_queue(simulation& sim, config_type cfg)
      : sim_(sim), cfg_(std::move(cfg)), component_(std::string{delivery_type::component_prefix} + cfg_.name),
        rng_(sim_.rng(component_)) {
    cfg_.validate();
    if constexpr (Fifo && !sqs_hashable_body<Body>) {
      if (cfg_.content_based_deduplication) {
        throw config_error("content_based_deduplication",
                           "false for a body that is not text or bytes (give each send a deduplication_id, or "
                           "specialize esm::sqs_body_bytes for the body type)",
                           "true", where());
      }
    }
    // The queue's tag (in receipt handles) and the salt of its message ids, from the seed.
    random_stream salt = sim_.rng(component_ + "/ids");
    tag_ = static_cast<std::uint32_t>(salt());
    id_salt_ = salt();
  }
  /// A queue with default settings and the given name. (A template, so that a braced
  /// configuration `{.name = ..., ...}` always selects the constructor above.)
  template <class Name>
  requires std::convertible_to<const Name&, std::string_view> basic_sqs_queue(simulation& sim, const Name& name)
      : basic_sqs_queue(sim, config_type{.name = std::string{std::string_view{name}}}) {}
  basic_sqs_queue(const basic_sqs_queue&) = delete;
  basic_sqs_queue& operator=(const basic_sqs_queue&) = delete;
  /// Tells the listeners (pollers: they stop, their mappings become `Disabled`), then cancels
  /// the queue's timers; then the redrive policies naming it end (fidelity Q20).
  ~basic_sqs_queue() {
    const auto listeners = std::move(listeners_);
    listeners_.clear();
    for (queue_listener* l : listeners) l->on_source_destroyed();
    clock_.disarm(sim_);
    waiters_.cancel_all(sim_);
  }

  /// The settings.
  [[nodiscard]] const config_type& config() const noexcept { return cfg_; }
  /// `QueueName`.
  [[nodiscard]] const std::string& name() const noexcept { return cfg_.name; }
  /// The queue's ARN (`eventSourceARN`).
  [[nodiscard]] std::string arn() const { return "arn:aws:sqs:us-east-1:123456789012:" + cfg_.name; }
  /// The simulation it lives on.
  [[nodiscard]] simulation& sim() const noexcept { return sim_; }
  /// Counters.
  [[nodiscard]] const sqs_queue_metrics& metrics() const noexcept { return metrics_; }

  /// Messages stored: visible, delayed or in flight.
  [[nodiscard]] std::size_t size() const noexcept { return counts_.total(); }
  /// `ApproximateNumberOfMessagesVisible` (before retention and redrive run on them).
  [[nodiscard]] std::size_t approximate_number_of_messages() const noexcept { return counts_.visible; }
  /// `ApproximateNumberOfMessagesNotVisible`: in flight.
  [[nodiscard]] std::size_t approximate_number_of_messages_not_visible() const noexcept { return counts_.in_flight; }
  /// `ApproximateNumberOfMessagesDelayed`.
  [[nodiscard]] std::size_t approximate_number_of_messages_delayed() const noexcept { return counts_.delayed; }
  /// `ApproximateAgeOfOldestMessage`: age of the oldest message stored (0 when empty).
  [[nodiscard]] duration approximate_age_of_oldest_message() {
    trim();
    if (order_.empty()) return duration::zero();
    return sim_.now() - slots_[order_.front().slot].enqueued;
  }

  // --- redrive --------------------------------------------------------------------------------

  /// Sets the redrive policy (`RedrivePolicy`): a message received `max_receive_count` times
  /// moves to `dlq` instead of being received again. `max_receive_count` in [1, 1000]. The DLQ has
  /// this queue's type (a FIFO queue's DLQ is FIFO) and must not be this queue. Destroying the
  /// DLQ first ends the policy: messages past the count stay here and are received again
  /// (AWS does not say; fidelity Q20).
  void set_redrive_policy(basic_sqs_queue& dlq, int max_receive_count) {
    detail::check_range("max_receive_count", max_receive_count, 1, 1000, where());
    if (&dlq == this) throw config_error("dead_letter_queue", "another queue", "the queue itself", where());
    redrive_.set(dlq.redrive_, max_receive_count);
  }
  /// Removes the redrive policy.
  void clear_redrive_policy() noexcept { redrive_.clear(); }
  /// The dead-letter queue, or nullptr.
  [[nodiscard]] basic_sqs_queue* dead_letter_queue() const noexcept { return redrive_.dlq(); }
  /// The redrive policy's `maxReceiveCount` (meaningful with a dead-letter queue).
  [[nodiscard]] int max_receive_count() const noexcept { return redrive_.max_receive_count(); }

  // --- send -----------------------------------------------------------------------------------

  /// Sends a message (`SendMessage`). Throws `input_error` when the message is larger than the
  /// queue's maximum size, has more than 10 attributes or an unnamed one, has a delay outside
  /// [0s, 900s] (or any per-message delay on a FIFO queue), or, on a FIFO queue, lacks a group id
  /// (1–128 characters) or a deduplication id without content-based deduplication.
  send_result send(Body body, send_options opts = {}) {
    detail::check_send(body, opts, max_attributes, cfg_.maximum_message_size, [this] { return where(); });
    duration delay = cfg_.delay;
    if (opts.delay) {
      if (!delivery_type::per_message_delay) {
        throw input_error(where() + ": a per-message delay is not supported on FIFO queues; set the queue's delay");
      }
      delay = *opts.delay;
      if (delay < duration::zero() || delay > std::chrono::seconds{900} ||
          delay % std::chrono::seconds{1} != duration::zero()) {
        throw input_error(where() + ": delay must be a whole number of seconds in [0s, 900s], got " +
                          esm::to_string(delay));
      }
    }
    std::string dedup;
    if (auto answered = delivery_.admit(*this, body, opts, dedup)) return *answered;
    trim();
    const std::uint32_t i = allocate_slot();
    slot& s = slots_[i];
    message_type& m = s.msg;
    m.body = std::move(body);
    m.attributes = std::move(opts.attributes);
    m.sent = sim_.now();
    m.first_received.reset();
    m.receive_count = 0;
    m.sequence = ++sequence_;
    m.receipt = receipt_handle{tag_, i, s.generation, 0};
    detail::format_message_id(id_salt_, m.sequence, m.id_chars);
    delivery_.on_stored(s, opts, std::move(dedup), sim_.now());
    m.content_event_bytes = 0;
    m.content_event_bytes = event_size<basic_sqs_queue>::content(m); // once, not per receive
    s.enqueued = sim_.now();
    ++metrics_.sent;
    order_.push_back({i, m.sequence});
    trace_message("send", s);
    if (delay > duration::zero()) {
      set_state(i, slot_state::delayed);
      expire_at(i, saturating_add(sim_.now(), delay));
    } else {
      make_visible(i);
      notify();
    }
    return {message_id_text{m.id_chars}, m.sequence, false};
  }

  // --- receive --------------------------------------------------------------------------------

  /// Receives up to `max` (1–10) messages now (`ReceiveMessage` with no wait): each becomes
  /// invisible for the visibility timeout, its receive count rises, and it carries a new receipt
  /// handle. Returns copies. Throws `input_error` for `max` outside [1, 10] or a visibility timeout
  /// outside [0s, 12h].
  std::vector<message_type> receive(int max = 1, receive_options opts = {}) {
    detail::check_receive(max, opts, [this] { return where(); });
    receipts_scratch_.clear();
    receive_handles(receipts_scratch_, max, opts.visibility_timeout);
    std::vector<message_type> out;
    out.reserve(receipts_scratch_.size());
    for (const auto r : receipts_scratch_) out.push_back(slots_[r.slot].msg);
    return out;
  }

  /// Long-polls (`ReceiveMessage` with `WaitTimeSeconds`): calls `done(messages)` as soon as
  /// messages can be received, or with none once `wait` (0s–20s; unset: the queue's
  /// `receive_wait`) has passed. `done` runs from the event loop, never inside this call.
  void receive_async(int max, std::function<void(std::vector<message_type>)> done, std::optional<duration> wait = {},
                     receive_options opts = {}) {
    detail::check_receive(max, opts, [this] { return where(); });
    const duration w = wait.value_or(cfg_.receive_wait);
    if (w < duration::zero() || w > max_wait) {
      throw input_error(where() + ": wait must be in [0s, 20s], got " + esm::to_string(w));
    }
    waiters_.add(sim_, max, opts, std::move(done), w, [this](std::uint64_t id, bool timed_out) { serve_waiter(id, timed_out); });
    if (receivable_now()) schedule_waiters();
  }

  /// Low level (pollers): receives up to `max` (1–10) messages now and appends their receipts to
  /// `out`; returns how many. `visibility` overrides the queue's visibility timeout. Does not
  /// validate its arguments.
  std::size_t receive_handles(std::vector<receipt_handle>& out, int max, std::optional<duration> visibility = {}) {
    const time_point now = sim_.now();
    ++metrics_.receive_calls;
    release_due(now);
    trim();
    if (counts_.in_flight >= in_flight_limit) {
      ++metrics_.over_limit_receives;
      trace("over_limit", {{"in_flight", counts_.in_flight}});
      return 0;
    }
    const duration vis = visibility.value_or(cfg_.visibility_timeout);
    const std::size_t got = delivery_.receive(*this, out, static_cast<std::size_t>(max), vis);
    if (got == 0) ++metrics_.empty_receives;
    return got;
  }

  /// The message a receipt names while it is the message's most recent receipt; else nullptr.
  [[nodiscard]] const message_type* message(receipt_handle r) const noexcept {
    const slot* s = current(r);
    return s == nullptr ? nullptr : &s->msg;
  }
  /// True when `r` is the most recent receipt of a stored message (it can delete it).
  [[nodiscard]] bool is_current(receipt_handle r) const noexcept { return current(r) != nullptr; }

  // --- delete and visibility ------------------------------------------------------------------

  /// Deletes a message by receipt handle (`DeleteMessage`). A handle whose message is gone
  /// (deleted — a repeated delete —, expired or moved to the DLQ) is accepted and does nothing, as
  /// SQS's delete is idempotent. Throws `input_error` for a malformed handle, one of another queue,
  /// or a stale one (the message is still stored but was received again since).
  void delete_message(receipt_handle r) {
    if (r.queue_tag != tag_) throw input_error(where() + ": receipt handle of another queue: " + r.text());
    if (try_delete(r) == delete_status::stale_handle) {
      throw input_error(where() + ": stale receipt handle " + r.text() +
                        " (the message was received again since)");
    }
  }
  /// Deletes a message by the text of its receipt handle.
  void delete_message(std::string_view handle) { delete_message(detail::parse_handle(handle, [this] { return where(); })); }

  /// Deletes without throwing (pollers): says what happened.
  delete_status try_delete(receipt_handle r) {
    if (r.queue_tag != tag_ || r.slot >= slots_.size() || r.receive == 0) return delete_status::stale_handle;
    slot& s = slots_[r.slot];
    if (s.state != slot_state::free && s.msg.receipt == r) {
      ++metrics_.deleted;
      trace_message("delete", s);
      remove(r.slot);
      return delete_status::deleted;
    }
    if (r.generation < s.generation) return delete_status::already_deleted; // its message is gone
    return delete_status::stale_handle;
  }

  /// Changes the visibility timeout of an in-flight message (`ChangeMessageVisibility`): it
  /// becomes visible `timeout` (0s–12h) from now. Throws `input_error` for a stale handle, a
  /// message not in flight, or a timeout out of range.
  void change_visibility(receipt_handle r, duration timeout) {
    detail::check_visibility(timeout, [this] { return where(); });
    if (!try_change_visibility(r, timeout)) {
      throw input_error(where() + ": receipt handle " + r.text() + " does not name an in-flight message");
    }
  }
  /// Changes visibility by the text of a receipt handle.
  void change_visibility(std::string_view handle, duration timeout) {
    change_visibility(detail::parse_handle(handle, [this] { return where(); }), timeout);
  }
  /// Changes visibility without throwing (pollers); false when the handle is stale or the
  /// message not in flight. `timeout` must be in [0s, 12h].
  bool try_change_visibility(receipt_handle r, duration timeout) {
    release_due(sim_.now()); // a message whose timeout ran out at this instant is no longer in flight
    slot* s = current_mut(r);
    if (s == nullptr || s->state != slot_state::in_flight) return false;
    expire_at(r.slot, saturating_add(sim_.now(), timeout));
    trace_message("change_visibility", *s, {{"timeout", timeout}});
    if (timeout == duration::zero()) release_due(sim_.now());
    return true;
  }

  // --- listeners (pollers) ---------------------------------------------------------------------

  /// Registers a listener, told when messages may have become receivable.
  void add_listener(queue_listener* l) { listeners_.push_back(l); }
  /// Unregisters a listener.
  void remove_listener(queue_listener* l) noexcept { std::erase(listeners_, l); }
  /// True when a receive now could return a message (visible messages exist and, on a FIFO
  /// queue, one of them heads an unlocked group). Cheap upper bound for standard queues.
  [[nodiscard]] bool receivable_now() {
    release_due(sim_.now());
    return delivery_.receivable(*this);
  }
  /// FIFO: message groups with a stored message and none in flight ("active" groups a poller can
  /// receive from). Standard queues: visible messages.
  [[nodiscard]] std::size_t available_groups() const noexcept { return delivery_.available(*this); }

  /// Moves a message received from a source queue's redrive into this queue (keeps its id,
  /// body, attributes, sent time and receive count). Used by the source queue.
  void accept_redriven(message_type&& m) {
    trim();
    const std::uint32_t i = allocate_slot();
    slot& s = slots_[i];
    const std::uint64_t seq = ++sequence_;
    s.msg = std::move(m);
    s.msg.sequence = seq;
    s.msg.receipt = receipt_handle{tag_, i, s.generation, 0};
    s.enqueued = sim_.now(); // retention in the DLQ counts from the move (FIFO resets it; see fidelity.md)
    delivery_.on_redriven(s);
    ++metrics_.redriven_in;
    order_.push_back({i, seq});
    trace_message("redriven_in", s);
    make_visible(i);
    notify();
  }

private:
  friend detail::sqs_standard_delivery;
  friend detail::sqs_fifo_delivery;
  using slot_state = detail::sqs_slot_state;
  using slot = detail::sqs_slot<Body>;
  static constexpr std::uint32_t npos = detail::sqs_no_slot;

  using order_entry = detail::sqs_order_entry;

  std::string where() const { return std::string{to_string(kind)} + " '" + cfg_.name + "'"; }

  // --- slots ----------------------------------------------------------------------------------
  std::uint32_t allocate_slot() {
    if (free_ != npos) {
      const std::uint32_t i = free_;
      free_ = slots_[i].next_free;
      return i;
    }
    slots_.emplace_back();
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }

  const slot* current(receipt_handle r) const noexcept {
    if (r.queue_tag != tag_ || r.slot >= slots_.size() || r.receive == 0) return nullptr;
    const slot& s = slots_[r.slot];
    return s.state != slot_state::free && s.msg.receipt == r ? &s : nullptr;
  }
  slot* current_mut(receipt_handle r) noexcept { return const_cast<slot*>(current(r)); }

  // Moves slot i to `to`, keeping the counters; true when a FIFO group became available.
  bool set_state(std::uint32_t i, slot_state to) noexcept {
    slot& s = slots_[i];
    const slot_state from = s.state;
    if (from == to) return false;
    counts_.move(from, to);
    s.state = to;
    return delivery_.on_transition(s.group, from, to);
  }

  // Removes a stored message (deleted, expired or redriven) and frees its slot.
  void remove(std::uint32_t i) {
    slot& s = slots_[i];
    if (s.state == slot_state::free) return;
    const bool had_expiry = s.state == slot_state::in_flight || s.state == slot_state::delayed;
    ++s.expiry_serial;
    const bool unlocked = set_state(i, slot_state::free);
    delivery_.on_removed();
    ++s.generation; // every receipt of the removed message now names a message that is gone
    s.msg.body = Body{};
    s.msg.attributes.clear();
    s.ghost = false;
    ++s.epoch;
    s.next_free = free_;
    free_ = i;
    if (had_expiry) settle_timer();
    if (unlocked) notify(); // the FIFO group's next message can be received now
  }

  // A stored message becomes receivable.
  void make_visible(std::uint32_t i) {
    slot& s = slots_[i];
    set_state(i, slot_state::visible);
    s.ghost = false;
    ++s.expiry_serial;
    ++s.epoch;
    delivery_.on_visible(i, s.epoch);
  }

  // --- receive paths --------------------------------------------------------------------------
  void deliver(std::uint32_t i, duration vis, std::vector<receipt_handle>& out) {
    slot& s = slots_[i];
    const time_point now = sim_.now();
    set_state(i, slot_state::in_flight);
    s.ghost = false;
    message_type& m = s.msg;
    ++m.receive_count;
    if (!m.first_received) m.first_received = now;
    m.receipt = receipt_handle{tag_, i, s.generation, static_cast<std::uint32_t>(m.receive_count)};
    expire_at(i, saturating_add(now, vis));
    ++metrics_.received;
    out.push_back(m.receipt);
    trace_message("receive", s, {{"receive_count", m.receive_count}});
  }

  // Whether a message about to be received must move to the dead-letter queue instead.
  bool redrive_if_due(std::uint32_t i) {
    if (!redrive_.due(slots_[i].msg.receive_count)) return false;
    slot& s = slots_[i];
    ++metrics_.redriven_out;
    trace_message("redrive", s, {{"receive_count", s.msg.receive_count}});
    message_type moved = std::move(s.msg);
    s.msg = message_type{};
    s.msg.receipt = moved.receipt;
    remove(i);
    redrive_.dlq()->accept_redriven(std::move(moved));
    return true;
  }

  bool expired(const slot& s, time_point now) const noexcept { return now - s.enqueued >= cfg_.retention; }

  // --- retention ------------------------------------------------------------------------------
  void expire(std::uint32_t i) {
    ++metrics_.expired;
    trace_message("expire", slots_[i]);
    remove(i);
  }
  // Removes expired messages from the front (oldest first) and dead entries of the order ring.
  void trim() {
    const time_point now = sim_.now();
    while (!order_.empty()) {
      const order_entry e = order_.front();
      const slot& s = slots_[e.slot];
      if (s.state == slot_state::free || s.msg.sequence != e.sequence) {
        order_.pop_front();
        delivery_.on_dead_entry_dropped();
        continue;
      }
      if (!expired(s, now)) break;
      expire(e.slot); // leaves a dead entry, popped next round
    }
  }

  // --- visibility clock ----------------------------------------------------------------------
  // An expiry is valid while its slot's serial is unchanged and the message is still delayed or
  // in flight.
  [[nodiscard]] auto expiry_valid() const noexcept {
    return [this](const detail::sqs_expiry& e) {
      const slot& s = slots_[e.slot];
      return s.expiry_serial == e.serial && (s.state == slot_state::in_flight || s.state == slot_state::delayed);
    };
  }
  // The slot turns visible at `at` (any earlier expiry of it is void).
  void expire_at(std::uint32_t i, time_point at) {
    slot& s = slots_[i];
    clock_.push({at, s.msg.sequence, i, ++s.expiry_serial},
                s.state == slot_state::in_flight && at - sim_.now() == cfg_.visibility_timeout);
    if (at < clock_.armed_at()) arm(at);
  }
  // Keeps one simulation event at the earliest expiry.
  void arm(time_point t) {
    clock_.arm(sim_, t, [this] { release_due(sim_.now()); });
  }
  // After a removal: drop what became stale, and the timer when nothing is left to release.
  void settle_timer() {
    if (clock_.armed_at() == time_point::max()) return;
    if (clock_.earliest_time(expiry_valid()) == time_point::max()) clock_.disarm(sim_);
  }

  // Makes every delayed or in-flight message whose time has come visible; tells listeners.
  void release_due(time_point now) {
    bool any = false;
    const auto valid = expiry_valid();
    while (const auto e = clock_.pop_due(now, valid)) {
      slot& s = slots_[e->slot];
      if (s.state == slot_state::in_flight) {
        ++metrics_.returned;
        trace_message("return", s, {{"receive_count", s.msg.receive_count}});
      }
      make_visible(e->slot);
      any = true;
    }
    const time_point next = clock_.earliest_time(valid);
    const time_point armed = clock_.armed_at();
    if (next != armed && (next < armed || armed <= now)) arm(next);
    if (any) notify();
  }

  void notify() {
    if (listeners_.size() == 1) {
      listeners_.front()->on_messages_available();
    } else if (!listeners_.empty()) {
      const auto copy = listeners_; // a listener may unregister itself (or another) while told
      for (auto* l : copy) l->on_messages_available();
    }
    schedule_waiters();
  }

  // --- long polling ---------------------------------------------------------------------------
  void schedule_waiters() {
    waiters_.request_pass(
        sim_, [this] { return receivable_now(); }, [this](std::uint64_t id, bool timed_out) { serve_waiter(id, timed_out); });
  }
  void serve_waiter(std::uint64_t id, bool timed_out) {
    if (auto w = waiters_.take(sim_, id, timed_out)) w->done(receive(w->max, w->opts));
  }

  // --- ids and trace --------------------------------------------------------------------------
  void trace(std::string_view what, std::initializer_list<trace_field> fields) {
    auto& tr = sim_.trace();
    if (!tr.active()) return;
    tr.emit(sim_.now(), component_, what, [&] { return std::span<const trace_field>{fields.begin(), fields.size()}; });
  }
  void trace_message(std::string_view what, const slot& s, std::initializer_list<trace_field> extra = {}) {
    auto& tr = sim_.trace();
    if (!tr.active()) return;
    std::vector<trace_field> fields;
    fields.reserve(extra.size() + 2);
    fields.emplace_back("message_id", s.msg.message_id());
    delivery_.trace_fields(s.msg, fields);
    fields.insert(fields.end(), extra.begin(), extra.end());
    tr.emit(sim_.now(), component_, what, [&] { return std::span<const trace_field>{fields}; });
  }

  simulation& sim_;
  config_type cfg_;
  std::string component_;
  random_stream rng_;
  std::uint32_t tag_ = 0;
  std::uint64_t id_salt_ = 0;
  detail::chunked_vector<slot> slots_; // chunks: a message stays put while a handler sends more
  std::uint32_t free_ = npos;
  detail::ring<order_entry> order_;        // every stored message in sequence order (retention; FIFO scan)
  detail::sqs_visibility_clock clock_;     // when delayed and in-flight messages turn visible
  std::uint64_t sequence_ = 0;
  detail::sqs_state_counts counts_;                     // messages visible, delayed, in flight
  detail::sqs_redrive<basic_sqs_queue> redrive_{*this}; // RedrivePolicy, and the policies naming this queue
  delivery_type delivery_; // what differs between standard and FIFO queues
  std::vector<queue_listener*> listeners_;
  detail::sqs_waiters<message_type> waiters_; // long polls
  std::vector<receipt_handle> receipts_scratch_;
  sqs_queue_metrics metrics_;
};

/// An SQS standard queue of messages carrying `Body` (at-least-once, best-effort order).
template <class Body>
using sqs_queue = basic_sqs_queue<Body, false>;

} // namespace esm

#include <esm/sources/detail/sqs_event_size.hpp> // esm::event_size<basic_sqs_queue>: with the queue, always
