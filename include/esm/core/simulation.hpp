#pragma once
/// \file esm/core/simulation.hpp
/// The discrete-event loop every model component runs on. Virtual time, an event heap ordered
/// by (time, insertion sequence), a seed for per-component random streams, a tracer, and a
/// registry of per-simulation services (e.g. the Lambda account that functions share).
///
/// Driving it from a host simulator needs two calls: `next_event_time()` (pure) and
/// `advance_to(t)`. Tests usually call `run_for(d)`, `run_until(t)` or `run_until_idle()`.

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <esm/core/error.hpp>
#include <esm/core/random.hpp>
#include <esm/core/time.hpp>
#include <esm/core/trace.hpp>

namespace esm {

/// Identifies a scheduled event, to `cancel` it. A default-constructed id refers to nothing.
/// Ids are never reused within a simulation.
struct timer_id {
  std::uint64_t seq = 0;  ///< insertion sequence number (1, 2, ...); 0 = no event
  std::uint32_t slot = 0; ///< internal storage slot

  /// True when the id was returned by a `schedule_*` call.
  [[nodiscard]] constexpr bool valid() const noexcept { return seq != 0; }
  friend constexpr bool operator==(const timer_id&, const timer_id&) = default;
};

/// Settings of a simulation.
struct simulation_options {
  /// Seed of every random stream in the simulation. Same seed, same inputs: same run, bit for bit.
  std::uint64_t seed = 0;
  /// Wall-clock instant of virtual time zero, for AWS timestamps. Default 2026-01-01T00:00:00Z.
  wall_epoch epoch{};
  /// Guard of `run_until_idle()`: the most events one call may run before it reports a runaway
  /// loop (`runaway_error`). Unit: events. Range: ≥ 1. Default: 100,000,000.
  std::uint64_t idle_event_budget = 100'000'000;
  /// Guard of every run call: the most events that may run at one instant of virtual time
  /// (an event rescheduling itself with zero delay forever). Unit: events. Range: ≥ 1.
  /// Default: 10,000,000.
  std::uint64_t instant_event_budget = 10'000'000;
};

class simulation;

/// A callable the simulation can run as an event: invocable with no argument. Its result, if
/// any, is discarded. Callables up to `simulation::inline_capture_bytes` bytes (and alignment
/// ≤ `alignof(std::max_align_t)`) are stored without a heap allocation.
template <class F>
concept event_callable = std::invocable<std::decay_t<F>&> && std::constructible_from<std::decay_t<F>, F> &&
                         std::is_nothrow_destructible_v<std::decay_t<F>>;

namespace detail {

template <class T>
inline constexpr char type_key = 0;

/// Type-erased event storage: operations on a callable stored in a slot's buffer.
struct event_ops {
  void (*invoke)(void* storage);
  void (*destroy)(void* storage) noexcept;
};

template <class F, bool Inline>
struct event_ops_for {
  static F& get(void* storage) noexcept {
    if constexpr (Inline) {
      return *std::launder(static_cast<F*>(storage));
    } else {
      return **static_cast<F**>(storage);
    }
  }
  static void invoke(void* storage) { static_cast<void>(get(storage)()); }
  static void destroy(void* storage) noexcept {
    if constexpr (Inline) {
      get(storage).~F();
    } else {
      delete *static_cast<F**>(storage);
    }
  }
  static constexpr event_ops table{&invoke, &destroy};
};

} // namespace detail

/// The discrete-event simulation: virtual time and the events scheduled on it.
///
/// Events run in order of (time, insertion sequence): two events at the same instant run in
/// the order they were scheduled. A cancelled event never runs. Scheduling in the past throws
/// `usage_error`. Nothing here reads a wall clock, starts a thread or uses global state.
///
/// Not thread-safe: one thread drives a simulation (`esm::realtime` adapts it to threads).
/// Not copyable or movable: components hold references to it.
class simulation {
public:
  /// Bytes of capture stored inline in an event (larger callables take one heap allocation).
  static constexpr std::size_t inline_capture_bytes = 56;

  /// A simulation at virtual time zero with nothing scheduled.
  explicit simulation(simulation_options options = {}) : options_(options) {
    if (options_.idle_event_budget == 0)
      throw config_error("idle_event_budget", "[1, 2^64)", "0", "simulation_options");
    if (options_.instant_event_budget == 0)
      throw config_error("instant_event_budget", "[1, 2^64)", "0", "simulation_options");
  }
  simulation(const simulation&) = delete;
  simulation& operator=(const simulation&) = delete;

