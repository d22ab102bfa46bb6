#pragma once
/// \file esm/testing/recorder.hpp
/// `esm::testing::recorder`: keeps every invocation of the handlers it wraps — when it started
/// and ended, its request id and attempt, the records or messages it received, how it ended and
/// the partial batch response it returned — with one-line queries for tests:
///
/// ```cpp
/// esm::testing::recorder rec{sim};
/// esm::queue_poller p{queue, fn, rec.wrap(my_handler)};
/// sim.run_until_idle();
/// CHECK(rec.deliveries(id) == 2);                 // at-least-once: delivered twice
/// CHECK(rec.invocations().back().kind == esm::outcome::success);
/// INFO(rec);                                       // a table of every invocation when a check fails
/// ```
///
/// What an item is: for a stream record (Kinesis, DynamoDB) its id is the sequence number as AWS
/// renders it and its key the ordering key (partition key, item key); for an SQS message its id
/// is the messageId and its key the MessageGroupId on a FIFO queue, else the messageId. A key
/// function given to `wrap` replaces the key (e.g. an order id read from the body).
///
/// The outcome comes from the function's `complete` trace event (so a timeout decided by the
/// function's duration model is seen as one); the recorder subscribes to the simulation's trace
/// while it lives. It allocates per record (it keeps ids and keys as strings); the handlers it
/// wraps add no other cost. Declare it after the simulation (it must be destroyed first) and
/// before the pollers that use its handlers (they must be destroyed before it). Not thread-safe.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/core/outcome.hpp>
#include <esm/core/simulation.hpp>
#include <esm/core/time.hpp>
#include <esm/core/trace.hpp>
#include <esm/lambda/handler.hpp>
#include <esm/testing/detail/items.hpp>

namespace esm::testing {

/// One record or message of a recorded invocation.
struct recorded_item {
  std::string id;             ///< stream: sequence number (`49…`, 56 digits); SQS: messageId
  std::string key;            ///< the key function's result; default: ordering key, FIFO group or messageId
  std::uint64_t sequence = 0; ///< stream: sequence number; SQS: order of sending in the queue
  int receive_count = 0;      ///< SQS `ApproximateReceiveCount` at this delivery; 0 for streams
};

/// One invocation of a wrapped handler, as the recorder saw it.
struct recorded_invocation {
  std::size_t index = 0;                  ///< position in `recorder::invocations()`
  time_point start{};                     ///< when the handler started (`ctx.start_time()`, after a cold start)
  std::optional<time_point> end{};        ///< when the outcome took effect; empty until then
  std::string request_id;                 ///< the invocation's request id
  int attempt = 1;                        ///< `ctx.attempt()` (streams: retry number + 1; SQS: throttle retries + 1)
  std::string source;                     ///< shard id (streams) or queue name (SQS)
  std::vector<recorded_item> items;       ///< the batch, in order
  std::optional<outcome> kind{};          ///< how it ended; empty until the function completed it
  std::string error_type;                 ///< the exception's type when the handler threw
  std::string error_message;              ///< the exception's `what()` when the handler threw
  std::optional<batch_response> response; ///< what a partial-batch handler returned

  /// True when the batch held the item with this id.
  [[nodiscard]] bool contains(std::string_view id) const noexcept {
    return std::any_of(items.begin(), items.end(), [&](const recorded_item& i) { return i.id == id; });
  }
};

/// Renders one invocation on one line:
/// `#3 t=30s..t=30.01s attempt=2 shardId-000000000000 [k1:1 k1:2] function_error (std::runtime_error: boom)`.
[[nodiscard]] inline std::string to_string(const recorded_invocation& inv) {
  std::string out = "#" + std::to_string(inv.index) + " " + esm::to_string(inv.start);
  out += inv.end ? ".." + esm::to_string(*inv.end) : std::string{"..(running)"};
  out += " attempt=" + std::to_string(inv.attempt) + " " + inv.source + " [";
  for (std::size_t i = 0; i < inv.items.size(); ++i) {
    const auto& it = inv.items[i];
    if (i > 0) out += ' ';
    out += it.key + ":" + std::to_string(it.sequence);
    if (it.receive_count > 0) out += "(rc=" + std::to_string(it.receive_count) + ")";
  }
  out += "] ";
  out += inv.kind ? std::string{esm::to_string(*inv.kind)} : std::string{"running"};
  if (!inv.error_type.empty()) out += " (" + inv.error_type + ": " + inv.error_message + ")";
  if (inv.response && !inv.response->empty()) {
    out += " failures=[";
    bool first = true;
    for (const auto& f : inv.response->batch_item_failures) {
      if (!first) out += ' ';
      first = false;
      out += f.item_identifier ? *f.item_identifier : std::string{"null"};
    }
    out += ']';
  }
  return out;
}

/// Keeps the invocations of the handlers made by `wrap`. Not copyable or movable (the wrapped
/// handlers point to it).
class recorder {
public:
  /// A recorder of invocations on `sim`; subscribes to its trace for outcomes.
  explicit recorder(simulation& sim)
      : sim_(sim), sub_(sim.trace().subscribe([this](const trace_event& e) { on_trace(e); })) {}
  ~recorder() { sim_.trace().unsubscribe(sub_); }
  recorder(const recorder&) = delete;
  recorder& operator=(const recorder&) = delete;

