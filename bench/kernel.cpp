// Kernel benchmark: schedule + run of events with 16, 1k and 64k pending.
//
// Each event, when it runs, schedules one more event a pseudo-random delay later, so the number
// of pending events stays constant. BM_kernel uses esm::simulation; BM_kernel_baseline does the
// same work with a std::priority_queue of (time, seq, std::function). Both draw the delays from
// the same precomputed table and report events run as items.
#include <esm/core/simulation.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace {

constexpr std::size_t delay_table_size = 4096;

std::vector<std::int64_t> make_delays() {
  esm::random_stream rng{2026, 1};
  std::vector<std::int64_t> d(delay_table_size);
  for (auto& x : d) x = rng.uniform_int(1'000, 1'000'000); // 1 us .. 1 ms
  return d;
}

const std::vector<std::int64_t>& delays() {
  static const auto table = make_delays();
  return table;
}

// ---- esm ----------------------------------------------------------------------------------

struct kernel_state {
  esm::simulation sim;
  std::uint64_t ran = 0;
  std::size_t next = 0;
  esm::duration delay() noexcept { return esm::duration{delays()[next++ & (delay_table_size - 1)]}; }
};

struct tick {
  kernel_state* s;
  void operator()() const {
    ++s->ran;
    s->sim.schedule_after(s->delay(), tick{s});
  }
};

void BM_kernel(benchmark::State& state) {
  kernel_state s;
  for (std::int64_t i = 0; i < state.range(0); ++i) s.sim.schedule_after(s.delay(), tick{&s});
  for (auto _ : state) s.sim.step();
  state.SetItemsProcessed(static_cast<std::int64_t>(s.ran));
  state.counters["pending"] = static_cast<double>(s.sim.pending_events());
}

// ---- baseline: std::priority_queue of (time, seq, std::function) ---------------------------

struct baseline_event {
  std::int64_t time;
  std::uint64_t seq;
  std::function<void()> fn;
};
struct later {
  bool operator()(const baseline_event& a, const baseline_event& b) const noexcept {
    return a.time > b.time || (a.time == b.time && a.seq > b.seq);
  }
};

struct baseline_state {
  std::priority_queue<baseline_event, std::vector<baseline_event>, later> queue;
  std::int64_t now = 0;
  std::uint64_t seq = 0;
  std::uint64_t ran = 0;
  std::size_t next = 0;
  std::int64_t delay() noexcept { return delays()[next++ & (delay_table_size - 1)]; }
  void schedule_after(std::int64_t d, std::function<void()> fn) { queue.push({now + d, ++seq, std::move(fn)}); }
  void step() {
    // Run every event at the next instant, as esm::simulation::step does.
    const std::int64_t t = queue.top().time;
    while (!queue.empty() && queue.top().time == t) {
      auto ev = std::move(const_cast<baseline_event&>(queue.top()));
      queue.pop();
      now = ev.time;
      ev.fn();
    }
  }
};

struct baseline_tick {
  baseline_state* s;
  void operator()() const {
    ++s->ran;
    s->schedule_after(s->delay(), baseline_tick{s});
  }
};

void BM_kernel_baseline(benchmark::State& state) {
  baseline_state s;
  for (std::int64_t i = 0; i < state.range(0); ++i) s.schedule_after(s.delay(), baseline_tick{&s});
  for (auto _ : state) s.step();
  state.SetItemsProcessed(static_cast<std::int64_t>(s.ran));
  state.counters["pending"] = static_cast<double>(s.queue.size());
}

} // namespace

BENCHMARK(BM_kernel)->Arg(16)->Arg(1 << 10)->Arg(1 << 16);
BENCHMARK(BM_kernel_baseline)->Arg(16)->Arg(1 << 10)->Arg(1 << 16);
