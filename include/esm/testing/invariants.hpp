#pragma once
/// \file esm/testing/invariants.hpp
/// `esm::testing::invariants`: properties a user's scenario must keep, checked at the end and,
/// with `check_every`, at every step:
///
/// | Property | Holds when |
/// |---|---|
/// | `no_loss` (streams) | every record written is processed, filtered out, sent to the on-failure destination, dropped
/// or expired (all counted by the poller), or still in its shard at or after the checkpoint | | `no_loss` (queues) |
/// every message sent (or redriven in) is still in the queue, deleted, moved to the DLQ or expired | | `order_per_key`
/// | each key's items are processed (checkpointed or deleted after a successful invocation, or not listed in its
/// partial batch response) in sequence order, each counted at its first processing (stream keys, FIFO groups; not
/// promised on a standard queue) | | `at_least_once` | an item whose delivery failed is delivered again, unless the
/// mapping discarded records (destination, DLQ, dropped) at least as many as such items | | `exactly_once_effects` |
/// the user's effect store counts each key once: at most once always, exactly once for a key whose delivery succeeded |
///
/// ```cpp
/// esm::testing::recorder rec{sim};
/// esm::queue_poller p{q, fn, rec.wrap(handler)};
/// esm::testing::invariants inv{sim, rec};
/// inv.no_loss(q).order_per_key().exactly_once_effects([&](std::string_view key) { return store.count(key); });
/// inv.check_every(1min);
/// sim.run_until_idle();
/// const auto report = inv.check();
/// CHECK(report.ok());   INFO(report);   // each violation: the item, the invocations, the seed
/// ```
///
/// A violation names the property, the item (id and key), the time, the invocations that
/// touched it (from the recorder) and the simulation's seed, which replays the run. Checks read
/// the sources' and pollers' public metrics and the recorder; they change nothing. Declare it
/// after the recorder and the sources it watches (it must be destroyed before them).

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <esm/core/outcome.hpp>
#include <esm/core/simulation.hpp>
#include <esm/core/time.hpp>
#include <esm/testing/recorder.hpp>

namespace esm::testing {

/// One broken property.
struct violation {
  std::string property; ///< `no_loss`, `order_per_key`, `at_least_once`, `exactly_once_effects`
  time_point at{};      ///< when a count law broke; for a delivery property, the start of the item's last invocation
  std::string item;     ///< the item's id, or the source's name for a count law
  std::string key;      ///< the item's key (empty for a count law)
  std::string detail;   ///< what was expected and what was found
  std::vector<std::size_t> invocations; ///< indexes in the recorder of the invocations that touched the item
  std::uint64_t seed = 0;               ///< the simulation's seed: the same seed replays the run
  /// Those invocations as the recorder renders them (`to_string(recorded_invocation)`), at most
  /// the last 8, so a report outlives the recorder.
  std::vector<std::string> trail;
};

/// Renders a violation on one line, with the seed.
[[nodiscard]] inline std::string to_string(const violation& v) {
  std::string out = v.property + " at " + esm::to_string(v.at) + ": ";
  if (!v.item.empty()) out += v.item + (v.key.empty() ? "" : " (key " + v.key + ")") + ": ";
  out += v.detail;
  if (!v.invocations.empty()) {
    out += "; invocations";
    for (const auto i : v.invocations) out += " #" + std::to_string(i);
  }
  out += "; replay with seed " + std::to_string(v.seed);
  return out;
}

/// What `invariants::check` found.
struct invariant_report {
  std::vector<violation> violations; ///< in the order found; the first of each property and item only
  std::uint64_t checks = 0;          ///< how many times the properties were checked

  /// True when no property was broken.
  [[nodiscard]] bool ok() const noexcept { return violations.empty(); }
  /// True when `property` was broken.
  [[nodiscard]] bool broke(std::string_view property) const noexcept {
    return std::any_of(violations.begin(), violations.end(),
                       [&](const violation& v) { return v.property == property; });
  }
  /// `ok (n checks)` or one line per violation.
  [[nodiscard]] std::string to_string() const {
    if (ok()) return "ok (" + std::to_string(checks) + " checks)";
    std::string out = std::to_string(violations.size()) + " violation(s) in " + std::to_string(checks) + " checks\n";
    for (const auto& v : violations) {
      out += "  " + testing::to_string(v) + "\n";
      for (const auto& line : v.trail) out += "      " + line + "\n";
    }
    return out;
  }
  /// Writes `to_string()` (Catch2's `INFO(report)`, GoogleTest's `<< report`).
  friend std::ostream& operator<<(std::ostream& os, const invariant_report& r) { return os << r.to_string(); }
};

/// `r.to_string()`.
[[nodiscard]] inline std::string to_string(const invariant_report& r) { return r.to_string(); }

/// The properties of a scenario, checked on demand or periodically.
class invariants {
public:
  /// Properties of the invocations `rec` records, on `sim`.
  invariants(simulation& sim, const recorder& rec) : sim_(sim), rec_(rec) {}
  invariants(const invariants&) = delete;
  invariants& operator=(const invariants&) = delete;
  ~invariants() {
    if (timer_) sim_.cancel(*timer_);
  }

