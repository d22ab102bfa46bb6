#pragma once
/// \file esm/core/trace.hpp
/// Structured trace events. Components emit (time, component, kind, fields); subscribers
/// receive them synchronously, in emission order. With nobody subscribed an emission costs one
/// branch: `emit` takes a callable that builds the fields, and never calls it.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <esm/core/time.hpp>

namespace esm {

/// The value of one trace field.
using trace_value = std::variant<std::int64_t, double, bool, std::string_view, duration>;

/// One named value of a trace event. The key and any string value point to storage owned by
/// the emitter and are valid only during the subscriber's call: copy what you keep.
struct trace_field {
  std::string_view key; ///< field name, e.g. `batch_size`
  trace_value value;    ///< field value

  /// A field from any integer (stored as int64), floating point, bool, string or duration.
  template <class T>
  constexpr trace_field(std::string_view k, T v) : key(k), value(convert(v)) {}

private:
  template <class T>
  static constexpr trace_value convert(T v) {
    if constexpr (std::is_same_v<T, bool>) {
      return trace_value{v};
    } else if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) {
      return trace_value{static_cast<std::int64_t>(v)};
    } else if constexpr (std::is_floating_point_v<T>) {
      return trace_value{static_cast<double>(v)};
    } else if constexpr (std::is_convertible_v<T, duration>) {
      return trace_value{duration{v}};
    } else {
      return trace_value{std::string_view{v}};
    }
  }
};

/// A structured trace event, as a subscriber receives it.
struct trace_event {
  time_point time;                     ///< virtual time of the event
  std::string_view component;          ///< who emitted it, e.g. `function/orders`
  std::string_view kind;               ///< what happened, e.g. `invoke`, `throttle`, `complete`
  std::span<const trace_field> fields; ///< details, in the emitter's order

  /// The field named `key`, or nullptr.
  [[nodiscard]] const trace_value* find(std::string_view key) const noexcept {
    for (const auto& f : fields)
      if (f.key == key) return &f.value;
    return nullptr;
  }
};

/// Renders a trace value as text (durations via `esm::to_string`).
[[nodiscard]] inline std::string to_string(const trace_value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) {
          return x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::string_view>) {
          return std::string{x};
        } else if constexpr (std::is_same_v<T, duration>) {
          return esm::to_string(x);
        } else {
          return std::to_string(x);
        }
      },
      v);
}

/// Renders a trace event on one line: `t=1500ms function/orders complete outcome=success ...`.
[[nodiscard]] inline std::string to_string(const trace_event& e) {
  std::string out = esm::to_string(e.time);
  out += ' ';
  out += e.component;
  out += ' ';
  out += e.kind;
  for (const auto& f : e.fields) {
    out += ' ';
    out += f.key;
    out += '=';
    out += to_string(f.value);
  }
  return out;
}

/// Identifies a subscription, to end it with `tracer::unsubscribe`.
enum class subscription_id : std::uint64_t {};

/// Dispatches trace events to subscribers. Owned by the simulation (`simulation::trace()`).
/// Not thread-safe: use it from the thread that drives the simulation.
class tracer {
public:
  /// A subscriber: any callable taking `const trace_event&`.
  using subscriber = std::function<void(const trace_event&)>;

  /// Adds a subscriber; it receives every event emitted from now on, in order (a subscriber
  /// added from within a subscriber starts with the next event).
  subscription_id subscribe(subscriber s) {
    const auto id = subscription_id{++last_id_};
    // During a publish the vector must not reallocate under the running subscriber.
    (publishing_ > 0 ? added_ : subscribers_).push_back(entry{id, std::move(s), true});
    ++live_;
    return id;
  }

  /// Removes a subscriber. Returns false when `id` is not subscribed. Safe to call from within a
  /// subscriber (even on itself): the removed subscriber receives no later event.
  bool unsubscribe(subscription_id id) {
    for (auto* list : {&subscribers_, &added_}) {
      for (auto it = list->begin(); it != list->end(); ++it) {
        if (it->id != id || !it->live) continue;
        --live_;
        if (publishing_ > 0) {
          it->live = false; // erased when the outermost publish ends; it may be running now
        } else {
          list->erase(it);
        }
        return true;
      }
    }
    return false;
  }

  /// True when at least one subscriber listens. Emitters may test it to skip work.
  [[nodiscard]] bool active() const noexcept { return live_ > 0; }

  /// Emits an event whose fields are listed inline. The list is built by the caller even when
  /// nobody listens; on hot paths prefer the overload taking a field builder.
  void emit(time_point t, std::string_view component, std::string_view kind,
            std::initializer_list<trace_field> fields = {}) {
    if (!active()) return;
    publish(trace_event{t, component, kind, std::span<const trace_field>{fields.begin(), fields.size()}});
  }

  /// Emits an event whose fields come from `make_fields()`, which must return a contiguous
  /// range of `trace_field` (e.g. `std::array`). `make_fields` is called only when somebody
  /// listens, so an unobserved emission costs one branch.
  template <class MakeFields>
  requires std::is_invocable_v<MakeFields&>
  void emit(time_point t, std::string_view component, std::string_view kind, MakeFields&& make_fields) {
    if (!active()) return;
    const auto fields = make_fields();
    publish(trace_event{t, component, kind, std::span<const trace_field>{std::data(fields), std::size(fields)}});
  }

private:
  struct entry {
    subscription_id id;
    subscriber fn;
    bool live;
  };

  void publish(const trace_event& e) {
    // Index loop over the subscribers present when the event started: a subscriber may
    // subscribe (kept aside until the outermost publish ends) or unsubscribe (marked dead).
    struct depth_guard {
      tracer& t;
      explicit depth_guard(tracer& tr) : t(tr) { ++t.publishing_; }
      ~depth_guard() {
        if (--t.publishing_ != 0) return;
        std::erase_if(t.subscribers_, [](const entry& s) { return !s.live; });
        for (auto& s : t.added_)
          if (s.live) t.subscribers_.push_back(std::move(s));
        t.added_.clear();
      }
    } guard{*this};
    const auto n = subscribers_.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (subscribers_[i].live) subscribers_[i].fn(e);
    }
  }

  std::vector<entry> subscribers_;
  std::vector<entry> added_; // subscribed during a publish
  std::size_t live_ = 0;
  unsigned publishing_ = 0; // nesting depth of publish()
  std::uint64_t last_id_ = 0;
};

} // namespace esm
