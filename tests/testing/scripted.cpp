// Tests of esm/testing/scripted.hpp: each scripted behaviour, composed with a handler, gives the
// AWS outcome it names (function error, poison batch, partial batch response, durations,
// timeout), and allocates nothing per record. Spec: §2.3 (stream retries), §2.5 and §3.5
// (partial batch responses), §5 (errors and timeouts).
#include <esm/esm.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_queue.hpp>
#include <esm/testing/recorder.hpp>
#include <esm/testing/scripted.hpp>

#include <stdexcept>
#include <string>
#include <type_traits>

#include "support/alloc_counter.hpp"
#include "support/catch.hpp"

using namespace std::chrono_literals;
namespace et = esm::testing;

namespace {
using kinesis = esm::kinesis_stream<std::string>;
using kinesis_batch = esm::stream_batch<kinesis::record_type>;
using queue = esm::sqs_queue<std::string>;
using queue_batch = esm::queue_batch<queue::message_type>;

auto ok = [](const kinesis_batch&) {};
using ok_response_t = decltype([](const kinesis_batch&) -> esm::batch_response { return {}; });

// A stream with `n` records on one shard, a function, and a recorder.
struct stream_rig {
  esm::simulation sim{{.seed = 1}};
  kinesis s{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f", .timeout = 3s}};
  et::recorder rec{sim};
  explicit stream_rig(int n) {
    for (int i = 0; i < n; ++i) s.put("k" + std::to_string(i % 2), "v" + std::to_string(i));
  }
};
} // namespace

// The wrappers keep the handler's form and result type.
static_assert(esm::handler<decltype(et::fail_first(1, ok)), kinesis_batch>);
static_assert(std::is_void_v<esm::handler_result_t<decltype(et::take(1ms, ok)), kinesis_batch>>);
static_assert(esm::partial_batch_handler<decltype(et::take(1ms, ok_response_t{})), kinesis_batch>);
static_assert(
    esm::partial_batch_handler<decltype(et::fail_items([](const auto&) { return false; }, ok)), kinesis_batch>);
static_assert(!esm::handler<decltype(et::fail_first(1, ok)), queue_batch>); // the inner handler's events only

TEST_CASE("fail_first(n): the first n invocations are function errors, then the handler runs (§2.3)",
          "[testing][scripted][spec-2.3]") {
  stream_rig r{3};
  int ran = 0;
  esm::stream_poller p{r.s, r.fn, r.rec.wrap(et::fail_first(2, [&](const kinesis_batch&) { ++ran; })),
                       esm::stream_retry{.max_attempts = 5}, esm::starting_position::trim_horizon()};
  r.sim.run_until_idle();
  REQUIRE(r.rec.size() == 3);
  CHECK(r.rec.invocation(0).kind == esm::outcome::function_error);
  CHECK(r.rec.invocation(0).error_type == "esm::testing::scripted_failure");
  CHECK(r.rec.invocation(1).kind == esm::outcome::function_error);
  CHECK(r.rec.invocation(2).kind == esm::outcome::success);
  CHECK(r.rec.invocation(2).attempt == 3);
  CHECK(ran == 1);
  CHECK(p.metrics().retries == 2);
}

TEST_CASE("fail_first and fail_always throw the error given, as a copy", "[testing][scripted]") {
  stream_rig r{1};
  esm::stream_poller p{r.s, r.fn, r.rec.wrap(et::fail_always(ok, std::out_of_range("index 7"))),
                       esm::stream_retry{.max_attempts = 1}, esm::starting_position::trim_horizon()};
  r.sim.run_until_idle();
  REQUIRE(r.rec.size() == 2);
  for (const auto& inv : r.rec.invocations()) {
    CHECK(inv.error_type == "std::out_of_range");
    CHECK(inv.error_message == "index 7");
  }
}

TEST_CASE("poison(pred): a batch holding a matching record fails whole; bisection isolates it (§2.4)",
          "[testing][scripted][spec-2.4]") {
  stream_rig r{8};
  const std::string bad = r.s.shard_at(0).at(5).sequence_number();
  std::vector<esm::stream_failure_record> sent;
  esm::stream_poller p{r.s,
                       r.fn,
                       r.rec.wrap(et::poison([](const auto& rec) { return rec.data == "v5"; }, ok)),
                       esm::stream_retry{.max_attempts = 0, .bisect_on_error = true},
                       esm::on_failure{[&](const esm::stream_failure_record& f) { sent.push_back(f); }},
                       esm::starting_position::trim_horizon()};
  r.sim.run_until_idle();
  CHECK(r.rec.invocation(0).items.size() == 8);
  CHECK(r.rec.invocation(0).error_message == "esm::testing::poison: poison item " + bad);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].batch_info.start_sequence_number == bad);
  CHECK(sent[0].batch_info.end_sequence_number == bad);
  for (const auto& inv : r.rec.invocations()) CHECK((inv.kind == esm::outcome::function_error) == inv.contains(bad));
}

TEST_CASE("fail_if(pred): a predicate of the event (and context) decides", "[testing][scripted]") {
  stream_rig r{2};
  esm::stream_poller p{
      r.s, r.fn,
      r.rec.wrap(et::fail_if([](const kinesis_batch&, esm::invocation_context& c) { return c.attempt() < 3; }, ok,
                             std::logic_error("attempt < 3"))),
      esm::stream_retry{.max_attempts = 4}, esm::starting_position::trim_horizon()};
  r.sim.run_until_idle();
  REQUIRE(r.rec.size() == 3);
  CHECK(r.rec.invocation(1).error_type == "std::logic_error");
  CHECK(r.rec.invocation(2).kind == esm::outcome::success);
}