  /// `no_loss` for a stream mapping: `stream` (Kinesis or DynamoDB) read by `poller`.
  template <class Stream, class Poller>
  invariants& no_loss(const Stream& stream, const Poller& poller) {
    laws_.push_back([&stream, &poller](std::string& name, std::string& detail) {
      name = std::string{stream.name()};
      const auto& m = poller.metrics();
      const std::uint64_t settled = m.processed_event_count + m.filtered_out_event_count + m.dropped_event_count +
                                    m.on_failure_destination_delivered_event_count + m.expired_event_count;
      std::uint64_t pending = 0;
      for (std::uint32_t i = 0; i < stream.shard_count(); ++i) {
        const auto& s = stream.shard_at(i);
        const std::uint64_t c = std::max(poller.checkpoint(i), s.begin_position());
        pending += s.end_position() > c ? s.end_position() - c : 0;
      }
      const std::uint64_t written = written_of(stream);
      // With parallelization a lane settles records past the shard's checkpoint (the lowest
      // lane's), so what is unsettled must be at or after a checkpoint, and nothing settles twice.
      if (settled <= written && written - settled <= pending) return true;
      detail =
          std::to_string(written) + " records written, " + std::to_string(settled) +
          " settled (processed, filtered, dropped, to the destination, expired), " + std::to_string(pending) +
          " at or after a checkpoint: " +
          (settled > written ? "more settled than written" : std::to_string(written - settled - pending) + " lost");
      return false;
    });
    return *this;
  }

  /// `no_loss` for a queue (the one a queue poller reads, or its DLQ).
  template <class Queue>
  invariants& no_loss(const Queue& queue) {
    laws_.push_back([&queue](std::string& name, std::string& detail) {
      name = std::string{queue.name()};
      const auto& m = queue.metrics();
      const std::uint64_t in = m.sent + m.redriven_in;
      const std::uint64_t out = queue.size() + m.deleted + m.redriven_out + m.expired;
      if (in == out) return true;
      detail = std::to_string(in) + " messages in (sent, redriven in), " + std::to_string(out) +
               " accounted (in the queue, deleted, to the DLQ, expired): " +
               (in > out ? std::to_string(in - out) + " lost" : std::to_string(out - in) + " too many");
      return false;
    });
    return *this;
  }

  /// `order_per_key`: each key's items are processed in sequence order (first processing of each).
  invariants& order_per_key() {
    order_ = true;
    return *this;
  }
  /// `at_least_once`: failed deliveries come again, or are covered by the mapping's discards.
  /// `discarded()` returns how many records the mapping discarded (e.g. a stream poller's
  /// `dropped_event_count + on_failure_destination_delivered_event_count`, or the DLQ's
  /// `redriven_in`).
  template <class Discarded>
  invariants& at_least_once(Discarded discarded) {
    discarded_ = [d = std::move(discarded)]() -> std::uint64_t { return static_cast<std::uint64_t>(d()); };
    return *this;
  }
  /// `exactly_once_effects`: `effects_of(key)` is how many times the user's store applied the
  /// effect of the item with this key (the recorder's key: pass `rec.wrap(h, key_of)` a key
  /// that names the effect, e.g. an order id).
  template <class EffectsOf>
  invariants& exactly_once_effects(EffectsOf effects_of) {
    effects_ = [f = std::move(effects_of)](std::string_view key) -> std::uint64_t {
      return static_cast<std::uint64_t>(f(key));
    };
    return *this;
  }

  /// Checks the count laws (`no_loss`) every `interval` of virtual time from now on, as long as
  /// other events are pending (the checks alone never keep the simulation going). Throws
  /// `usage_error` for an interval ≤ 0.
  invariants& check_every(duration interval) {
    if (interval <= duration::zero())
      throw usage_error("invariants::check_every: the interval must be > 0, got " + esm::to_string(interval));
    interval_ = interval;
    arm();
    return *this;
  }

  /// Checks every property now (the delivery properties over the whole recording) and returns
  /// the report, including the violations periodic checks found.
  [[nodiscard]] invariant_report check() {
    check_laws();
    check_deliveries();
    invariant_report r = report_;
    return r;
  }

private:
  using law = std::function<bool(std::string&, std::string&)>;

  template <class Stream>
  static std::uint64_t written_of(const Stream& s) {
    if constexpr (requires { s.metrics().records_written; }) {
      return s.metrics().records_written;
    } else {
      return s.metrics().records_put;
    }
  }

  void arm() {
    timer_ = sim_.schedule_after(interval_, [this] {
      timer_.reset();
      check_laws();
      if (sim_.pending_events() > 0) arm();
    });
  }