  /// Destroys pending events (their callables), then services in reverse order of creation.
  ~simulation() {
    for (const auto& e : heap_) {
      slot& s = slot_at(e.slot);
      if (s.seq == e.seq) destroy_callable(s);
    }
    while (!services_.empty()) services_.pop_back();
  }

  /// The current virtual time. Starts at `time_point{}`.
  [[nodiscard]] time_point now() const noexcept { return now_; }

  /// The options the simulation was built with.
  [[nodiscard]] const simulation_options& options() const noexcept { return options_; }
  /// The seed of every random stream.
  [[nodiscard]] std::uint64_t seed() const noexcept { return options_.seed; }
  /// Where virtual time zero sits on the wall clock.
  [[nodiscard]] const wall_epoch& epoch() const noexcept { return options_.epoch; }

  /// A random stream of this simulation's seed, keyed by `id`. Same seed and id, same values.
  [[nodiscard]] random_stream rng(stream_id id) const noexcept { return random_stream{options_.seed, id}; }
  /// A random stream keyed by a component name (see `make_stream_id`).
  [[nodiscard]] random_stream rng(std::string_view component) const noexcept {
    return rng(make_stream_id(component));
  }

  /// The tracer components emit structured events to.
  [[nodiscard]] tracer& trace() noexcept { return trace_; }

  /// Schedules `f` to run at virtual time `t`. Throws `usage_error` if `t < now()`.
  /// Events at the same `t` run in the order they were scheduled.
  template <event_callable F>
  timer_id schedule_at(time_point t, F&& f) {
    if (t < now_) {
      throw usage_error("schedule_at: " + esm::to_string(t) + " is in the past (now " + esm::to_string(now_) +
                        "); events can only be scheduled at or after now()");
    }
    using fn = std::decay_t<F>;
    constexpr bool fits = sizeof(fn) <= inline_capture_bytes && alignof(fn) <= alignof(std::max_align_t);
    const std::uint32_t index = allocate_slot();
    slot& s = slot_at(index);
    try {
      if constexpr (fits) {
        ::new (static_cast<void*>(s.storage)) fn(std::forward<F>(f));
      } else {
        ::new (static_cast<void*>(s.storage)) fn*(new fn(std::forward<F>(f)));
      }
      if (heap_.size() == heap_.capacity()) heap_.reserve(std::max<std::size_t>(64, heap_.capacity() * 2));
    } catch (...) {
      free_slot(index);
      throw;
    }
    s.ops = &detail::event_ops_for<fn, fits>::table;
    s.seq = ++last_seq_;
    push({t.time_since_epoch().count(), s.seq, index});
    return timer_id{s.seq, index};
  }

  /// Schedules `f` to run `d` after `now()`. Throws `usage_error` if `d` is negative.
  template <event_callable F>
  timer_id schedule_after(duration d, F&& f) {
    if (d < duration::zero()) {
      throw usage_error("schedule_after: delay " + esm::to_string(d) + " is negative");
    }
    return schedule_at(now_ + d, std::forward<F>(f));
  }

  /// Cancels a pending event: it will never run, and its callable is destroyed now.
  /// Returns false (and does nothing) when the event already ran, was cancelled, is running,
  /// or `id` is invalid.
  bool cancel(timer_id id) noexcept {
    if (!is_pending(id)) return false;
    slot& s = slot_at(id.slot);
    destroy_callable(s);
    free_slot(id.slot);
    ++stale_;
    drop_stale_top();
    maybe_compact();
    return true;
  }

  /// True when `id` is scheduled and has neither run nor been cancelled.
  [[nodiscard]] bool is_pending(timer_id id) const noexcept {
    return id.valid() && id.slot < slot_count_ && slot_at(id.slot).seq == id.seq;
  }

  /// The time of the next pending event, or `time_point::max()` when idle. No side effects.
  [[nodiscard]] time_point next_event_time() const noexcept {
    return heap_.empty() ? time_point::max() : time_point{duration{heap_.front().time}};
  }

  /// Number of events scheduled and not yet run or cancelled.
  [[nodiscard]] std::size_t pending_events() const noexcept { return heap_.size() - stale_; }
  /// True when no event is pending.
  [[nodiscard]] bool idle() const noexcept { return heap_.empty(); }
  /// Number of events run since the simulation started.
  [[nodiscard]] std::uint64_t events_run() const noexcept { return events_run_; }

  /// Runs every event at the next pending instant (including events that those events schedule
  /// at the same instant), and moves `now()` there. Returns the number run; 0 when idle.
  std::size_t step() {
    if (heap_.empty()) return 0;
    const run_guard guard{*this, "step"};
    const auto t = heap_.front().time;
    std::size_t n = 0;
    while (!heap_.empty() && heap_.front().time == t) run_next(n);
    return n;
  }