TEST_CASE("fail_items(pred): the matching messages come back, the others are deleted (§3.5)",
          "[testing][scripted][spec-3.5]") {
  esm::simulation sim;
  queue q{sim, {.name = "q", .visibility_timeout = 10s}};
  esm::function fn{sim, {.name = "f"}};
  et::recorder rec{sim};
  for (int i = 0; i < 4; ++i) q.send("m" + std::to_string(i));
  int failures_left = 2;
  esm::queue_poller p{
      q, fn,
      rec.wrap(et::fail_items([&](const queue::message_type& m) { return m.body == "m2" && failures_left-- > 0; },
                              [](const queue_batch&) {})),
      esm::batching{.batch_size = 10}, esm::queue_options{.report_batch_item_failures = true}};
  sim.run_until_idle();
  REQUIRE(rec.size() >= 2);
  REQUIRE(rec.invocation(0).response.has_value());
  CHECK(rec.invocation(0).kind == esm::outcome::partial);
  CHECK(rec.invocation(0).response->batch_item_failures.size() == 1);
  CHECK(rec.deliveries_of("m2").empty()); // keys are messageIds on a standard queue
  CHECK(q.metrics().deleted == 4);
  std::size_t m2 = 0;
  for (const auto& inv : rec.invocations()) m2 += inv.items.size();
  CHECK(m2 == 4 + 2); // m2 delivered three times
}

TEST_CASE("fail_items adds to the handler's own failures without listing one twice", "[testing][scripted][spec-2.5]") {
  stream_rig r{3};
  const std::string first = r.s.shard_at(0).at(0).sequence_number();
  auto h = et::fail_items([](const auto& rec) { return rec.data == "v0" || rec.data == "v2"; },
                          [&](const kinesis_batch&) -> esm::batch_response { return {{{first}}}; });
  esm::stream_poller p{
      r.s, r.fn, r.rec.wrap(std::move(h)),
      esm::stream_options{.start = esm::starting_position::trim_horizon(), .report_batch_item_failures = true},
      esm::stream_retry{.max_attempts = 0}};
  r.sim.run_until_idle();
  REQUIRE(r.rec.invocation(0).response.has_value());
  const auto& f = r.rec.invocation(0).response->batch_item_failures;
  REQUIRE(f.size() == 2);
  CHECK(f[0].item_identifier == first);
  CHECK(f[1].item_identifier == r.s.shard_at(0).at(2).sequence_number());
}

TEST_CASE("take, take_per_item and take(model, seed): the stated durations; time_out: a timeout (§5)",
          "[testing][scripted][spec-5]") {
  SECTION("fixed and per item") {
    stream_rig r{4};
    esm::stream_poller p{r.s, r.fn, r.rec.wrap(et::take(200ms, et::take_per_item(50ms, ok))),
                         esm::starting_position::trim_horizon()};
    r.sim.run_until_idle();
    REQUIRE(r.rec.size() == 1);
    CHECK(*r.rec.invocation(0).end - r.rec.invocation(0).start == 200ms + 4 * 50ms);
  }
  SECTION("a model, the same for a seed") {
    auto run = [](std::uint64_t seed) {
      stream_rig r{1};
      esm::stream_poller p{r.s, r.fn, r.rec.wrap(et::take(esm::duration_model::exponential(100ms), seed, ok)),
                           esm::starting_position::trim_horizon()};
      r.sim.run_until_idle();
      return *r.rec.invocation(0).end - r.rec.invocation(0).start;
    };
    CHECK(run(1) == run(1));
    CHECK(run(1) != run(2));
  }
  SECTION("time_out, even when the handler throws") {
    stream_rig r{1};
    esm::stream_poller p{r.s, r.fn, r.rec.wrap(et::time_out(et::fail_first(1, ok))),
                         esm::stream_retry{.max_attempts = 1}, esm::starting_position::trim_horizon()};
    r.sim.run_until_idle();
    REQUIRE(r.rec.size() == 2);
    CHECK(r.rec.invocation(0).kind == esm::outcome::timeout);
    CHECK(r.rec.invocation(1).kind == esm::outcome::timeout);
    CHECK(*r.rec.invocation(1).end - r.rec.invocation(1).start == 3s);
  }
  CHECK_THROWS_AS(et::take(-1ms, ok), esm::usage_error);
  CHECK_THROWS_AS(et::take_per_item(-1ms, ok), esm::usage_error);
}

TEST_CASE("scripted wrappers allocate nothing per record", "[testing][scripted][alloc]") {
  // The same batch of 100 and of 1,000 records through poison + take_per_item + fail_first:
  // the allocations of a run do not grow with the records (per-record work only tests them).
  auto allocations = [](int n) {
    esm::simulation sim;
    kinesis s{sim, {.name = "s"}};
    esm::function fn{sim, {.name = "f", .timeout = 900s}};
    for (int i = 0; i < n; ++i) s.put("k", "v");
    esm::stream_poller p{
        s,
        fn,
        et::fail_first(1, et::take_per_item(1ms, et::poison([](const auto& r) { return r.data == "x"; },
                                                            [](const kinesis_batch&) {}))),
        esm::batching{.batch_size = 10000},
        esm::stream_retry{.max_attempts = 1},
        esm::starting_position::trim_horizon()};
    const auto before = esm_test::allocations();
    sim.run_until_idle();
    return esm_test::allocations() - before;
  };
  CHECK(allocations(1000) == allocations(100));
}
