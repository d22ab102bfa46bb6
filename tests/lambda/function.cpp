// Tests of esm/lambda/function.hpp: timeout, concurrency, throttling, cold starts, durations,
// metrics. Spec: aws-esm-semantics.md §6 (function metrics) and §2.2 (error classes).
#include <esm/lambda/function.hpp>

#include <string>
#include <vector>

#include "support/alloc_counter.hpp"
#include "support/catch.hpp"

using namespace std::chrono_literals;
using esm::time_point;

namespace {
struct event {
  int id = 0;
};

time_point at(esm::duration d) { return time_point{} + d; }

struct recorder {
  std::vector<esm::invocation_result> results;
  auto callback() {
    return [this](const esm::invocation_result& r) { results.push_back(r); };
  }
};

// xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx, lowercase hex.
bool is_uuid_v4(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = s[i];
    if (dash != (c == '-')) return false;
    if (!dash && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return s[14] == '4' && std::string_view{"89ab"}.find(s[19]) != std::string_view::npos;
}

std::string message_of(auto&& make) {
  try {
    make();
  } catch (const esm::config_error& e) {
    return e.what();
  }
  return "no config_error";
}
} // namespace

TEST_CASE("function config: timeout is whole seconds in [1s, 900s]", "[lambda][function][config]") {
  esm::simulation sim;
  CHECK_NOTHROW(esm::function(sim, {.name = "a", .timeout = 1s}));
  CHECK_NOTHROW(esm::function(sim, {.name = "b", .timeout = 900s}));
  CHECK(message_of([&] { esm::function(sim, {.name = "c", .timeout = 0s}); }) ==
        "timeout must be in [1s, 900s] for function 'c', got 0s");
  CHECK(message_of([&] { esm::function(sim, {.name = "d", .timeout = 901s}); }) ==
        "timeout must be in [1s, 900s] for function 'd', got 901s");
  CHECK(message_of([&] { esm::function(sim, {.name = "e", .timeout = 1500ms}); }) ==
        "timeout must be a whole number of seconds in [1s, 900s] for function 'e', got 1500ms");
}

TEST_CASE("function config: memory in [128, 10240] MB", "[lambda][function][config]") {
  esm::simulation sim;
  CHECK_NOTHROW(esm::function(sim, {.name = "a", .memory_mb = 128}));
  CHECK_NOTHROW(esm::function(sim, {.name = "b", .memory_mb = 10240}));
  CHECK(message_of([&] { esm::function(sim, {.name = "c", .memory_mb = 127}); }) ==
        "memory_mb must be in [128, 10240] for function 'c', got 127");
  CHECK(message_of([&] { esm::function(sim, {.name = "d", .memory_mb = 10241}); }) ==
        "memory_mb must be in [128, 10240] for function 'd', got 10241");
}

TEST_CASE("function config: name is 1-64 characters of [a-zA-Z0-9-_]", "[lambda][function][config]") {
  esm::simulation sim;
  CHECK_NOTHROW(esm::function(sim, {.name = std::string(64, 'x')}));
  CHECK_NOTHROW(esm::function(sim, {.name = "A-z_09"}));
  CHECK_THROWS_AS(esm::function(sim, {.name = std::string(65, 'x')}), esm::config_error);
  CHECK_THROWS_AS(esm::function(sim, {.name = ""}), esm::config_error);
  CHECK(message_of([&] { esm::function(sim, {.name = "has space"}); }) ==
        "name must be 1-64 characters of [a-zA-Z0-9-_] for function, got 'has space'");
}

TEST_CASE("function config: reserved concurrency in [0, account limit - unreserved minimum]",
          "[lambda][function][config]") {
  SECTION("default account: limit 1000, 100 kept unreserved") {
    esm::simulation sim;
    CHECK_NOTHROW(esm::function(sim, {.name = "zero", .reserved_concurrency = 0}));
    CHECK_NOTHROW(esm::function(sim, {.name = "max", .reserved_concurrency = 900}));
    CHECK(message_of([&] { esm::function(sim, {.name = "over", .reserved_concurrency = 901}); }) ==
          "reserved_concurrency must be in [0, 900] for function 'over' (account limit 1000, 100 kept "
          "unreserved, 0 reserved by other functions), got 901");
    CHECK_THROWS_AS(esm::function(sim, {.name = "neg", .reserved_concurrency = -1}), esm::config_error);
  }
  SECTION("an account that keeps nothing unreserved allows 1000") {
    esm::simulation sim;
    esm::account::configure(sim, {.concurrency_limit = 1000, .unreserved_minimum = 0});
    CHECK_NOTHROW(esm::function(sim, {.name = "all", .reserved_concurrency = 1000}));
    CHECK_THROWS_AS(esm::function(sim, {.name = "over", .reserved_concurrency = 1001}), esm::config_error);
  }
  SECTION("reservations add up; a destroyed function returns its reservation") {
    esm::simulation sim;
    std::optional<esm::function> a;
    a.emplace(sim, esm::function_config{.name = "a", .reserved_concurrency = 600});
    CHECK(esm::account::of(sim).reserved() == 600);
    CHECK_THROWS_AS(esm::function(sim, {.name = "b", .reserved_concurrency = 301}), esm::config_error);
    CHECK_NOTHROW(esm::function(sim, {.name = "c", .reserved_concurrency = 300}));
    a.reset();
    CHECK(esm::account::of(sim).reserved() == 0);
  }
}

TEST_CASE("account config: limit in [1, 1000000], unreserved minimum in [0, limit]", "[lambda][function][config]") {
  esm::simulation sim;
  CHECK_NOTHROW(esm::account(sim, {.concurrency_limit = 1, .unreserved_minimum = 0}));
  CHECK_NOTHROW(esm::account(sim, {.concurrency_limit = 1'000'000, .unreserved_minimum = 1'000'000}));
  CHECK(message_of([&] { esm::account(sim, {.concurrency_limit = 0, .unreserved_minimum = 0}); }) ==
        "concurrency_limit must be in [1, 1000000] for account, got 0");
  CHECK_THROWS_AS(esm::account(sim, {.concurrency_limit = 1'000'001}), esm::config_error);
  CHECK_THROWS_AS(esm::account(sim, {.concurrency_limit = 10, .unreserved_minimum = 11}), esm::config_error);
  CHECK_THROWS_AS(esm::account(sim, {.concurrency_limit = 10, .unreserved_minimum = -1}), esm::config_error);
  esm::account::of(sim);
  CHECK_THROWS_AS(esm::account::configure(sim, {}), esm::usage_error);
}

TEST_CASE("cold start keep_warm in [0s, 24h]; duration models reject negative values", "[lambda][function][config]") {
  esm::simulation sim;
  CHECK_NOTHROW(esm::function(sim, {.name = "a", .cold_start = esm::cold_start_model{.keep_warm = 0s}}));
  CHECK_NOTHROW(esm::function(sim, {.name = "b", .cold_start = esm::cold_start_model{.keep_warm = 24h}}));
  CHECK_THROWS_AS(esm::function(sim, {.name = "c", .cold_start = esm::cold_start_model{.keep_warm = 24h + 1ns}}),
                  esm::config_error);
  CHECK_THROWS_AS(esm::function(sim, {.name = "d", .cold_start = esm::cold_start_model{.keep_warm = -1ns}}),
                  esm::config_error);
  CHECK_NOTHROW(esm::duration_model::fixed(0s));
  CHECK_NOTHROW(esm::duration_model::uniform(1s, 1s));
  CHECK_NOTHROW(esm::duration_model::exponential(1ns));
  CHECK_NOTHROW(esm::duration_model::normal(0s, 0s));
  CHECK_NOTHROW(esm::duration_model::fixed(1s).plus_per_item(0s));
  CHECK_THROWS_AS(esm::duration_model::uniform(-1ns, 1s), esm::config_error);
  CHECK_THROWS_AS(esm::duration_model::normal(-1ns, 0s), esm::config_error);
  CHECK_THROWS_AS(esm::duration_model::fixed(-1ns), esm::config_error);
  CHECK_THROWS_AS(esm::duration_model::uniform(2s, 1s), esm::config_error);
  CHECK_THROWS_AS(esm::duration_model::exponential(0s), esm::config_error);
  CHECK_THROWS_AS(esm::duration_model::normal(1s, -1s), esm::config_error);
  CHECK_THROWS_AS(esm::duration_model::custom({}), esm::config_error);
  CHECK_THROWS_AS(esm::duration_model::fixed(1s).plus_per_item(-1ns), esm::config_error);
}

TEST_CASE("the handler runs at the invocation's start; its outcome takes effect at start + duration",
          "[lambda][function]") {
  esm::simulation sim;
  esm::function fn{sim, {.name = "orders"}};
  recorder rec;
  time_point ran_at = time_point::max();
  auto h = [&](const event&, esm::invocation_context& ctx) {
    ran_at = ctx.start_time();
    ctx.elapse(200ms);
  };
  event e{1};
  sim.advance_to(at(1s));
  CHECK(fn.invoke(e, h, rec.callback()));
  CHECK(ran_at == at(1s));    // ran synchronously, at the start
  CHECK(rec.results.empty()); // the outcome is not visible yet
  CHECK(fn.concurrent_executions() == 1);
  sim.run_until_idle();
  REQUIRE(rec.results.size() == 1);
  const auto& r = rec.results[0];
  CHECK(r.kind == esm::outcome::success);
  CHECK(r.start == at(1s));
  CHECK(r.end == at(1200ms));
  CHECK(sim.now() == at(1200ms));
  CHECK(r.run_time == 200ms);
  CHECK(fn.concurrent_executions() == 0);
  CHECK(fn.metrics().invocations == 1);
  CHECK(fn.metrics().errors == 0);
  CHECK(fn.metrics().duration.sum == 200ms);
}

TEST_CASE("a duration above the timeout is a timeout error even if the handler returned (§2.2)",
          "[lambda][function][spec-2.2]") {
  esm::simulation sim;
  esm::function fn{sim, {.name = "slow", .timeout = 3s}};
  recorder rec;
  auto h = [](const event&, esm::invocation_context& ctx) -> esm::batch_response {
    ctx.elapse(3s + 1ms);
    return esm::batch_response::success();
  };
  event e;
  fn.invoke(e, h, rec.callback());
  sim.run_until_idle();
  REQUIRE(rec.results.size() == 1);
  const auto& r = rec.results[0];
  CHECK(r.kind == esm::outcome::timeout);
  CHECK(r.end == at(3s)); // killed at the timeout
  CHECK(r.run_time == 3s);
  CHECK(r.error_type == "Sandbox.Timedout");
  CHECK(r.error_message == "Task timed out after 3.00 seconds");
  CHECK_FALSE(r.response.has_value());
  CHECK(fn.metrics().errors == 1);
  CHECK(fn.metrics().timeouts == 1);
  CHECK(fn.metrics().invocations == 1);
}

TEST_CASE("exactly the timeout is not a timeout", "[lambda][function][spec-2.2]") {
  esm::simulation sim;
  esm::function fn{sim, {.name = "edge", .timeout = 3s}};
  recorder rec;
  auto h = [](const event&, esm::invocation_context& ctx) { ctx.elapse(3s); };
  event e;
  fn.invoke(e, h, rec.callback());
  sim.run_until_idle();
  CHECK(rec.results.at(0).kind == esm::outcome::success);
}

TEST_CASE("a thrown exception is a function error that keeps its type and text (§2.2)",
          "[lambda][function][spec-2.2]") {
  esm::simulation sim;
  esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(50ms)}};
  recorder rec;
  auto h = [](const event& e) {
    if (e.id == 7) throw std::invalid_argument("poison record 7");
  };
  event poison{7}, fine{8};
  CHECK_NOTHROW(fn.invoke(poison, h, rec.callback()));
  fn.invoke(fine, h, rec.callback());
  sim.run_until_idle();
  REQUIRE(rec.results.size() == 2);
  CHECK(rec.results[0].kind == esm::outcome::function_error);
  CHECK(rec.results[0].error_type == "std::invalid_argument");
  CHECK(rec.results[0].error_message == "poison record 7");
  CHECK(rec.results[0].end == at(50ms));
  CHECK(rec.results[1].kind == esm::outcome::success);
  CHECK(fn.metrics().errors == 1);
  CHECK(fn.metrics().invocations == 2);
}

