// Tests of esm/core/simulation.hpp: the discrete-event loop.
#include <esm/core/simulation.hpp>

#include <array>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/alloc_counter.hpp"
#include "support/catch.hpp"

using namespace std::chrono_literals;
using esm::time_point;

namespace {
time_point at(esm::duration d) { return time_point{} + d; }
} // namespace

TEST_CASE("events run in (time, insertion sequence) order", "[core][simulation]") {
  esm::simulation sim;
  std::string order;
  sim.schedule_at(at(2s), [&] { order += 'c'; });
  sim.schedule_at(at(1s), [&] { order += 'a'; });
  sim.schedule_at(at(1s), [&] { order += 'b'; });
  sim.schedule_at(at(2s), [&] { order += 'd'; });
  CHECK(sim.pending_events() == 4);
  CHECK(sim.run_until_idle() == 4);
  CHECK(order == "abcd");
  CHECK(sim.now() == at(2s));
  CHECK(sim.events_run() == 4);
  CHECK(sim.idle());
}

TEST_CASE("events scheduled at the current instant run after those already there", "[core][simulation]") {
  esm::simulation sim;
  std::string order;
  sim.schedule_at(at(1s), [&] {
    order += 'a';
    sim.schedule_after(0s, [&] { order += 'c'; });
  });
  sim.schedule_at(at(1s), [&] { order += 'b'; });
  CHECK(sim.step() == 3);
  CHECK(order == "abc");
}

TEST_CASE("a cancelled event never runs and its capture is released", "[core][simulation]") {
  esm::simulation sim;
  auto token = std::make_shared<int>(0);
  int ran = 0;
  const auto id = sim.schedule_after(1s, [&ran, token] { ++ran; });
  sim.schedule_after(2s, [&] { ++ran; });
  CHECK(token.use_count() == 2);
  CHECK(sim.is_pending(id));
  CHECK(sim.cancel(id));
  CHECK(token.use_count() == 1);
  CHECK_FALSE(sim.is_pending(id));
  CHECK_FALSE(sim.cancel(id));
  CHECK_FALSE(sim.cancel(esm::timer_id{}));
  CHECK(sim.next_event_time() == at(2s)); // the cancelled head is gone
  sim.run_until_idle();
  CHECK(ran == 1);
}

TEST_CASE("an event that ran cannot be cancelled, nor can one cancel itself while running", "[core][simulation]") {
  esm::simulation sim;
  esm::timer_id self;
  bool cancelled_self = true;
  self = sim.schedule_after(1s, [&] { cancelled_self = sim.cancel(self); });
  sim.run_until_idle();
  CHECK_FALSE(cancelled_self);
  CHECK_FALSE(sim.cancel(self));
}

TEST_CASE("an event can cancel a later one at the same instant", "[core][simulation]") {
  esm::simulation sim;
  esm::timer_id second;
  int ran = 0;
  sim.schedule_at(at(1s), [&] { CHECK(sim.cancel(second)); });
  second = sim.schedule_at(at(1s), [&] { ++ran; });
  sim.run_until_idle();
  CHECK(ran == 0);
}

TEST_CASE("next_event_time has no side effects and is max() when idle", "[core][simulation]") {
  esm::simulation sim;
  CHECK(sim.next_event_time() == time_point::max());
  int ran = 0;
  sim.schedule_at(at(5s), [&] { ++ran; });
  CHECK(sim.next_event_time() == at(5s));
  CHECK(sim.next_event_time() == at(5s));
  CHECK(ran == 0);
  CHECK(sim.now() == time_point{});
}

TEST_CASE("advance_to is inclusive and sets now; run_until is exclusive", "[core][simulation]") {
  esm::simulation sim;
  std::vector<int> ran;
  sim.schedule_at(at(1s), [&] { ran.push_back(1); });
  sim.schedule_at(at(2s), [&] { ran.push_back(2); });
  sim.schedule_at(at(3s), [&] { ran.push_back(3); });
  CHECK(sim.run_until(at(2s)) == 1);
  CHECK(sim.now() == at(2s));
  CHECK(ran == std::vector<int>{1});
  CHECK(sim.advance_to(at(2s)) == 1);
  CHECK(ran == std::vector<int>{1, 2});
  CHECK(sim.advance_to(at(2500ms)) == 0);
  CHECK(sim.now() == at(2500ms));
  CHECK(sim.run_for(500ms) == 1);
  CHECK(sim.now() == at(3s));
  CHECK(sim.advance_to(at(1h)) == 0);
  CHECK(sim.now() == at(1h));
}

