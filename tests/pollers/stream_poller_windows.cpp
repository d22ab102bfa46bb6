// Tests of tumbling windows in esm/pollers/stream_poller.hpp with esm/policies/tumbling_window.hpp
// (spec §2.7, §4.5).
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>

#include <string>
#include <vector>

#include "support/catch.hpp"

using namespace std::chrono_literals;
using esm::time_point;
using kstream = esm::kinesis_stream<std::string>;
using kbatch = esm::stream_batch<kstream::record_type>;

namespace {

time_point at(esm::duration d) { return time_point{} + d; }

struct window_call {
  time_point time;
  time_point start, end;
  std::string state;
  bool final;
  bool early;
  std::vector<std::string> data;
};

// A handler that sums the records' numbers into the state: "sum".
struct summing {
  std::vector<window_call>* calls;
  esm::window_response operator()(const kbatch& b, const esm::window_context& w, esm::invocation_context& ctx) const {
    window_call c{ctx.start_time(), w.start, w.end, std::string{w.state}, w.is_final_invoke_for_window,
                  w.is_window_terminated_early, {}};
    long sum = w.state.empty() ? 0 : std::stol(std::string{w.state});
    for (const auto& r : b) {
      c.data.push_back(r.data);
      sum += std::stol(r.data);
    }
    calls->push_back(std::move(c));
    return {std::to_string(sum), {}};
  }
};

} // namespace

TEST_CASE("tumbling window config: [0s, 900s], whole seconds, needs a windowed handler (§2.7)",
          "[pollers][stream][windows][spec-2.7]") {
  STATIC_REQUIRE(esm::window_policy<esm::tumbling_window>);
  STATIC_REQUIRE(!esm::window_policy<esm::batching>);
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  std::vector<window_call> calls;
  auto make = [&](esm::duration d) {
    esm::stream_poller p{s, fn, summing{&calls}, esm::tumbling_window{.size = d},
                         esm::starting_position::trim_horizon()};
  };
  CHECK_NOTHROW(make(1s));
  CHECK_NOTHROW(make(900s));
  CHECK_THROWS_AS(make(901s), esm::config_error);
  CHECK_THROWS_AS(make(1500ms), esm::config_error);
  CHECK_THROWS_WITH(make(0s), Catch::Contains("tumbling_window"));
  // A plain handler with a window is a configuration error too.
  CHECK_THROWS_AS(
      esm::stream_poller(
          s, fn, [](const kbatch&) {}, esm::tumbling_window{.size = 10s}, esm::starting_position::trim_horizon()),
      esm::config_error);
  CHECK_NOTHROW(esm::stream_poller(
      s, fn, [](const kbatch&) {}, esm::tumbling_window{.size = 0s}, esm::starting_position::trim_horizon()));
}

namespace {
// A handler with both call forms: the window form sums into the state, the plain form records.
struct both_forms {
  std::vector<window_call>* windowed;
  std::vector<std::vector<std::string>>* plain;
  esm::window_response operator()(const kbatch& b, const esm::window_context& w, esm::invocation_context& ctx) const {
    return summing{windowed}(b, w, ctx);
  }
  void operator()(const kbatch& b) const {
    std::vector<std::string> d;
    for (const auto& r : b) d.push_back(r.data);
    plain->push_back(std::move(d));
  }
};
} // namespace