TEST_CASE("a partial batch response is reported as partial; an empty one as success", "[lambda][function]") {
  esm::simulation sim;
  esm::function fn{sim, {.name = "p"}};
  recorder rec;
  auto h = [](const event& e) {
    return e.id == 1 ? esm::batch_response::failed({"49590338271490256608559692538361571095921575989136588898"})
                     : esm::batch_response::success();
  };
  event a{1}, b{2};
  fn.invoke(a, h, rec.callback());
  fn.invoke(b, h, rec.callback());
  sim.run_until_idle();
  REQUIRE(rec.results.size() == 2);
  CHECK(rec.results[0].kind == esm::outcome::partial);
  REQUIRE(rec.results[0].response.has_value());
  CHECK(rec.results[0].response->batch_item_failures.size() == 1);
  CHECK(rec.results[1].kind == esm::outcome::success);
  CHECK(rec.results[1].response.has_value());
  CHECK(fn.metrics().errors == 0);
}

TEST_CASE("reserved concurrency 2 with 10 simultaneous invocations: 2 run, 8 throttle (§6)",
          "[lambda][function][spec-6]") {
  esm::simulation sim;
  esm::function fn{sim,
                   {.name = "limited", .reserved_concurrency = 2, .default_duration = esm::duration_model::fixed(1s)}};
  recorder rec;
  int handler_runs = 0;
  auto h = [&](const event&) { ++handler_runs; };
  std::vector<event> events(10);
  int started = 0;
  for (auto& e : events) started += fn.invoke(e, h, rec.callback()) ? 1 : 0;
  CHECK(started == 2);
  CHECK(handler_runs == 2); // a throttled invocation never reaches the handler
  CHECK(fn.concurrent_executions() == 2);
  sim.run_until_idle();
  REQUIRE(rec.results.size() == 10);
  int throttled = 0;
  for (const auto& r : rec.results) {
    if (r.kind == esm::outcome::throttled) {
      ++throttled;
      CHECK(r.end == at(0s));
      CHECK(r.error_type == "TooManyRequestsException");
      CHECK(r.request_id().empty());
    }
  }
  CHECK(throttled == 8);
  CHECK(fn.metrics().throttles == 8);
  CHECK(fn.metrics().invocations == 2); // Invocations excludes throttles
  CHECK(fn.metrics().errors == 0);      // throttles are not errors
  CHECK(fn.metrics().max_concurrent_executions == 2);
  // Capacity is back once the running invocations end.
  event again;
  CHECK(fn.invoke(again, h, rec.callback()));
}

