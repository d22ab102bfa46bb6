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
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <esm/core/detail/event_storage.hpp>
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
concept event_callable = std::invocable < std::decay_t<F>
& > &&std::constructible_from<std::decay_t<F>, F>&& std::is_nothrow_destructible_v<std::decay_t<F>>;

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
  static constexpr std::size_t inline_capture_bytes = 48;

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
    for (std::size_t i = 0; i < size_; ++i) {
      if (is_live(heap_[i])) destroy_callable(slot_at(slot_of(heap_[i])));
    }
    release_heap();
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
  [[nodiscard]] random_stream rng(std::string_view component) const noexcept { return rng(make_stream_id(component)); }

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
    if (last_seq_ >= max_seq) {
      throw runaway_error("simulation: more than 2^40 events scheduled in one simulation");
    }
    if (size_ == capacity_) grow_heap();
    const std::uint32_t index = allocate_slot();
    slot& s = slot_at(index);
    try {
      if constexpr (fits) {
        ::new (static_cast<void*>(s.storage)) fn(std::forward<F>(f));
      } else {
        ::new (static_cast<void*>(s.storage)) fn*(new fn(std::forward<F>(f)));
      }
    } catch (...) {
      free_slot(index);
      throw;
    }
    s.ops = &detail::event_ops_for<fn, fits>::table;
    s.seq = ++last_seq_;
    push(make_entry(t.time_since_epoch().count(), (s.seq << slot_bits) | index));
    return timer_id{s.seq, index};
  }

  /// Schedules `f` to run `d` after `now()`. Throws `usage_error` if `d` is negative, or if
  /// `now() + d` passes `time_point::max()`, the end of virtual time (about 292 years).
  template <event_callable F>
  timer_id schedule_after(duration d, F&& f) {
    if (d < duration::zero()) {
      throw usage_error("schedule_after: delay " + esm::to_string(d) + " is negative");
    }
    if (!fits_after(now_, d)) {
      throw usage_error("schedule_after: now (" + esm::to_string(now_) + ") + delay " + esm::to_string(d) +
                        " passes time_point::max(), the end of virtual time (about 292 years)");
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
    return size_ == 0 ? time_point::max() : time_point{duration{heap_[0].time()}};
  }

  /// Number of events scheduled and not yet run or cancelled.
  [[nodiscard]] std::size_t pending_events() const noexcept { return size_ - stale_; }
  /// True when no event is pending.
  [[nodiscard]] bool idle() const noexcept { return size_ == 0; }
  /// Number of events run since the simulation started.
  [[nodiscard]] std::uint64_t events_run() const noexcept { return events_run_; }

  /// Hands an error found inside an event to whoever runs the simulation: the run call under way
  /// (`advance_to`, `run_until`, `run_for`, `run_until_idle`, `step`) rethrows it as soon as the
  /// event that raised it has finished, so the model is consistent when the caller sees it.
  /// Raised outside a run, the next run call throws it before running anything. The first error
  /// is kept until thrown; later ones are dropped, and so is it when the event itself throws
  /// (that exception propagates instead). The event loop's re-entrancy check and the
  /// pollers' filter predicates report through this (docs/simulation.md, "Calls from inside an
  /// event").
  void raise_after_event(std::exception_ptr e) noexcept {
    if (!deferred_) deferred_ = std::move(e);
  }
  /// True when an error raised with `raise_after_event` waits to be thrown.
  [[nodiscard]] bool error_pending() const noexcept { return static_cast<bool>(deferred_); }

  /// Runs every event at the next pending instant (including events that those events schedule
  /// at the same instant), and moves `now()` there. Returns the number run; 0 when idle.
  std::size_t step() {
    const run_guard guard{*this, "step"};
    if (size_ == 0) return 0;
    const auto t = heap_[0].time();
    std::size_t n = 0;
    while (size_ != 0 && heap_[0].time() == t) run_checked(n);
    return n;
  }

  /// Runs every event with time ≤ `t`, in order, then sets `now()` to `t`. Returns the number
  /// run. Throws `usage_error` if `t < now()`. If an event throws, the exception propagates,
  /// the event is consumed and `now()` stays at that event's time.
  std::size_t advance_to(time_point t) {
    return run_to("advance_to", t, [](std::int64_t event, std::int64_t limit) { return event <= limit; });
  }

  /// Runs every event with time < `t` (events at exactly `t` stay pending), then sets `now()`
  /// to `t`. Returns the number run. Throws `usage_error` if `t < now()`.
  std::size_t run_until(time_point t) {
    return run_to("run_until", t, [](std::int64_t event, std::int64_t limit) { return event < limit; });
  }

  /// `advance_to(now() + d)`: runs everything due within the next `d`, inclusive. `now() + d`
  /// saturates at `time_point::max()`, the end of virtual time: `run_for(duration::max())` is
  /// `advance_to(time_point::max())`.
  std::size_t run_for(duration d) {
    if (d < duration::zero()) throw usage_error("run_for: duration " + esm::to_string(d) + " is negative");
    return advance_to(saturating_add(now_, d));
  }

  /// Runs events until none is pending, and leaves `now()` at the last event's time. Throws
  /// `runaway_error` after `options().idle_event_budget` events (a component that reschedules
  /// itself forever, such as a poller on a source that never drains, never becomes idle).
  std::size_t run_until_idle() { return run_until_idle(options_.idle_event_budget); }

  /// As `run_until_idle()`, with an explicit budget of events (≥ 1).
  std::size_t run_until_idle(std::uint64_t max_events) {
    const run_guard guard{*this, "run_until_idle"};
    std::size_t n = 0;
    while (size_ != 0) {
      if (n >= max_events) {
        throw runaway_error("run_until_idle: ran " + std::to_string(n) + " events without becoming idle (now " +
                            esm::to_string(now_) + ", next event at " + esm::to_string(next_event_time()) + ", " +
                            std::to_string(pending_events()) +
                            " pending); something reschedules itself forever. Use run_for or run_until instead.");
      }
      run_checked(n);
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
    services_.push_back(
        service_entry{&detail::type_key<T>, service_ptr{owned.release(), [](void* p) { delete static_cast<T*>(p); }}});
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
  // An event's callable lives in a slot (one cache line); slots sit in chunks that never move,
  // and are reused through a free list. The heap holds 16-byte entries: the time and a key that
  // packs the insertion sequence (high 40 bits) over the slot index (low 24 bits), so ordering
  // by (time, key) is ordering by (time, sequence).
  struct alignas(64) slot {
    alignas(std::max_align_t) unsigned char storage[inline_capture_bytes]; // or the next free slot
    const detail::event_ops* ops = nullptr;                                // null while free
    std::uint64_t seq = 0; // seq of the pending event in it; 0 while free or running
  };
  struct entry {
    std::uint64_t key;   // seq << slot_bits | slot
    std::uint64_t btime; // the time with its sign bit flipped: unsigned order = signed order
    [[nodiscard]] constexpr std::int64_t time() const noexcept { return static_cast<std::int64_t>(btime ^ sign_bit); }
  };
  static constexpr std::uint64_t sign_bit = std::uint64_t{1} << 63;
  static constexpr entry make_entry(std::int64_t time, std::uint64_t key) noexcept {
    return entry{key, static_cast<std::uint64_t>(time) ^ sign_bit};
  }
  static constexpr unsigned slot_bits = 24;
  static constexpr std::uint64_t slot_mask = (std::uint64_t{1} << slot_bits) - 1;
  static constexpr std::uint64_t max_seq = (std::uint64_t{1} << (64 - slot_bits)) - 1;
  static constexpr std::size_t chunk_bits = 8;
  static constexpr std::size_t chunk_size = std::size_t{1} << chunk_bits;
  static constexpr std::uint32_t no_slot = 0xffffffffU;
  static constexpr std::size_t arity = 4;
  // Children of i are 4i+1 .. 4i+4; offsetting the array by 3 entries puts each group of four
  // siblings (64 bytes) in one cache line.
  static constexpr std::size_t heap_offset = 3;

  using service_ptr = std::unique_ptr<void, void (*)(void*)>;
  struct service_entry {
    const void* key;
    service_ptr ptr;
  };

  // Marks a run call; refuses a nested one, and throws an error raised between run calls.
  struct run_guard {
    simulation& sim;
    run_guard(simulation& s, const char* what) : sim(s) {
      if (sim.running_) {
        // Also handed to the outer run call: a handler's catch (or the function error a handler's
        // exception becomes) cannot hide the misuse.
        const usage_error e{std::string{what} +
                            ": called from inside an event (a handler, filter, destination or scheduled callback); the "
                            "event loop is not reentrant: schedule the work with schedule_after instead"};
        sim.raise_after_event(std::make_exception_ptr(e));
        throw e;
      }
      sim.throw_pending();
      sim.running_ = true;
    }
    ~run_guard() { sim.running_ = false; }
    run_guard(const run_guard&) = delete;
    run_guard& operator=(const run_guard&) = delete;
  };

  // (time, key) order as one 128-bit unsigned comparison where the compiler has one: heap
  // comparisons are unpredictable, and this compiles to cmp/sbb instead of branches.
  static constexpr bool before(const entry& a, const entry& b) noexcept {
#if defined(__SIZEOF_INT128__)
    return ((detail::uint128{a.btime} << 64) | a.key) < ((detail::uint128{b.btime} << 64) | b.key);
#else
    return static_cast<bool>(static_cast<unsigned>(a.btime < b.btime) |
                             (static_cast<unsigned>(a.btime == b.btime) & static_cast<unsigned>(a.key < b.key)));
#endif
  }
  // Index of the smallest of the children first .. end-1 (1 to 4 of them).
  std::size_t min_child(std::size_t first, std::size_t end) const noexcept {
    std::size_t best = first;
    if (end - first == arity) { // a full group: fixed shape, selected with conditional moves
      const std::size_t b01 = before(heap_[first + 1], heap_[first]) ? first + 1 : first;
      const std::size_t b23 = before(heap_[first + 3], heap_[first + 2]) ? first + 3 : first + 2;
      return before(heap_[b23], heap_[b01]) ? b23 : b01;
    }
    for (std::size_t c = first + 1; c < end; ++c) best = before(heap_[c], heap_[best]) ? c : best;
    return best;
  }
  static constexpr std::uint32_t slot_of(const entry& e) noexcept {
    return static_cast<std::uint32_t>(e.key & slot_mask);
  }
  bool is_live(const entry& e) const noexcept { return slot_at(slot_of(e)).seq == (e.key >> slot_bits); }

  slot& slot_at(std::uint32_t i) noexcept { return chunks_[i >> chunk_bits][i & (chunk_size - 1)]; }
  const slot& slot_at(std::uint32_t i) const noexcept { return chunks_[i >> chunk_bits][i & (chunk_size - 1)]; }

  std::uint32_t allocate_slot() {
    if (free_head_ != no_slot) {
      const auto i = free_head_;
      std::memcpy(&free_head_, slot_at(i).storage, sizeof free_head_);
      return i;
    }
    if (slot_count_ > slot_mask) {
      throw runaway_error("simulation: more than 2^24 events pending at once");
    }
    if (slot_count_ == chunks_.size() * chunk_size) {
      chunks_.push_back(std::make_unique<slot[]>(chunk_size));
    }
    return slot_count_++;
  }
  void free_slot(std::uint32_t i) noexcept {
    slot& s = slot_at(i);
    s.seq = 0;
    s.ops = nullptr;
    std::memcpy(s.storage, &free_head_, sizeof free_head_);
    free_head_ = i;
  }
  static void destroy_callable(slot& s) noexcept { s.ops->destroy(s.storage); }

  void grow_heap() {
    const std::size_t cap = capacity_ == 0 ? 64 : capacity_ * 2;
    auto* raw = static_cast<entry*>(::operator new ((cap + heap_offset) * sizeof(entry), std::align_val_t{64}));
    entry* fresh = raw + heap_offset;
    if (size_ != 0) std::memcpy(static_cast<void*>(fresh), heap_, size_ * sizeof(entry));
    release_heap();
    heap_ = fresh;
    capacity_ = cap;
  }
  void release_heap() noexcept {
    if (heap_ != nullptr) ::operator delete (heap_ - heap_offset, std::align_val_t{64});
    heap_ = nullptr;
    capacity_ = 0;
  }

  void push(entry e) noexcept { // capacity ensured by the caller
    std::size_t i = size_++;
    while (i > 0) {
      const std::size_t parent = (i - 1) / arity;
      if (!before(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }

  void sift_down(std::size_t i) noexcept {
    const std::size_t n = size_;
    const entry e = heap_[i];
    for (;;) {
      const std::size_t first = i * arity + 1;
      if (first >= n) break;
      const std::size_t best = min_child(first, std::min(first + arity, n));
      if (!before(heap_[best], e)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = e;
  }

  // Removes the top: the hole descends along the smallest children to a leaf (no comparison
  // with the moved element on the way), then the last element fills it and rises.
  void pop_top() noexcept {
    const std::size_t n = --size_;
    if (n == 0) return;
    const entry last = heap_[n];
    std::size_t hole = 0;
    for (;;) {
      const std::size_t first = hole * arity + 1;
      if (first >= n) break;
      const std::size_t best = min_child(first, std::min(first + arity, n));
      heap_[hole] = heap_[best];
      hole = best;
    }
    while (hole > 0) {
      const std::size_t parent = (hole - 1) / arity;
      if (!before(last, heap_[parent])) break;
      heap_[hole] = heap_[parent];
      hole = parent;
    }
    heap_[hole] = last;
  }

  // Invariant: the heap's top is a live event (or the heap is empty).
  void drop_stale_top() noexcept {
    while (stale_ != 0 && size_ != 0 && !is_live(heap_[0])) {
      pop_top();
      --stale_;
    }
  }

  // Cancelled entries stay in the heap until they surface; rebuild when they dominate.
  void maybe_compact() noexcept {
    if (stale_ < 1024 || stale_ * 2 < size_) return;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < size_; ++i)
      if (is_live(heap_[i])) heap_[kept++] = heap_[i];
    size_ = kept;
    stale_ = 0;
    if (size_ > 1) {
      for (std::size_t i = (size_ - 2) / arity + 1; i-- > 0;) sift_down(i);
    }
  }

  // Runs events while due(event time, t), then sets now() to t.
  template <class Due>
  std::size_t run_to(const char* what, time_point t, Due due) {
    if (t < now_) {
      throw usage_error(std::string{what} + ": " + esm::to_string(t) + " is before now (" + esm::to_string(now_) + ")");
    }
    const run_guard guard{*this, what};
    const auto limit = t.time_since_epoch().count();
    std::size_t n = 0;
    while (size_ != 0 && due(heap_[0].time(), limit)) run_checked(n);
    now_ = t;
    return n;
  }

  void throw_pending() {
    if (deferred_) std::rethrow_exception(std::exchange(deferred_, nullptr));
  }
  // Runs the next event, then throws an error it raised. An event that throws itself wins: its
  // exception propagates and the raised one is dropped (often the same misuse, seen twice).
  void run_checked(std::size_t& n) {
    try {
      run_next(n);
    } catch (...) {
      deferred_ = nullptr;
      throw;
    }
    if (deferred_) [[unlikely]]
      throw_pending();
  }

  void run_next(std::size_t& n) {
    const entry top = heap_[0];
    if (top.time() == now_.time_since_epoch().count() && n > 0) {
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
#if defined(__GNUC__)
    // The next event's slot is a random cache line in a large simulation: fetch it while this
    // event runs.
    if (size_ != 0) __builtin_prefetch(&slot_at(slot_of(heap_[0])));
#endif
    now_ = time_point{duration{top.time()}};
    const std::uint32_t index = slot_of(top);
    slot& s = slot_at(index);
    s.seq = 0; // running: no longer pending, so no longer cancellable
    ++events_run_;
    ++n;
    struct release {
      simulation& sim;
      std::uint32_t index;
      ~release() { sim.free_slot(index); }
    } done{*this, index};
    s.ops->run(s.storage); // invokes, then destroys the callable
  }

  simulation_options options_;
  time_point now_{};
  entry* heap_ = nullptr; // 64-byte aligned storage + heap_offset
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  std::vector<std::unique_ptr<slot[]>> chunks_;
  std::uint32_t slot_count_ = 0;
  std::uint32_t free_head_ = no_slot;
  std::uint64_t last_seq_ = 0;
  std::uint64_t events_run_ = 0;
  std::size_t stale_ = 0;
  std::uint64_t same_instant_ = 0;
  bool running_ = false;
  std::exception_ptr deferred_; // raised by an event, thrown by the run call (raise_after_event)
  tracer trace_;
  std::vector<service_entry> services_;
};

} // namespace esm