  /// The handler a poller is given: records each invocation, then calls `h` (with the context
  /// when `h` takes one) and returns what it returns. Records what `h` throws, then lets it
  /// propagate (the function turns it into a function error).
  template <class H>
  [[nodiscard]] auto wrap(H h) {
    return wrap(std::move(h), detail::default_key{});
  }
  /// As `wrap(h)`, with `key_of(item)` (a string or string_view) as each item's key.
  template <class H, class KeyOf>
  [[nodiscard]] auto wrap(H h, KeyOf key_of) {
    return handler_type<H, KeyOf>{this, std::move(h), std::move(key_of)};
  }

  /// Every invocation, in the order the handlers ran.
  [[nodiscard]] const std::vector<recorded_invocation>& invocations() const noexcept { return invocations_; }
  /// The `i`-th invocation. Throws `usage_error` when there is none.
  [[nodiscard]] const recorded_invocation& invocation(std::size_t i) const {
    if (i >= invocations_.size())
      throw usage_error("recorder: no invocation #" + std::to_string(i) + " (" + std::to_string(invocations_.size()) +
                        " recorded)");
    return invocations_[i];
  }
  /// Number of invocations recorded.
  [[nodiscard]] std::size_t size() const noexcept { return invocations_.size(); }
  /// Forgets every invocation (e.g. after a warm-up).
  void clear() noexcept {
    invocations_.clear();
    running_.clear();
  }

  /// How many times the item with this id (sequence number or messageId) was delivered.
  [[nodiscard]] std::size_t deliveries(std::string_view id) const noexcept {
    std::size_t n = 0;
    for (const auto& inv : invocations_)
      for (const auto& it : inv.items) n += it.id == id ? 1 : 0;
    return n;
  }
  /// The invocations whose batch held the item with this id, in order.
  [[nodiscard]] std::vector<const recorded_invocation*> invocations_of(std::string_view id) const {
    std::vector<const recorded_invocation*> out;
    for (const auto& inv : invocations_)
      if (inv.contains(id)) out.push_back(&inv);
    return out;
  }
  /// Every delivery of an item with this key, in order: (invocation, item).
  [[nodiscard]] std::vector<std::pair<const recorded_invocation*, const recorded_item*>>
  deliveries_of(std::string_view key) const {
    std::vector<std::pair<const recorded_invocation*, const recorded_item*>> out;
    for (const auto& inv : invocations_)
      for (const auto& it : inv.items)
        if (it.key == key) out.emplace_back(&inv, &it);
    return out;
  }
  /// The ids of this key's items in the order of their first delivery.
  [[nodiscard]] std::vector<std::string> order_of(std::string_view key) const {
    std::vector<std::string> out;
    for (const auto& inv : invocations_)
      for (const auto& it : inv.items)
        if (it.key == key && std::find(out.begin(), out.end(), it.id) == out.end()) out.push_back(it.id);
    return out;
  }
  /// The ids delivered more than once, in the order of their first delivery.
  [[nodiscard]] std::vector<std::string> redelivered() const {
    std::vector<std::string> order;
    std::unordered_map<std::string_view, std::size_t> seen;
    for (const auto& inv : invocations_)
      for (const auto& it : inv.items)
        if (++seen[it.id] == 2) order.push_back(it.id);
    return order;
  }
  /// Number of distinct ids delivered at least once.
  [[nodiscard]] std::size_t distinct_items() const {
    std::unordered_map<std::string_view, char> seen;
    for (const auto& inv : invocations_)
      for (const auto& it : inv.items) seen.emplace(it.id, 0);
    return seen.size();
  }
  /// Number of invocations that ended as `o`.
  [[nodiscard]] std::size_t count(outcome o) const noexcept {
    return static_cast<std::size_t>(std::count_if(invocations_.begin(), invocations_.end(),
                                                  [&](const recorded_invocation& i) { return i.kind == o; }));
  }