TEST_CASE("reserved concurrency 0 throttles every invocation", "[lambda][function]") {
  esm::simulation sim;
  esm::function fn{sim, {.name = "off", .reserved_concurrency = 0}};
  recorder rec;
  auto h = [](const event&) {};
  event e;
  CHECK_FALSE(fn.invoke(e, h, rec.callback()));
  sim.run_until_idle();
  CHECK(rec.results.at(0).kind == esm::outcome::throttled);
}

TEST_CASE("unreserved functions share the account's pool; reservations shrink it", "[lambda][function]") {
  esm::simulation sim;
  auto& acct = esm::account::configure(sim, {.concurrency_limit = 10, .unreserved_minimum = 0});
  esm::function reserved{sim, {.name = "r", .reserved_concurrency = 7}};
  esm::function a{sim, {.name = "a", .default_duration = esm::duration_model::fixed(1s)}};
  esm::function b{sim, {.name = "b", .default_duration = esm::duration_model::fixed(1s)}};
  CHECK(acct.unreserved_pool() == 3);
  recorder rec;
  auto h = [](const event&) {};
  event e;
  CHECK(a.invoke(e, h, rec.callback()));
  CHECK(a.invoke(e, h, rec.callback()));
  CHECK(b.invoke(e, h, rec.callback()));
  CHECK_FALSE(b.invoke(e, h, rec.callback())); // the pool of 3 is used up by a and b together
  CHECK(b.available_concurrency() == 0);
  CHECK(reserved.invoke(e, h, rec.callback())); // the reservation is untouched
  CHECK(acct.concurrent_executions() == 4);
  sim.run_until_idle();
  CHECK(acct.max_concurrent_executions() == 4);
  CHECK(acct.concurrent_executions() == 0);
  CHECK(b.metrics().throttles == 1);
}