TEST_CASE("step runs every event of the next instant only", "[core][simulation]") {
  esm::simulation sim;
  int n = 0;
  sim.schedule_at(at(1s), [&] { ++n; });
  sim.schedule_at(at(1s), [&] { ++n; });
  sim.schedule_at(at(2s), [&] { ++n; });
  CHECK(sim.step() == 2);
  CHECK(sim.now() == at(1s));
  CHECK(sim.step() == 1);
  CHECK(sim.step() == 0);
  CHECK(n == 3);
}

TEST_CASE("scheduling or advancing into the past is an error", "[core][simulation]") {
  esm::simulation sim;
  sim.advance_to(at(10s));
  CHECK_THROWS_AS(sim.schedule_at(at(9s), [] {}), esm::usage_error);
  CHECK_THROWS_AS(sim.schedule_after(-1ns, [] {}), esm::usage_error);
  CHECK_THROWS_AS(sim.advance_to(at(9s)), esm::usage_error);
  CHECK_THROWS_AS(sim.run_until(at(9s)), esm::usage_error);
  CHECK_THROWS_AS(sim.run_for(-1s), esm::usage_error);
  CHECK_NOTHROW(sim.schedule_at(at(10s), [] {}));
  try {
    sim.schedule_at(at(9s), [] {});
  } catch (const esm::usage_error& e) {
    CHECK(std::string{e.what()} ==
          "schedule_at: t=9s is in the past (now t=10s); events can only be scheduled at or after now()");
  }
}

TEST_CASE("scheduling past the end of virtual time is an error; run_for saturates (issue 14)",
          "[core][simulation][reliability]") {
  const time_point max = time_point::max();
  esm::simulation sim;
  sim.advance_to(at(1s));
  CHECK_THROWS_AS(sim.schedule_after(esm::duration::max(), [] {}), esm::usage_error);
  CHECK_THROWS_WITH(sim.schedule_after(esm::duration::max(), [] {}),
                    "schedule_after: now (t=1s) + delay 9223372036854775807ns passes time_point::max(), the end of "
                    "virtual time (about 292 years)");
  CHECK(sim.idle());
  // The last instant can hold an event; advancing to it runs it.
  int ran = 0;
  sim.schedule_at(max, [&] { ++ran; });
  sim.schedule_after(max - sim.now() - 1ns, [&] { ++ran; });
  CHECK(sim.next_event_time() == max - 1ns);
  CHECK(sim.run_for(esm::duration::max()) == 2);
  CHECK(ran == 2);
  CHECK(sim.now() == max);
  // At the end: a zero delay still fits, nothing later does.
  sim.schedule_after(0s, [&] { ++ran; });
  CHECK_THROWS_AS(sim.schedule_after(1ns, [] {}), esm::usage_error);
  CHECK(sim.advance_to(max) == 1);
  CHECK(sim.run_for(1h) == 0);
  CHECK(sim.now() == max);
}

TEST_CASE("run_until_idle reports a runaway loop instead of hanging", "[core][simulation]") {
  esm::simulation sim{{.idle_event_budget = 1000}};
  std::function<void()> again = [&] { sim.schedule_after(1s, again); };
  sim.schedule_after(1s, again);
  CHECK_THROWS_AS(sim.run_until_idle(), esm::runaway_error);
  CHECK(sim.events_run() == 1000);
  CHECK_THROWS_WITH(sim.run_until_idle(10), Catch::Contains("without becoming idle"));
}

TEST_CASE("a zero-delay self-rescheduling event trips the per-instant guard", "[core][simulation]") {
  esm::simulation sim{{.instant_event_budget = 500}};
  std::function<void()> again = [&] { sim.schedule_after(0s, again); };
  sim.schedule_after(1s, again);
  CHECK_THROWS_AS(sim.advance_to(at(2s)), esm::runaway_error);
  CHECK(sim.now() == at(1s));
}