TEST_CASE("a handler with both call forms: the window form while TumblingWindowInSeconds > 0, the plain "
          "form at 0, and update() switches (§2.7)",
          "[pollers][stream][windows][spec-2.7]") {
  using poller_t = esm::stream_poller<kstream, both_forms, esm::tumbling_window>;
  STATIC_REQUIRE(poller_t::dual_handler);
  STATIC_REQUIRE_FALSE(esm::stream_poller<kstream, summing, esm::tumbling_window>::dual_handler);
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  std::vector<window_call> windowed;
  std::vector<std::vector<std::string>> plain;
  SECTION("no window: plain calls only, no window policy needed") {
    esm::stream_poller poller{s, fn, both_forms{&windowed, &plain}, esm::starting_position::trim_horizon()};
    s.put("k", "1");
    s.put("k", "2");
    sim.run_until_idle();
    CHECK(windowed.empty());
    CHECK(plain == std::vector<std::vector<std::string>>{{"1", "2"}});
    CHECK(poller.configuration().tumbling_window == 0s);
  }
  SECTION("a window: window calls only") {
    esm::stream_poller poller{s, fn, both_forms{&windowed, &plain}, esm::tumbling_window{.size = 10s},
                              esm::starting_position::trim_horizon()};
    s.put("k", "1");
    s.put("k", "2");
    sim.run_until_idle();
    CHECK(plain.empty());
    REQUIRE_FALSE(windowed.empty());
    CHECK(windowed.back().final);
    CHECK(windowed.back().state == "3");
  }
  SECTION("update() turns windows on, then off") {
    esm::stream_poller poller{s, fn, both_forms{&windowed, &plain}, esm::tumbling_window{},
                              esm::starting_position::trim_horizon()};
    s.put("k", "1");
    sim.run_until_idle();
    poller.update({.tumbling_window = 10s});
    s.put("k", "2");
    sim.run_until_idle();
    poller.update({.tumbling_window = 0s});
    s.put("k", "3");
    sim.run_until_idle();
    CHECK(plain == std::vector<std::vector<std::string>>{{"1"}, {"3"}});
    REQUIRE_FALSE(windowed.empty());
    CHECK(windowed.front().data == std::vector<std::string>{"2"});
    CHECK(windowed.back().state == "2");
    CHECK(poller.metrics().processed_event_count == 3);
  }
}

TEST_CASE("records are grouped by arrival into fixed windows; state flows invoke to invoke (§2.7)",
          "[pollers][stream][windows][spec-2.7]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  std::vector<window_call> calls;
  esm::stream_poller poller{s,
                            fn,
                            summing{&calls},
                            esm::tumbling_window{.size = 10s},
                            esm::batching{.batch_size = 2},
                            esm::starting_position::trim_horizon()};
  sim.advance_to(at(1s));
  s.put("k", "1");
  s.put("k", "2");
  s.put("k", "3"); // three records of window [0s, 10s): two invokes of batch size 2
  sim.advance_to(at(12s));
  s.put("k", "10"); // window [10s, 20s)
  sim.run_until_idle();
  REQUIRE(calls.size() >= 4);
  CHECK(calls[0].data == std::vector<std::string>{"1", "2"});
  CHECK(calls[0].state.empty());
  CHECK(calls[0].start == at(0s));
  CHECK(calls[0].end == at(10s));
  CHECK_FALSE(calls[0].final);
  CHECK(calls[1].data == std::vector<std::string>{"3"});
  CHECK(calls[1].state == "3"); // what the first invoke returned
  CHECK_FALSE(calls[1].final);  // sent before the window ended
  // The window's final invoke, when it ends (no records left to carry), with the state so far.
  CHECK(calls[2].data.empty());
  CHECK(calls[2].final);
  CHECK(calls[2].state == "6");
  CHECK(calls[2].time == at(10s));
  // The next window starts with a fresh state.
  CHECK(calls[3].start == at(10s));
  CHECK(calls[3].state.empty());
  CHECK(calls[3].data == std::vector<std::string>{"10"});
  CHECK(calls.back().final);
  CHECK(calls.back().state == "10");
  CHECK(poller.metrics().processed_event_count == 4);
}

TEST_CASE("a batch sent after its window ended is the window's final invoke (§2.7)",
          "[pollers][stream][windows][spec-2.7]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  std::vector<window_call> calls;
  s.put("k", "1");
  s.put("k", "2");
  sim.advance_to(at(15s)); // the mapping starts late: the whole window [0, 10s) is in the past
  esm::stream_poller poller{s, fn, summing{&calls}, esm::tumbling_window{.size = 10s},
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].final);
  CHECK(calls[0].data == std::vector<std::string>{"1", "2"});
}