TEST_CASE("the duration model decides when the handler does not elapse", "[lambda][function]") {
  esm::simulation sim;
  esm::function fn{sim, {.name = "m", .default_duration = esm::duration_model::fixed(100ms).plus_per_item(2ms)}};
  recorder rec;
  auto h = [](const event&) {};
  event e;
  fn.invoke(e, h, rec.callback(), {.items = 50});
  sim.run_until_idle();
  CHECK(rec.results.at(0).run_time == 200ms);

  esm::function u{sim, {.name = "u", .default_duration = esm::duration_model::uniform(10ms, 20ms)}};
  esm::function x{sim, {.name = "x", .default_duration = esm::duration_model::exponential(10ms)}};
  esm::function n{sim, {.name = "n", .default_duration = esm::duration_model::normal(10ms, 100ms)}};
  esm::function c{
      sim, {.name = "c", .default_duration = esm::duration_model::custom([](esm::random_stream&, std::size_t items) {
                           return std::chrono::milliseconds{static_cast<int>(items)};
                         })}};
  for (int i = 0; i < 200; ++i) {
    u.invoke(e, h, rec.callback());
    x.invoke(e, h, rec.callback());
    n.invoke(e, h, rec.callback());
    c.invoke(e, h, rec.callback(), {.items = 7});
  }
  sim.run_until_idle();
  for (std::size_t i = 1; i < rec.results.size(); ++i) {
    const auto& r = rec.results[i];
    REQUIRE(r.run_time >= esm::duration::zero());
    REQUIRE(r.kind == esm::outcome::success);
  }
  CHECK(u.metrics().duration.min >= 10ms);
  CHECK(u.metrics().duration.max <= 20ms);
  CHECK(n.metrics().duration.min == esm::duration::zero()); // clamped at zero
  CHECK(c.metrics().duration.max == 7ms);
  CHECK(x.metrics().duration.mean() > 5ms);
  CHECK(x.metrics().duration.mean() < 15ms);
}

