// Tests of esm/testing/escape.hpp: an exception of a listed type thrown inside a handler ends the
// simulation's run call (after the event, the model consistent) instead of becoming only a
// function error (spec §5: a handler's exception is a function error); stop_when ends the run once
// its predicate holds. The Catch2 and GoogleTest programs of tests/testing/frameworks/ show the
// same with the frameworks' own assertions.
#include <esm/esm.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_queue.hpp>
#include <esm/testing/escape.hpp>
#include <esm/testing/recorder.hpp>

#include <stdexcept>
#include <string>

#include "support/catch.hpp"

using namespace std::chrono_literals;
namespace et = esm::testing;

namespace {
using kinesis = esm::kinesis_stream<std::string>;
using kinesis_batch = esm::stream_batch<kinesis::record_type>;
using queue = esm::sqs_queue<std::string>;
using queue_batch = esm::queue_batch<queue::message_type>;

struct framework_failure {}; // like Catch::TestFailureException: not a std::exception
struct derived_failure : std::logic_error {
  using std::logic_error::logic_error;
};
} // namespace

TEST_CASE("escaping: a listed exception thrown in a handler ends the run call, which rethrows it (§5)",
          "[testing][escape][spec-5]") {
  esm::simulation sim;
  kinesis s{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f"}};
  et::recorder rec{sim};
  s.put("k", "1");
  int calls = 0;
  esm::stream_poller p{s, fn,
                       rec.wrap(et::escaping<framework_failure>(sim,
                                                                [&](const kinesis_batch&) {
                                                                  ++calls;
                                                                  throw framework_failure{};
                                                                })),
                       esm::stream_retry{.max_attempts = 5}, esm::starting_position::trim_horizon()};
  CHECK_THROWS_AS(sim.run_until_idle(), framework_failure);
  CHECK(calls == 1); // no retry ran: the run stopped after the invoking event
  REQUIRE(rec.size() == 1);
  CHECK(rec.invocation(0).error_type == "unknown"); // meanwhile, a function error in the model
  // The model is consistent: running on retries the batch as AWS would.
  CHECK_THROWS_AS(sim.run_until_idle(), framework_failure);
  CHECK(calls == 2);
}

TEST_CASE("escaping catches derived types, and only the listed ones", "[testing][escape][spec-5]") {
  esm::simulation sim;
  queue q{sim, {.name = "q", .visibility_timeout = 5s}};
  esm::function fn{sim, {.name = "f"}};
  q.send("a");
  int calls = 0;
  esm::queue_poller p{q, fn, et::escaping<framework_failure, std::logic_error>(sim, [&](const queue_batch&) {
                        if (++calls == 1) throw std::runtime_error("an ordinary error: a function error");
                        throw derived_failure("assertion");
                      })};
  try {
    sim.run_until_idle();
    FAIL("the run should have thrown");
  } catch (const derived_failure& e) {
    CHECK(std::string{e.what()} == "assertion");
  }
  CHECK(calls == 2); // the runtime_error was retried as any function error is
  CHECK(fn.metrics().invocations == 2);
  CHECK(fn.metrics().errors == 1); // the second completes (as an error) when the simulation runs on
  sim.run_until(sim.now() + 1s);
  CHECK(fn.metrics().errors == 2);
}

TEST_CASE("escaping keeps the handler's result type and a handler that succeeds is unchanged", "[testing][escape]") {
  esm::simulation sim;
  kinesis s{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f"}};
  s.put("k", "1");
  const std::string seq = s.shard_at(0).at(0).sequence_number();
  auto h = et::escaping<framework_failure>(sim, [&](const kinesis_batch&) -> esm::batch_response { return {{{seq}}}; });
  static_assert(esm::partial_batch_handler<decltype(h), kinesis_batch>);
  et::recorder rec{sim};
  esm::stream_poller p{
      s, fn, rec.wrap(std::move(h)),
      esm::stream_options{.start = esm::starting_position::trim_horizon(), .report_batch_item_failures = true},
      esm::stream_retry{.max_attempts = 0}};
  CHECK_NOTHROW(sim.run_until_idle());
  REQUIRE(rec.size() == 1);
  CHECK(rec.invocation(0).kind == esm::outcome::partial);
}

TEST_CASE("stop_when: once the predicate holds after an invocation, the run call throws assertion_failed",
          "[testing][escape]") {
  esm::simulation sim;
  kinesis s{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f"}};
  for (int i = 0; i < 5; ++i) s.put("k", std::to_string(i));
  bool failed = false; // what a framework's HasFailure() reports
  int calls = 0;
  esm::stream_poller p{s, fn,
                       et::stop_when(
                           sim, [&] { return failed; },
                           [&](const kinesis_batch&) {
                             if (++calls == 2) failed = true; // an EXPECT_* failed and returned
                           }),
                       esm::batching{.batch_size = 1}, esm::starting_position::trim_horizon()};
  try {
    sim.run_until_idle();
    FAIL("the run should have thrown");
  } catch (const et::assertion_failed& e) {
    CHECK(std::string{e.what()}.starts_with(
        "esm::testing::stop_when: a test assertion failed inside the handler (request "));
  }
  CHECK(calls == 2);
}