  /// Runs every event with time ≤ `t`, in order, then sets `now()` to `t`. Returns the number
  /// run. Throws `usage_error` if `t < now()`. If an event throws, the exception propagates,
  /// the event is consumed and `now()` stays at that event's time.
  std::size_t advance_to(time_point t) {
    if (t < now_) {
      throw usage_error("advance_to: " + esm::to_string(t) + " is before now (" + esm::to_string(now_) + ")");
    }
    const run_guard guard{*this, "advance_to"};
    const auto limit = t.time_since_epoch().count();
    std::size_t n = 0;
    while (!heap_.empty() && heap_.front().time <= limit) run_next(n);
    now_ = t;
    return n;
  }

  /// Runs every event with time < `t` (events at exactly `t` stay pending), then sets `now()`
  /// to `t`. Returns the number run. Throws `usage_error` if `t < now()`.
  std::size_t run_until(time_point t) {
    if (t < now_) {
      throw usage_error("run_until: " + esm::to_string(t) + " is before now (" + esm::to_string(now_) + ")");
    }
    const run_guard guard{*this, "run_until"};
    const auto limit = t.time_since_epoch().count();
    std::size_t n = 0;
    while (!heap_.empty() && heap_.front().time < limit) run_next(n);
    now_ = t;
    return n;
  }

  /// `advance_to(now() + d)`: runs everything due within the next `d`, inclusive.
  std::size_t run_for(duration d) {
    if (d < duration::zero()) throw usage_error("run_for: duration " + esm::to_string(d) + " is negative");
    return advance_to(now_ + d);
  }

  /// Runs events until none is pending, and leaves `now()` at the last event's time. Throws
  /// `runaway_error` after `options().idle_event_budget` events (a component that reschedules
  /// itself forever, such as a poller on a source that never drains, never becomes idle).
  std::size_t run_until_idle() { return run_until_idle(options_.idle_event_budget); }

  /// As `run_until_idle()`, with an explicit budget of events (≥ 1).
  std::size_t run_until_idle(std::uint64_t max_events) {
    const run_guard guard{*this, "run_until_idle"};
    std::size_t n = 0;
    while (!heap_.empty()) {
      if (n >= max_events) {
        throw runaway_error("run_until_idle: ran " + std::to_string(n) + " events without becoming idle (now " +
                            esm::to_string(now_) + ", next event at " + esm::to_string(next_event_time()) + ", " +
                            std::to_string(pending_events()) +
                            " pending); something reschedules itself forever. Use run_for or run_until instead.");
      }
      run_next(n);
    }
    return n;
  }

  /// The service of type `T` of this simulation, created as `T(simulation&)` on first use.
  /// Services are per-simulation singletons that components share (e.g. `esm::account`, the
  /// concurrency pool of every function). Destroyed with the simulation, newest first.
  template <class T>
  T& service() {
    if (T* found = find_service<T>()) return *found;
    return make_service<T>(*this);
  }

  /// Creates the service `T` from `args`. Throws `usage_error` if it already exists.
  template <class T, class... Args>
  T& make_service(Args&&... args) {
    if (find_service<T>() != nullptr) {
      throw usage_error("make_service: this simulation already has that service; create it before first use");
    }
    auto owned = std::make_unique<T>(std::forward<Args>(args)...);
    T& ref = *owned;
    services_.push_back(service_entry{&detail::type_key<T>, service_ptr{owned.release(), [](void* p) {
                                                                          delete static_cast<T*>(p);
                                                                        }}});
    return ref;
  }

  /// The service `T` if it exists, else nullptr.
  template <class T>
  [[nodiscard]] T* find_service() noexcept {
    for (auto& e : services_)
      if (e.key == &detail::type_key<T>) return static_cast<T*>(e.ptr.get());
    return nullptr;
  }

private:
  struct slot {
    alignas(std::max_align_t) unsigned char storage[inline_capture_bytes];
    const detail::event_ops* ops = nullptr; // null while free
    std::uint64_t seq = 0;                  // seq of the pending event in it; 0 otherwise
    std::uint32_t next_free = 0;
  };
  struct entry {
    std::int64_t time;
    std::uint64_t seq;
    std::uint32_t slot;
  };
  static constexpr std::size_t chunk_bits = 8;
  static constexpr std::size_t chunk_size = std::size_t{1} << chunk_bits;
  static constexpr std::uint32_t no_slot = 0xffffffffU;
  static constexpr std::size_t arity = 4;