TEST_CASE("cold starts: a new environment pays init; a warm one is reused until keep_warm", "[lambda][function]") {
  esm::simulation sim;
  esm::function fn{sim,
                   {.name = "cold",
                    .cold_start = esm::cold_start_model{.init = esm::duration_model::fixed(300ms), .keep_warm = 5min},
                    .default_duration = esm::duration_model::fixed(100ms)}};
  recorder rec;
  time_point handler_start{};
  auto h = [&](const event&, esm::invocation_context& ctx) { handler_start = ctx.start_time(); };
  event e;
  fn.invoke(e, h, rec.callback());
  CHECK(handler_start == at(300ms)); // the handler starts after init
  sim.run_until_idle();
  CHECK(rec.results.at(0).cold_start);
  CHECK(rec.results.at(0).init_duration == 300ms);
  CHECK(rec.results.at(0).end == at(400ms));
  // Warm: reused within keep_warm.
  sim.advance_to(at(400ms) + 5min);
  fn.invoke(e, h, rec.callback());
  // Two at once: one warm environment, so the second is cold.
  fn.invoke(e, h, rec.callback());
  sim.run_until_idle();
  CHECK_FALSE(rec.results.at(1).cold_start);
  CHECK(rec.results.at(2).cold_start);
  // Idle longer than keep_warm: reclaimed, cold again (both environments).
  sim.advance_to(sim.now() + 5min + 1ns);
  fn.invoke(e, h, rec.callback());
  sim.run_until_idle();
  CHECK(rec.results.at(3).cold_start);
  CHECK(fn.metrics().cold_starts == 3);
  CHECK(fn.metrics().init_duration.sum == 900ms);
  CHECK(fn.metrics().duration.sum == 400ms); // Duration excludes init
}

TEST_CASE("the context shows attempt, remaining time and a UUID-shaped request id", "[lambda][function]") {
  esm::simulation sim;
  esm::function fn{sim, {.name = "ctx", .timeout = 10s, .memory_mb = 512}};
  recorder rec;
  std::string request_id;
  int attempt = 0;
  esm::duration remaining{};
  int memory = 0;
  auto h = [&](const event&, esm::invocation_context& ctx) {
    ctx.elapse(4s);
    request_id = std::string{ctx.request_id()};
    attempt = ctx.attempt();
    remaining = ctx.remaining_time();
    memory = ctx.memory_limit_mb();
  };
  event e;
  fn.invoke(e, h, rec.callback(), {.attempt = 3});
  sim.run_until_idle();
  CHECK(attempt == 3);
  CHECK(rec.results.at(0).attempt == 3);
  CHECK(remaining == 6s);
  CHECK(memory == 512);
  CHECK(is_uuid_v4(request_id));
  CHECK(rec.results.at(0).request_id() == request_id);
  CHECK_FALSE(is_uuid_v4("not-a-uuid"));
  CHECK_FALSE(is_uuid_v4("3206ad48-0000-1000-8000-000000000000")); // version 1
  CHECK_THROWS_AS(fn.invoke(e, h, rec.callback(), {.attempt = 0}), esm::usage_error);
}