TEST_CASE("windows are aligned on Unix time through the wall epoch (§4.5)", "[pollers][stream][windows][spec-4.5]") {
  // Virtual zero is 00:00:07 UTC, so 10 s windows start at t = 3s, 13s, ... (00:00:10, 00:00:20).
  esm::simulation sim{{.epoch = esm::wall_epoch::at(2026, 1, 1, 7s)}};
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  std::vector<window_call> calls;
  sim.advance_to(at(10s));
  s.put("k", "5"); // 00:00:17 → window 00:00:10–00:00:20 = t 3s .. 13s
  esm::stream_poller poller{s, fn, summing{&calls}, esm::tumbling_window{.size = 10s},
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  REQUIRE_FALSE(calls.empty());
  CHECK(calls[0].start == at(3s));
  CHECK(calls[0].end == at(13s));
  CHECK(sim.epoch().iso8601(calls[0].start) == "2026-01-01T00:00:10.000Z");
}

TEST_CASE("a response without state fails the invoke; it is retried with the same state (§2.7)",
          "[pollers][stream][windows][spec-2.7]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  int calls = 0;
  std::vector<std::string> states;
  esm::stream_poller poller{s,
                            fn,
                            [&](const kbatch&, const esm::window_context& w) -> esm::window_response {
                              states.emplace_back(w.state);
                              if (++calls == 1) return {}; // no state: a failure
                              return {"ok", {}};
                            },
                            esm::tumbling_window{.size = 60s},
                            esm::stream_retry{.max_attempts = 3},
                            esm::starting_position::trim_horizon()};
  s.put("k", "1");
  sim.run_until_idle();
  REQUIRE(states.size() >= 2);
  CHECK(states[0].empty());
  CHECK(states[1].empty()); // the failed invoke's (missing) state was not kept
  CHECK(poller.metrics().retries >= 1);
  CHECK(poller.metrics().processed_event_count == 1);
}

TEST_CASE("state over 1 MB ends the window early: the next invoke starts fresh and says so (§2.7)",
          "[pollers][stream][windows][spec-2.7]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  std::vector<window_call> calls;
  esm::stream_poller poller{s,
                            fn,
                            [&](const kbatch& b, const esm::window_context& w) -> esm::window_response {
                              calls.push_back({{}, w.start, w.end, std::string{w.state}, w.is_final_invoke_for_window,
                                               w.is_window_terminated_early, {}});
                              for (const auto& r : b) calls.back().data.push_back(r.data);
                              if (calls.size() == 1) return {std::string(1'048'577, 's'), {}};
                              return {"small", {}};
                            },
                            esm::tumbling_window{.size = 60s},
                            esm::batching{.batch_size = 1},
                            esm::starting_position::trim_horizon()};
  s.put("k", "1");
  s.put("k", "2");
  sim.run_until_idle();
  REQUIRE(calls.size() >= 2);
  CHECK_FALSE(calls[0].early);
  CHECK(calls[1].early);
  CHECK(calls[1].state.empty());
  CHECK(calls[1].start == calls[0].start); // the same window continues
}

TEST_CASE("resharding closes a window: the parent's final invoke comes before the children (§2.7)",
          "[pollers][stream][windows][spec-2.7]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  std::vector<window_call> calls;
  esm::stream_poller poller{s, fn, summing{&calls}, esm::tumbling_window{.size = 300s},
                            esm::starting_position::trim_horizon()};
  s.put("k", "1");
  sim.advance_to(at(2s));
  s.split_shard("shardId-000000000000");
  s.put("k", "2");
  sim.run_until_idle();
  REQUIRE(calls.size() >= 3);
  // The parent's window ends with the shard, long before 300 s.
  bool parent_final = false;
  for (const auto& c : calls) {
    if (c.final && c.time < at(300s)) parent_final = true;
  }
  CHECK(parent_final);
  CHECK(poller.metrics().processed_event_count == 2);
}

TEST_CASE("bisection does not split windowed batches (§2.7, §2.4)", "[pollers][stream][windows][spec-2.7]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  std::vector<std::size_t> sizes;
  esm::stream_poller poller{s,
                            fn,
                            [&](const kbatch& b, const esm::window_context&) -> esm::window_response {
                              sizes.push_back(b.size());
                              if (b.size() > 0) throw std::runtime_error("x");
                              return {"", {}};
                            },
                            esm::tumbling_window{.size = 60s},
                            esm::stream_retry{.max_attempts = 1, .bisect_on_error = true},
                            esm::starting_position::trim_horizon()};
  for (int i = 0; i < 4; ++i) s.put("k", std::to_string(i));
  sim.run_until_idle();
  REQUIRE(sizes.size() >= 2);
  CHECK(sizes[0] == 4);
  CHECK(sizes[1] == 4); // retried whole, not halved
  CHECK(poller.metrics().bisections == 0);
  CHECK(poller.metrics().dropped_event_count == 4);
}