  /// Every invocation, one per line (`to_string(recorded_invocation)`).
  [[nodiscard]] std::string to_string() const {
    std::string out = std::to_string(invocations_.size()) + " invocation(s)\n";
    for (const auto& inv : invocations_) out += "  " + testing::to_string(inv) + "\n";
    return out;
  }
  /// Writes `to_string()`: Catch2's `INFO(rec)` and GoogleTest's `<< rec` print the table.
  friend std::ostream& operator<<(std::ostream& os, const recorder& r) { return os << r.to_string(); }

private:
  template <class H, class KeyOf>
  class handler_type {
  public:
    handler_type(recorder* r, H h, KeyOf k) : rec_(r), h_(std::move(h)), key_of_(std::move(k)) {}

    template <class Event>
    requires esm::handler<H, Event> handler_result_t<H, Event>
    operator()(Event& event, invocation_context& ctx) {
      const std::size_t index = rec_->begin(event, ctx, key_of_);
      try {
        if constexpr (std::is_void_v<handler_result_t<H, Event>>) {
          detail::call(h_, event, ctx);
        } else {
          auto r = detail::call(h_, event, ctx);
          rec_->invocations_[index].response.emplace(batch_response(r));
          return r;
        }
      } catch (const std::exception& e) {
        rec_->failed(index, esm::detail::type_name(typeid(e)), e.what());
        throw;
      } catch (...) {
        rec_->failed(index, "unknown", "an exception that is not a std::exception");
        throw;
      }
    }

  private:
    recorder* rec_;
    H h_;
    KeyOf key_of_;
  };

  template <class Event, class KeyOf>
  std::size_t begin(const Event& event, const invocation_context& ctx, KeyOf& key_of) {
    static_assert(detail::recordable_event<Event>,
                  "esm::testing::recorder: the event must be a batch of stream records or SQS messages "
                  "(esm::stream_batch, esm::queue_batch)");
    recorded_invocation inv;
    inv.index = invocations_.size();
    inv.start = ctx.start_time();
    inv.request_id = std::string{ctx.request_id()};
    inv.attempt = ctx.attempt();
    inv.source = std::string{detail::source_of(event)};
    inv.items.reserve(event.size());
    for (const auto& item : event) {
      recorded_item r;
      detail::describe(item, r.id, r.sequence, r.receive_count);
      r.key = std::string{detail::key_text(key_of(item))};
      inv.items.push_back(std::move(r));
    }
    running_.emplace(inv.request_id, inv.index);
    invocations_.push_back(std::move(inv));
    return invocations_.size() - 1;
  }

  void failed(std::size_t index, std::string type, std::string message) {
    auto& inv = invocations_[index];
    inv.error_type = std::move(type);
    inv.error_message = std::move(message);
  }

  void on_trace(const trace_event& e) {
    if (e.kind != "complete" || running_.empty() || !e.component.starts_with("function/")) return;
    const auto* id = e.find("request_id");
    const auto* o = e.find("outcome");
    if (id == nullptr || o == nullptr) return;
    const auto* id_text = std::get_if<std::string_view>(id);
    const auto* o_text = std::get_if<std::string_view>(o);
    if (id_text == nullptr || o_text == nullptr) return;
    const auto it = running_.find(std::string{*id_text});
    if (it == running_.end()) return;
    auto& inv = invocations_[it->second];
    running_.erase(it);
    inv.end = e.time;
    for (const outcome k : {outcome::success, outcome::partial, outcome::function_error, outcome::timeout})
      if (esm::to_string(k) == *o_text) inv.kind = k;
  }

  simulation& sim_;
  subscription_id sub_;
  std::vector<recorded_invocation> invocations_;
  std::unordered_map<std::string, std::size_t> running_; // request id → invocation, until complete
};

/// `r.to_string()`: every invocation, one per line.
[[nodiscard]] inline std::string to_string(const recorder& r) { return r.to_string(); }

} // namespace esm::testing