  void add(std::string property, std::string item, std::string key, std::string detail,
           std::vector<std::size_t> invocations) {
    for (const auto& v : report_.violations)
      if (v.property == property && v.item == item) return; // the first of each is enough
    // A violation in the recording is dated by the last invocation that touched the item.
    const time_point at = invocations.empty() ? sim_.now() : rec_.invocation(invocations.back()).start;
    std::vector<std::string> trail;
    for (std::size_t i = invocations.size() > 8 ? invocations.size() - 8 : 0; i < invocations.size(); ++i)
      trail.push_back(testing::to_string(rec_.invocation(invocations[i])));
    report_.violations.push_back({std::move(property), at, std::move(item), std::move(key), std::move(detail),
                                  std::move(invocations), sim_.seed(), std::move(trail)});
  }

  void check_laws() {
    ++report_.checks;
    for (auto& l : laws_) {
      std::string name, detail;
      if (!l(name, detail)) add("no_loss", name, "", std::move(detail), {});
    }
  }

  std::vector<std::size_t> indexes_of(std::string_view id) const {
    std::vector<std::size_t> out;
    for (const auto* inv : rec_.invocations_of(id)) out.push_back(inv->index);
    return out;
  }

  // The mapping took the item as processed in this invocation (checkpointed or deleted): the
  // invocation succeeded, or returned a partial response not listing it (on a stream, not at or
  // after its lowest listed sequence, since processing restarts there, §2.5).
  static bool succeeded_in(const recorded_invocation& inv, const recorded_item& item) {
    if (!inv.kind) return false;
    if (*inv.kind == outcome::success) return true;
    if (*inv.kind != outcome::partial || !inv.response) return false;
    const bool stream = item.receive_count == 0;
    for (const auto& f : inv.response->batch_item_failures) {
      if (!f.item_identifier) return false; // null: the whole batch failed (§4.4)
      const auto listed = std::find_if(inv.items.begin(), inv.items.end(),
                                       [&](const recorded_item& o) { return o.id == *f.item_identifier; });
      if (listed == inv.items.end()) return false; // an unknown identifier fails the whole batch
      if (listed->id == item.id || (stream && listed->sequence <= item.sequence)) return false;
    }
    return true;
  }

  void check_deliveries() {
    const auto& all = rec_.invocations();
    if (order_) {
      std::unordered_map<std::string_view, std::pair<std::uint64_t, std::string_view>> last; // key → (sequence, id)
      std::unordered_map<std::string_view, char> seen;
      for (const auto& inv : all) {
        for (const auto& it : inv.items) {
          if (!succeeded_in(inv, it)) continue;
          if (!seen.emplace(it.id, 0).second) continue; // processed again: only the first success counts
          auto [pos, fresh] = last.emplace(it.key, std::pair{it.sequence, std::string_view{it.id}});
          if (fresh) continue;
          if (it.sequence < pos->second.first) {
            add("order_per_key", it.id, it.key,
                "processed after " + std::string{pos->second.second} + ", which has a later sequence (" +
                    std::to_string(it.sequence) + " < " + std::to_string(pos->second.first) + ")",
                indexes_of(it.id));
          } else {
            pos->second = {it.sequence, it.id};
          }
        }
      }
    }
    if (discarded_) {
      // Items whose last delivery failed: each is retried later, or discarded.
      std::unordered_map<std::string_view, std::pair<const recorded_invocation*, const recorded_item*>> latest;
      for (const auto& inv : all)
        for (const auto& it : inv.items) latest[it.id] = {&inv, &it};
      std::vector<const recorded_item*> unretried;
      for (const auto& inv : all)
        for (const auto& it : inv.items)
          if (latest[it.id].first == &inv && inv.kind && !succeeded_in(inv, it)) unretried.push_back(&it);
      const std::uint64_t d = discarded_();
      if (unretried.size() > d) {
        for (const auto* it : unretried) {
          add("at_least_once", it->id, it->key,
              "its last delivery failed and it was not delivered again; " + std::to_string(unretried.size()) +
                  " such items, " + std::to_string(d) + " discarded by the mapping",
              indexes_of(it->id));
        }
      }
    }
    if (effects_) {
      std::unordered_map<std::string_view, bool> succeeded; // key → some delivery of it succeeded
      for (const auto& inv : all)
        for (const auto& it : inv.items) {
          bool& s = succeeded[it.key];
          s = s || succeeded_in(inv, it);
        }
      for (const auto& inv : all) {
        for (const auto& it : inv.items) {
          const auto found = succeeded.find(it.key);
          if (found == succeeded.end()) continue; // reported already
          const std::uint64_t n = effects_(it.key);
          if (n > 1 || (found->second && n == 0)) {
            add("exactly_once_effects", it.id, it.key,
                "the effect was applied " + std::to_string(n) + " times; " +
                    (found->second ? "expected once (a delivery succeeded)" : "expected at most once"),
                indexes_of(it.id));
          }
          succeeded.erase(found);
        }
      }
    }
  }

  simulation& sim_;
  const recorder& rec_;
  std::vector<law> laws_;
  bool order_ = false;
  std::function<std::uint64_t()> discarded_;
  std::function<std::uint64_t(std::string_view)> effects_;
  duration interval_{};
  std::optional<timer_id> timer_;
  invariant_report report_;
};

} // namespace esm::testing