TEST_CASE("request ids and durations are reproducible for a seed", "[lambda][function]") {
  auto run = [](std::uint64_t seed) {
    esm::simulation sim{{.seed = seed}};
    esm::function fn{sim, {.name = "det", .default_duration = esm::duration_model::exponential(50ms)}};
    std::vector<std::string> out;
    auto h = [](const event&) {};
    event e;
    for (int i = 0; i < 5; ++i) {
      fn.invoke(e, h, [&](const esm::invocation_result& r) {
        out.push_back(std::string{r.request_id()} + "@" + esm::to_string(r.end));
      });
    }
    sim.run_until_idle();
    return out;
  };
  CHECK(run(1) == run(1));
  CHECK(run(1) != run(2));
}

TEST_CASE("a completion callback may invoke again", "[lambda][function]") {
  esm::simulation sim;
  esm::function fn{sim,
                   {.name = "chain", .reserved_concurrency = 1, .default_duration = esm::duration_model::fixed(1s)}};
  auto h = [](const event&) {};
  event e;
  int completions = 0;
  std::function<void(const esm::invocation_result&)> next = [&](const esm::invocation_result& r) {
    CHECK(r.kind == esm::outcome::success); // the slot was released before the callback
    if (++completions < 100) fn.invoke(e, h, next);
  };
  fn.invoke(e, h, next);
  sim.run_until_idle();
  CHECK(completions == 100);
  CHECK(sim.now() == at(100s));
  CHECK(fn.metrics().throttles == 0);
}

TEST_CASE("destroying a function cancels completions in flight and frees account capacity", "[lambda][function]") {
  esm::simulation sim;
  int called = 0;
  {
    esm::function fn{sim, {.name = "gone"}};
    auto h = [](const event&) {};
    event e;
    fn.invoke(e, h, [&](const esm::invocation_result&) { ++called; });
    CHECK(esm::account::of(sim).concurrent_executions() == 1);
  }
  sim.run_until_idle();
  CHECK(called == 0);
  CHECK(esm::account::of(sim).concurrent_executions() == 0);
  CHECK(esm::account::of(sim).unreserved_in_use() == 0);
}

TEST_CASE("the function emits invoke, throttle and complete trace events", "[lambda][function]") {
  esm::simulation sim;
  esm::function fn{sim, {.name = "traced", .reserved_concurrency = 1}};
  std::vector<std::string> kinds;
  sim.trace().subscribe([&](const esm::trace_event& e) {
    CHECK(e.component == "function/traced");
    kinds.emplace_back(e.kind);
  });
  auto h = [](const event&) {};
  event e;
  fn.invoke(e, h, [](const esm::invocation_result&) {});
  fn.invoke(e, h, [](const esm::invocation_result&) {});
  sim.run_until_idle();
  CHECK(kinds == std::vector<std::string>{"invoke", "throttle", "complete"});
}

TEST_CASE("steady-state invocations do not allocate", "[lambda][function][performance]") {
  esm::simulation sim;
  esm::function fn{sim, {.name = "hot", .default_duration = esm::duration_model::fixed(5ms)}};
  std::uint64_t sum = 0;
  auto h = [&](const event& ev) { sum += static_cast<std::uint64_t>(ev.id); };
  event e{1};
  int done = 0;
  auto cb = [&done](const esm::invocation_result&) { ++done; };
  for (int i = 0; i < 64; ++i) fn.invoke(e, h, cb); // warm up storage
  sim.run_until_idle();
  esm_test::allocation_scope scope;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 64; ++i) fn.invoke(e, h, cb);
    sim.run_until_idle();
  }
  CHECK(scope.count() == 0);
  CHECK(done == 704);
}