  using service_ptr = std::unique_ptr<void, void (*)(void*)>;
  struct service_entry {
    const void* key;
    service_ptr ptr;
  };

  struct run_guard {
    simulation& sim;
    run_guard(simulation& s, const char* what) : sim(s) {
      if (sim.running_) {
        throw usage_error(std::string{what} + ": called from inside an event; the event loop is not reentrant");
      }
      sim.running_ = true;
    }
    ~run_guard() { sim.running_ = false; }
    run_guard(const run_guard&) = delete;
    run_guard& operator=(const run_guard&) = delete;
  };

  static constexpr bool before(const entry& a, const entry& b) noexcept {
    return a.time < b.time || (a.time == b.time && a.seq < b.seq);
  }

  slot& slot_at(std::uint32_t i) noexcept { return chunks_[i >> chunk_bits][i & (chunk_size - 1)]; }
  const slot& slot_at(std::uint32_t i) const noexcept { return chunks_[i >> chunk_bits][i & (chunk_size - 1)]; }

  std::uint32_t allocate_slot() {
    if (free_head_ != no_slot) {
      const auto i = free_head_;
      free_head_ = slot_at(i).next_free;
      return i;
    }
    if (slot_count_ == chunks_.size() * chunk_size) {
      chunks_.push_back(std::make_unique<slot[]>(chunk_size));
    }
    return slot_count_++;
  }
  void free_slot(std::uint32_t i) noexcept {
    slot& s = slot_at(i);
    s.seq = 0;
    s.next_free = free_head_;
    free_head_ = i;
  }
  static void destroy_callable(slot& s) noexcept {
    s.ops->destroy(s.storage);
    s.ops = nullptr;
  }

  void push(entry e) {
    heap_.push_back(e); // capacity reserved by the caller: cannot throw
    std::size_t i = heap_.size() - 1;
    while (i > 0) {
      const std::size_t parent = (i - 1) / arity;
      if (!before(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }

  void sift_down(std::size_t i) noexcept {
    const std::size_t n = heap_.size();
    const entry e = heap_[i];
    for (;;) {
      const std::size_t first = i * arity + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t last = std::min(first + arity, n);
      for (std::size_t c = first + 1; c < last; ++c)
        if (before(heap_[c], heap_[best])) best = c;
      if (!before(heap_[best], e)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = e;
  }

  void pop_top() noexcept {
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
  }

  // Invariant: the heap's top is a live event (or the heap is empty).
  void drop_stale_top() noexcept {
    while (!heap_.empty() && slot_at(heap_.front().slot).seq != heap_.front().seq) {
      pop_top();
      --stale_;
    }
  }

  // Cancelled entries stay in the heap until they surface; rebuild when they dominate.
  void maybe_compact() noexcept {
    if (stale_ < 1024 || stale_ * 2 < heap_.size()) return;
    std::erase_if(heap_, [this](const entry& e) { return slot_at(e.slot).seq != e.seq; });
    stale_ = 0;
    if (heap_.size() > 1) {
      for (std::size_t i = (heap_.size() - 2) / arity + 1; i-- > 0;) sift_down(i);
    }
  }

  void run_next(std::size_t& n) {
    const entry top = heap_.front();
    if (top.time == now_.time_since_epoch().count() && n > 0) {
      if (++same_instant_ >= options_.instant_event_budget) {
        same_instant_ = 0;
        throw runaway_error("simulation: " + std::to_string(options_.instant_event_budget) +
                            " events ran at the single instant " + esm::to_string(now_) +
                            "; something reschedules itself with zero delay forever");
      }
    } else {
      same_instant_ = 0;
    }
    pop_top();
    drop_stale_top();
    now_ = time_point{duration{top.time}};
    slot& s = slot_at(top.slot);
    s.seq = 0; // running: no longer pending, so no longer cancellable
    ++events_run_;
    ++n;
    struct finish {
      simulation& sim;
      std::uint32_t index;
      ~finish() {
        destroy_callable(sim.slot_at(index));
        sim.free_slot(index);
      }
    } done{*this, top.slot};
    s.ops->invoke(s.storage);
  }

  simulation_options options_;
  time_point now_{};
  std::vector<entry> heap_;
  std::vector<std::unique_ptr<slot[]>> chunks_;
  std::uint32_t slot_count_ = 0;
  std::uint32_t free_head_ = no_slot;
  std::uint64_t last_seq_ = 0;
  std::uint64_t events_run_ = 0;
  std::size_t stale_ = 0;
  std::uint64_t same_instant_ = 0;
  bool running_ = false;
  tracer trace_;
  std::vector<service_entry> services_;
};

} // namespace esm