TEST_CASE("the event loop is not reentrant: the nested call and the outer one both throw (issue 14)",
          "[core][simulation][reliability]") {
  esm::simulation sim;
  bool threw = false;
  int later = 0;
  sim.schedule_after(1s, [&] {
    try {
      sim.run_until_idle();
    } catch (const esm::usage_error&) {
      threw = true; // catching it does not hide the misuse
    }
  });
  sim.schedule_after(2s, [&] { ++later; });
  CHECK_THROWS_WITH(sim.run_until_idle(),
                    "run_until_idle: called from inside an event (a handler, filter, destination or scheduled "
                    "callback); the event loop is not reentrant: schedule the work with schedule_after instead");
  CHECK(threw);
  CHECK(sim.now() == at(1s)); // thrown once the event finished; the next one still pending
  CHECK_FALSE(sim.error_pending());
  CHECK(sim.run_until_idle() == 1);
  CHECK(later == 1);
  for (const auto nested : {0, 1, 2, 3}) {
    sim.schedule_after(1s, [&sim, nested] {
      if (nested == 0) (void)sim.step();
      if (nested == 1) (void)sim.advance_to(sim.now());
      if (nested == 2) (void)sim.run_for(1s);
      if (nested == 3) (void)sim.run_until(sim.now() + 1s);
    });
    CHECK_THROWS_AS(sim.run_for(5s), esm::usage_error);
  }
}

TEST_CASE("raise_after_event: the run call throws once the event is done (issue 14)",
          "[core][simulation][reliability]") {
  esm::simulation sim;
  int ran = 0;
  sim.schedule_at(at(1s), [&] {
    sim.raise_after_event(std::make_exception_ptr(std::runtime_error("first")));
    sim.raise_after_event(std::make_exception_ptr(std::runtime_error("second"))); // dropped
    ++ran;
  });
  sim.schedule_at(at(1s), [&] { ++ran; });
  CHECK_THROWS_WITH(sim.advance_to(at(5s)), "first");
  CHECK(ran == 1);
  CHECK(sim.now() == at(1s));
  CHECK(sim.advance_to(at(5s)) == 1);
  CHECK(ran == 2);
  // Raised outside a run: the next run call throws before running anything.
  sim.schedule_at(at(6s), [&] { ++ran; });
  sim.raise_after_event(std::make_exception_ptr(std::logic_error("between runs")));
  CHECK(sim.error_pending());
  CHECK_THROWS_WITH(sim.step(), "between runs");
  CHECK(ran == 2);
  CHECK(sim.step() == 1);
}

TEST_CASE("an exception from an event propagates and the event is consumed", "[core][simulation]") {
  esm::simulation sim;
  auto token = std::make_shared<int>(0);
  int later = 0;
  sim.schedule_at(at(1s), [token] { throw std::runtime_error("boom"); });
  sim.schedule_at(at(2s), [&] { ++later; });
  CHECK_THROWS_AS(sim.run_until_idle(), std::runtime_error);
  CHECK(token.use_count() == 1);
  CHECK(sim.now() == at(1s));
  CHECK(sim.pending_events() == 1);
  sim.run_until_idle();
  CHECK(later == 1);
}

TEST_CASE("small captures are stored without a heap allocation", "[core][simulation]") {
  esm::simulation sim;
  // Warm up: the first chunk of slots and the heap's capacity are allocated once.
  for (int i = 0; i < 100; ++i) sim.schedule_after(1s, [] {});
  sim.run_until_idle();
  std::uint64_t sum = 0;
  std::array<std::uint64_t, 5> payload{1, 2, 3, 4, 5}; // 40 bytes + a pointer: 48 bytes
  esm_test::allocation_scope scope;
  for (int i = 0; i < 100; ++i) {
    sim.schedule_after(1s, [&sum, payload] { sum += payload[4]; });
  }
  sim.run_until_idle();
  CHECK(scope.count() == 0);
  CHECK(sum == 500);
}

TEST_CASE("large captures work too", "[core][simulation]") {
  esm::simulation sim;
  std::array<std::uint64_t, 32> big{};
  big[31] = 7;
  std::uint64_t got = 0;
  sim.schedule_after(1s, [&got, big] { got = big[31]; });
  const auto cancelled = sim.schedule_after(2s, [&got, big] { got = big[0]; });
  sim.cancel(cancelled);
  sim.run_until_idle();
  CHECK(got == 7);
}

TEST_CASE("many cancellations keep order and bounded memory", "[core][simulation]") {
  esm::simulation sim;
  esm::random_stream rng{1, 1};
  std::vector<esm::timer_id> ids;
  std::vector<std::pair<std::int64_t, int>> expected;
  std::vector<std::pair<std::int64_t, int>> ran;
  for (int i = 0; i < 20'000; ++i) {
    const auto t = rng.uniform_int(0, 1000);
    ids.push_back(sim.schedule_at(at(std::chrono::milliseconds{t}), [&ran, &sim, i] {
      ran.emplace_back(std::chrono::duration_cast<std::chrono::milliseconds>(sim.now().time_since_epoch()).count(), i);
    }));
    expected.emplace_back(t, i);
  }
  std::vector<bool> cancelled(ids.size(), false);
  std::size_t refused = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (rng.bernoulli(0.8)) {
      refused += sim.cancel(ids[i]) ? 0 : 1;
      cancelled[i] = true;
    }
  }
  CHECK(refused == 0);
  std::erase_if(expected, [&](const auto& e) { return cancelled[static_cast<std::size_t>(e.second)]; });
  std::stable_sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  CHECK(sim.pending_events() == expected.size());
  sim.run_until_idle();
  CHECK(ran == expected);
}

TEST_CASE("a seed gives each component its own reproducible stream", "[core][simulation]") {
  esm::simulation a{{.seed = 9}}, b{{.seed = 9}}, c{{.seed = 10}};
  CHECK(a.rng("poller/1")() == b.rng("poller/1")());
  CHECK(a.rng("poller/1")() != a.rng("poller/2")());
  CHECK(a.rng("poller/1")() != c.rng("poller/1")());
  CHECK(a.seed() == 9);
}

TEST_CASE("services are per-simulation singletons destroyed with it", "[core][simulation]") {
  struct counter_service {
    explicit counter_service(esm::simulation&) {}
    int value = 0;
  };
  esm::simulation sim;
  CHECK(sim.find_service<counter_service>() == nullptr);
  sim.service<counter_service>().value = 3;
  CHECK(sim.service<counter_service>().value == 3);
  CHECK_THROWS_AS(sim.make_service<counter_service>(sim), esm::usage_error);
  esm::simulation other;
  CHECK(other.service<counter_service>().value == 0);
}

TEST_CASE("simulation options are validated", "[core][simulation]") {
  CHECK_THROWS_AS(esm::simulation({.idle_event_budget = 0}), esm::config_error);
  CHECK_THROWS_AS(esm::simulation({.instant_event_budget = 0}), esm::config_error);
  CHECK_NOTHROW(esm::simulation({.idle_event_budget = 1, .instant_event_budget = 1}));
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  CHECK_NOTHROW(esm::simulation({.idle_event_budget = max, .instant_event_budget = max}));
  try {
    esm::simulation bad{{.idle_event_budget = 0}};
    FAIL("no throw");
  } catch (const esm::config_error& e) {
    CHECK(std::string{e.what()} == "idle_event_budget must be in [1, 2^64) for simulation_options, got 0");
  }
}

TEST_CASE("pending events are destroyed with the simulation", "[core][simulation]") {
  auto token = std::make_shared<int>(0);
  {
    esm::simulation sim;
    sim.schedule_after(1s, [token] {});
    std::array<char, 200> big{};
    sim.schedule_after(1s, [token, big] { (void)big; });
    CHECK(token.use_count() == 3);
  }
  CHECK(token.use_count() == 1);
}

TEST_CASE("event_callable accepts nullary callables only", "[core][simulation]") {
  STATIC_REQUIRE(esm::event_callable<void (*)()>);
  STATIC_REQUIRE(esm::event_callable<decltype([] { return 1; })>);
  STATIC_REQUIRE(!esm::event_callable<decltype([](int) {})>);
  STATIC_REQUIRE(!esm::event_callable<int>);
}
