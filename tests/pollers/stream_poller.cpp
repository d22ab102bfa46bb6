// Tests of esm/pollers/stream_poller.hpp with a Kinesis stream (and the stream policies).
// Each test names the section of aws-esm-semantics.md whose behaviour it checks.
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_fifo_queue.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "support/errors.hpp"

using namespace std::chrono_literals;
using esm::time_point;
using kstream = esm::kinesis_stream<std::string>;
using kbatch = esm::stream_batch<kstream::record_type>;

namespace {

time_point at(esm::duration d) { return time_point{} + d; }

/// What a handler saw: one entry per invocation.
struct invocation {
  time_point time;
  std::string shard;
  std::vector<std::string> data;
  int attempt;
};

struct journal {
  std::vector<invocation> calls;
  std::vector<esm::stream_failure_record> failures;

  void record(const kbatch& b, esm::invocation_context& ctx) {
    invocation inv{ctx.start_time(), b.shard_id(), {}, ctx.attempt()};
    for (const auto& r : b) inv.data.push_back(r.data);
    calls.push_back(std::move(inv));
  }
  std::vector<std::size_t> sizes() const {
    std::vector<std::size_t> out;
    for (const auto& c : calls) out.push_back(c.data.size());
    return out;
  }
  std::vector<std::string> all_data() const {
    std::vector<std::string> out;
    for (const auto& c : calls) out.insert(out.end(), c.data.begin(), c.data.end());
    return out;
  }
  auto destination() {
    return esm::on_failure{[this](const esm::stream_failure_record& r) { failures.push_back(r); }};
  }
};

void put_n(kstream& s, int n, const std::string& key = "k", int from = 0) {
  for (int i = from; i < from + n; ++i) s.put(key, std::to_string(i));
}

} // namespace

TEST_CASE("stream mapping config: every parameter at both ends and one step outside (§1)",
          "[pollers][stream][config][spec-1]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  auto h = [](const kbatch&) {};
  auto make = [&](auto... p) { // TRIM_HORIZON unless the test gives a position
    if constexpr ((std::is_same_v<decltype(p), esm::starting_position> || ...)) {
      esm::stream_poller poller{s, fn, h, p...};
    } else {
      esm::stream_poller poller{s, fn, h, p..., esm::starting_position::trim_horizon()};
    }
  };
  CHECK_NOTHROW(make(esm::batching{.batch_size = 1}));
  CHECK_NOTHROW(make(esm::batching{.batch_size = 10'000}));
  CHECK(esm_test::config_error_of([&] { make(esm::batching{.batch_size = 0}); }) ==
        "batch_size must be in [1, 10000] for a kinesis event source mapping, got 0");
  CHECK_THROWS_AS(make(esm::batching{.batch_size = 10'001}), esm::config_error);
  CHECK_NOTHROW(make(esm::batching{.window = 0s}));
  CHECK_NOTHROW(make(esm::batching{.window = 300s}));
  CHECK_THROWS_AS(make(esm::batching{.window = 301s}), esm::config_error);
  CHECK_THROWS_AS(make(esm::batching{.window = -1s}), esm::config_error);
  CHECK_THROWS_AS(make(esm::batching{.window = 1500ms}), esm::config_error);
  CHECK_NOTHROW(make(esm::parallelization{.factor = 1}));
  CHECK_NOTHROW(make(esm::parallelization{.factor = 10}));
  CHECK(esm_test::config_error_of([&] { make(esm::parallelization{.factor = 11}); }) ==
        "parallelization_factor must be in [1, 10] for a stream event source mapping, got 11");
  CHECK_THROWS_AS(make(esm::parallelization{.factor = 0}), esm::config_error);
  CHECK_NOTHROW(make(esm::stream_retry{.max_attempts = -1}));
  CHECK_NOTHROW(make(esm::stream_retry{.max_attempts = 0}));
  CHECK_NOTHROW(make(esm::stream_retry{.max_attempts = 10'000}));
  CHECK_THROWS_AS(make(esm::stream_retry{.max_attempts = 10'001}), esm::config_error);
  CHECK_THROWS_AS(make(esm::stream_retry{.max_attempts = -2}), esm::config_error);
  CHECK_NOTHROW(make(esm::stream_retry{.max_record_age = -1s}));
  CHECK_NOTHROW(make(esm::stream_retry{.max_record_age = 60s}));
  CHECK_NOTHROW(make(esm::stream_retry{.max_record_age = 604'800s}));
  CHECK(esm_test::config_error_of([&] { make(esm::stream_retry{.max_record_age = 59s}); }) ==
        "max_record_age must be -1s (infinite) or whole seconds in [60s, 604800s] for a stream event source "
        "mapping, got 59s");
  CHECK_THROWS_AS(make(esm::stream_retry{.max_record_age = 0s}), esm::config_error);
  CHECK_THROWS_AS(make(esm::stream_retry{.max_record_age = 604'801s}), esm::config_error);
  CHECK_NOTHROW(make(esm::starting_position::latest()));
  CHECK_NOTHROW(make(esm::starting_position::at_timestamp(sim.now())));
  CHECK_THROWS_AS(make(esm::starting_position::at_timestamp(sim.now() + 1s)), esm::config_error);
  CHECK_THROWS_AS(make(esm::starting_position::at_sequence_number(1)), esm::config_error);
}

TEST_CASE("§1 AWS recorded: StartingPosition is required; a mapping without one is a config_error naming it",
          "[pollers][stream][config][spec-1][recorded]") {
  // AWS: "Value null at 'startingPosition' failed to satisfy constraint: Member must not be null".
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  auto h = [](const kbatch&) {};
  s.put("k", "a");
  try {
    esm::stream_poller poller{s, fn, h, esm::batching{.batch_size = 10}};
    FAIL("a mapping without StartingPosition was created");
  } catch (const esm::config_error& e) {
    CHECK(e.parameter() == "start");
    CHECK(std::string{e.what()} == "start must be trim_horizon, latest or at_timestamp (StartingPosition is required) "
                                   "for a kinesis event source mapping, got none");
  }
  CHECK(esm_test::config_error_of([&] {
          esm::stream_poller poller{s, fn, h, esm::stream_options{.name = "x"}};
        }) ==
        "start must be trim_horizon, latest or at_timestamp (StartingPosition is required) for a kinesis event source "
        "mapping, got none");
  // Nothing was read or invoked by the refused mappings.
  CHECK(fn.metrics().invocations == 0);
  // Given once, as an argument or in stream_options: both forms work; both at once is an error.
  CHECK_NOTHROW([&] { esm::stream_poller poller{s, fn, h, esm::starting_position::latest()}; }());
  CHECK_NOTHROW([&] {
    esm::stream_poller poller{s, fn, h, esm::stream_options{.start = esm::starting_position::latest()}};
  }());
  CHECK(esm_test::config_error_of([&] {
          esm::stream_poller poller{s, fn, h, esm::stream_options{.start = esm::starting_position::latest()},
                                    esm::starting_position::trim_horizon()};
        }) == "start must be given once: as an esm::starting_position argument or as stream_options::start for a "
              "kinesis event source mapping, got both");
}

TEST_CASE("policies are found by concept in any order; each concept has negative checks",
          "[pollers][stream][policies]") {
  STATIC_REQUIRE(esm::batching_policy<esm::batching>);
  STATIC_REQUIRE(!esm::batching_policy<esm::parallelization>);
  STATIC_REQUIRE(esm::parallelization_policy<esm::parallelization>);
  STATIC_REQUIRE(!esm::parallelization_policy<esm::batching>);
  STATIC_REQUIRE(esm::stream_retry_policy<esm::stream_retry>);
  STATIC_REQUIRE(!esm::stream_retry_policy<esm::batching>);
  STATIC_REQUIRE(esm::failure_destination<esm::on_failure<void (*)(const esm::stream_failure_record&)>>);
  STATIC_REQUIRE(!esm::failure_destination<esm::stream_retry>);
  STATIC_REQUIRE(!esm::failure_destination<int>);

  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  auto h = [&](const kbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); };
  esm::stream_poller a{s,
                       fn,
                       h,
                       esm::stream_retry{.max_attempts = 1},
                       esm::batching{.batch_size = 2},
                       esm::starting_position::trim_horizon()};
  esm::stream_poller b{s,
                       fn,
                       h,
                       esm::batching{.batch_size = 2},
                       esm::stream_retry{.max_attempts = 1},
                       esm::starting_position::trim_horizon()};
  CHECK(a.batch_size() == 2);
  CHECK(b.batch_size() == 2);
  esm::stream_poller c{s, fn, h, esm::starting_position::trim_horizon()};
  CHECK(c.batch_size() == 100); // AWS default for streams
}

TEST_CASE("an idle Kinesis shard is polled once per second (§2.1)", "[pollers][stream][spec-2.1]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  esm::stream_poller poller{s, fn, [&](const kbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                            esm::starting_position::trim_horizon()};
  sim.advance_to(at(300ms));
  s.put("k", "a");
  sim.run_until_idle();
  REQUIRE(j.calls.size() == 1);
  CHECK(j.calls[0].time == at(1s)); // the next of the once-a-second polls
  sim.advance_to(at(5500ms));
  s.put("k", "b");
  sim.run_until_idle();
  REQUIRE(j.calls.size() == 2);
  // Polls continue once per second from the last one (at 1.01 s, when the batch completed).
  CHECK(j.calls[1].time == at(6010ms));
  CHECK(poller.metrics().polled_event_count == 2);
  CHECK(poller.last_processing_result() == "OK");
}

TEST_CASE("a backlogged shard is read continuously, one batch at a time, in order (§2.1)",
          "[pollers][stream][spec-2.1]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(100ms)}};
  journal j;
  put_n(s, 250);
  esm::stream_poller poller{s, fn, [&](const kbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  CHECK(j.sizes() == std::vector<std::size_t>{100, 100, 50});
  CHECK(j.calls[0].time == at(0s));
  CHECK(j.calls[1].time == at(100ms)); // right after the previous batch completes
  CHECK(j.calls[2].time == at(200ms));
  std::vector<std::string> expected;
  for (int i = 0; i < 250; ++i) expected.push_back(std::to_string(i));
  CHECK(j.all_data() == expected);
  CHECK(poller.metrics().max_concurrency == 1); // one batch per shard in flight by default
  CHECK(poller.metrics().invoked_event_count == 250);
  CHECK(poller.metrics().processed_event_count == 250);
  CHECK(poller.checkpoint(0) == 250);
}

TEST_CASE("each shard is polled independently: concurrency follows the shard count (§2.1)",
          "[pollers][stream][spec-2.1]") {
  esm::simulation sim;
  kstream s{sim, {.shard_count = 4}};
  esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(1s)}};
  for (int i = 0; i < 400; ++i) s.put("key-" + std::to_string(i), std::to_string(i));
  std::map<std::string, std::vector<int>> per_shard;
  esm::stream_poller poller{s, fn,
                            [&](const kbatch& b) {
                              for (const auto& r : b) per_shard[b.shard_id()].push_back(std::stoi(r.data));
                            },
                            esm::batching{.batch_size = 10}, esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  CHECK(poller.metrics().max_concurrency == 4);
  CHECK(per_shard.size() == 4);
  std::size_t total = 0;
  for (const auto& [shard, values] : per_shard) {
    CHECK(std::is_sorted(values.begin(), values.end())); // in order within a shard
    total += values.size();
  }
  CHECK(total == 400);
}

TEST_CASE("batches are cut at BatchSize, at the window, or at 6 MB (§1)", "[pollers][stream][spec-1]") {
  SECTION("the window: records gathered until it expires, unless the batch fills first") {
    esm::simulation sim;
    kstream s{sim, {}};
    esm::function fn{sim, {.name = "f"}};
    journal j;
    esm::stream_poller poller{s, fn, [&](const kbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                              esm::batching{.batch_size = 5, .window = 3s}, esm::starting_position::trim_horizon()};
    s.put("k", "a");
    sim.advance_to(at(1s));
    s.put("k", "b");
    sim.advance_to(at(2500ms));
    s.put("k", "c");
    sim.run_until_idle();
    REQUIRE(j.calls.size() == 1);
    CHECK(j.calls[0].time == at(3s));
    CHECK(j.calls[0].data == std::vector<std::string>{"a", "b", "c"});
    // The next window starts when that invoke completes (at 3.01 s); a full batch goes at the
    // next poll (4.01 s), not at the end of the window (6.01 s).
    sim.advance_to(at(4s));
    put_n(s, 5);
    sim.run_until_idle();
    REQUIRE(j.calls.size() == 2);
    CHECK(j.calls[1].time == at(4010ms));
    CHECK(j.calls[1].data.size() == 5);
  }
  SECTION("the 6 MB payload of a synchronous invoke") {
    esm::simulation sim;
    kstream s{sim, {}};
    esm::function fn{sim, {.name = "f"}};
    journal j;
    for (int i = 0; i < 14; ++i) s.put("k", std::string(1'000'000, 'x'));
    esm::stream_poller poller{s, fn, [&](const kbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                              esm::starting_position::trim_horizon()};
    sim.run_until_idle();
    // 6 MB of event JSON per invoke, where 1,000,000 data bytes are 1,333,336 of base64: 4
    // records. A GetRecords call returns at most 10 MiB (§8), and the next may come only once
    // those bytes are paid for at 2 MiB/s: 4 + 4 + 2 from the first read, 4 from the second.
    CHECK(j.sizes() == std::vector<std::size_t>{4, 4, 2, 4});
    CHECK(j.calls[3].time == at(esm::duration{10 * 1'000'001LL * 1'000'000'000LL / 2'097'152}));
  }
}

TEST_CASE("a failing batch blocks its shard while retries are infinite (§2.2)", "[pollers][stream][spec-2.2]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(1s)}};
  put_n(s, 5);
  int calls = 0;
  std::vector<std::string> seen;
  esm::stream_poller poller{s,
                            fn,
                            [&](const kbatch& b) {
                              ++calls;
                              for (const auto& r : b) seen.push_back(r.data);
                              throw std::runtime_error("poison");
                            },
                            esm::batching{.batch_size = 2},
                            esm::stream_retry{.retry_backoff = esm::backoff::none()},
                            esm::starting_position::trim_horizon()};
  sim.run_for(1min);
  CHECK(calls == 61); // without a retry delay, retried back to back, one second each: at 0, 1, ..., 60 s
  CHECK(seen.size() == 122);
  CHECK(std::count(seen.begin(), seen.end(), "2") == 0); // later records never reach the function
  CHECK(poller.checkpoint(0) == 0);
  CHECK(poller.last_processing_result() == "PROBLEM: Function call failed");
  CHECK(poller.metrics().retries == 60);
  CHECK(poller.metrics().dropped_event_count == 0);
}

TEST_CASE("a failing batch is retried with a delay doubling from 250 ms to one minute (§2.2, fidelity S5)",
          "[pollers][stream][spec-2.2]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(1s)}};
  put_n(s, 5);
  journal j;
  esm::stream_poller poller{s, fn,
                            [&](const kbatch& b, esm::invocation_context& ctx) {
                              j.record(b, ctx);
                              throw std::runtime_error("poison");
                            },
                            esm::batching{.batch_size = 2}, esm::starting_position::trim_horizon()};
  sim.run_for(5min);
  // Each invocation lasts 1 s; the n-th retry waits 250 ms * 2^(n-1), at most 60 s.
  const std::vector<double> expected = {0, 1.25, 2.75, 4.75, 7.75, 12.75, 21.75, 38.75, 71.75, 132.75, 193.75, 254.75};
  REQUIRE(j.calls.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("invocation " << i);
    CHECK(j.calls[i].time == at(std::chrono::duration_cast<esm::duration>(std::chrono::duration<double>(expected[i]))));
    CHECK(j.calls[i].attempt == static_cast<int>(i) + 1);
    CHECK(j.calls[i].data == std::vector<std::string>{"0", "1"}); // the shard stays blocked
  }
  CHECK(poller.checkpoint(0) == 0);
  CHECK(poller.metrics().retries == expected.size()); // the 12th retry is due at 315.75 s
}

TEST_CASE("§2.3 AWS recording: infinite retries, MaximumRecordAgeInSeconds 60 and a handler that always raises: "
          "8 invocations, then one RecordAgeExceeded record",
          "[pollers][stream][spec-2.3][recorded]") {
  // Recorded against AWS: MaximumRetryAttempts = -1, MaximumRecordAgeInSeconds = 60, every
  // invocation raises; AWS invoked the batch 8 times, then discarded it with RecordAgeExceeded.
  esm::simulation sim;
  kstream s{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "f"}}; // 10 ms per invocation
  journal j;
  s.put("k", "poison");
  esm::stream_poller poller{s,
                            fn,
                            [&](const kbatch& b, esm::invocation_context& ctx) {
                              j.record(b, ctx);
                              throw std::runtime_error("always");
                            },
                            esm::stream_retry{.max_attempts = -1, .max_record_age = 60s},
                            j.destination(),
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  CHECK(j.calls.size() >= 7);
  CHECK(j.calls.size() <= 9);
  CHECK(j.calls.size() == 8); // 0 s, then retries 0.25, 0.5, 1, 2, 4, 8, 16 s after each failure
  REQUIRE(j.failures.size() == 1);
  CHECK(j.failures[0].condition == esm::discard_condition::record_age_exceeded);
  CHECK(j.failures[0].approximate_invoke_count == 8);
  CHECK_FALSE(j.failures[0].response_context.has_value()); // AWS records RecordAgeExceeded without responseContext
  CHECK(j.failures[0].batch_info.batch_size == 1);
  CHECK(j.failures[0].timestamp > at(60s));
  CHECK(poller.metrics().on_failure_destination_delivered_event_count == 1);
  CHECK(poller.checkpoint(0) == 1);
}

TEST_CASE("MaximumRetryAttempts N means N + 1 invocations, then discard to OnFailure and move on (§2.3, §2.6)",
          "[pollers][stream][spec-2.3][spec-2.6]") {
  esm::simulation sim;
  kstream s{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  put_n(s, 3);
  const auto first_seq = s.shard_at(0).at(0).sequence;
  const auto last_seq = s.shard_at(0).at(1).sequence;
  esm::stream_poller poller{s,
                            fn,
                            [&](const kbatch& b, esm::invocation_context& ctx) {
                              j.record(b, ctx);
                              if (b.front().data == "0") throw std::runtime_error("bad");
                            },
                            esm::batching{.batch_size = 2},
                            esm::stream_retry{.max_attempts = 2},
                            j.destination(),
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  REQUIRE(j.calls.size() == 4);
  CHECK(j.calls[0].attempt == 1);
  CHECK(j.calls[2].attempt == 3);
  CHECK(j.calls[3].data == std::vector<std::string>{"2"}); // the shard moved on
  REQUIRE(j.failures.size() == 1);
  const auto& f = j.failures[0];
  CHECK(f.condition == esm::discard_condition::retry_attempts_exhausted);
  CHECK(std::string{esm::to_string(f.condition)} == "RetryAttemptsExhausted");
  CHECK(f.approximate_invoke_count == 3);
  CHECK(f.batch_info.shard_id == "shardId-000000000000");
  CHECK(f.batch_info.batch_size == 2);
  CHECK(f.batch_info.start_sequence_number == esm::kinesis_sequence_number(first_seq));
  CHECK(f.batch_info.end_sequence_number == esm::kinesis_sequence_number(last_seq));
  CHECK(f.batch_info.stream_arn == "arn:aws:kinesis:us-east-1:123456789012:stream/orders");
  CHECK(f.batch_info.approximate_arrival_of_first_record == at(0s));
  REQUIRE(f.response_context.has_value());
  CHECK(f.response_context->function_error == "Unhandled");
  CHECK(f.request_id.size() == 36);
  CHECK(f.function_name == "f");
  const auto& m = poller.metrics();
  CHECK(m.on_failure_destination_delivered_event_count == 2);
  CHECK(m.dropped_event_count == 0);
  CHECK(m.invoked_event_count == 7);
  CHECK(m.failed_invoke_event_count == 6);
  CHECK(m.processed_event_count == 1);
  CHECK(poller.checkpoint(0) == 3);
}

TEST_CASE("without a destination, discarded records count as dropped (§2.3, §6)",
          "[pollers][stream][spec-2.3][spec-6]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  put_n(s, 4);
  esm::stream_poller poller{s, fn, [](const kbatch&) { throw std::runtime_error("x"); },
                            esm::stream_retry{.max_attempts = 0}, esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  CHECK(poller.metrics().dropped_event_count == 4);
  CHECK(poller.metrics().batches == 1);
}

TEST_CASE("a destination that refuses delivery counts the records as dropped (§6)", "[pollers][stream][spec-6]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  put_n(s, 2);
  esm::stream_poller poller{s,
                            fn,
                            [](const kbatch&) { throw std::runtime_error("x"); },
                            esm::stream_retry{.max_attempts = 0},
                            esm::on_failure{[](const esm::stream_failure_record&) { return false; }},
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  CHECK(poller.metrics().dropped_event_count == 2);
  CHECK(poller.metrics().destination_delivery_failures == 1);
  CHECK(poller.metrics().on_failure_destination_delivered_event_count == 0);
}

TEST_CASE("a destination whose configured() is false is no destination; true sends (§2.6, §6)",
          "[pollers][stream][spec-2.6][spec-6]") {
  struct maybe_destination {
    using esm_role = esm::destination_role;
    std::vector<esm::stream_failure_record>* sink = nullptr;
    bool configured() const { return sink != nullptr; }
    bool send(const esm::stream_failure_record& r) {
      sink->push_back(r);
      return true;
    }
  };
  STATIC_REQUIRE(esm::failure_destination<maybe_destination>);
  for (const bool on : {false, true}) {
    CAPTURE(on);
    esm::simulation sim;
    kstream s{sim, {}};
    esm::function fn{sim, {.name = "f"}};
    put_n(s, 3);
    std::vector<esm::stream_failure_record> sent;
    // One poller type for both settings.
    esm::stream_poller poller{s,
                              fn,
                              [](const kbatch&) { throw std::runtime_error("x"); },
                              esm::stream_retry{.max_attempts = 0},
                              maybe_destination{on ? &sent : nullptr},
                              esm::starting_position::trim_horizon()};
    sim.run_until_idle();
    const auto& m = poller.metrics();
    CHECK(poller.configuration().on_failure_destination == on);
    CHECK(sent.size() == (on ? 1U : 0U));
    CHECK(m.on_failure_destination_delivered_event_count == (on ? 3U : 0U));
    CHECK(m.dropped_event_count == (on ? 0U : 3U));
    CHECK(m.destination_delivery_failures == 0);
  }
}

TEST_CASE("timeouts use retry attempts; throttles do not (§2.2)", "[pollers][stream][spec-2.2]") {
  SECTION("a timeout is a function error") {
    esm::simulation sim;
    kstream s{sim, {}};
    esm::function fn{sim, {.name = "f", .timeout = 1s}};
    journal j;
    s.put("k", "slow");
    esm::stream_poller poller{s,
                              fn,
                              [&](const kbatch& b, esm::invocation_context& ctx) {
                                j.record(b, ctx);
                                ctx.elapse(2s);
                              },
                              esm::stream_retry{.max_attempts = 1},
                              j.destination(),
                              esm::starting_position::trim_horizon()};
    sim.run_until_idle();
    CHECK(j.calls.size() == 2);
    REQUIRE(j.failures.size() == 1);
    CHECK(j.failures[0].approximate_invoke_count == 2);
  }
  SECTION("throttled invocations are retried without using attempts until they get through") {
    esm::simulation sim;
    kstream s{sim, {}};
    esm::function fn{sim, {.name = "f", .timeout = 15s, .reserved_concurrency = 1}};
    // Another caller holds the only slot for 10 s.
    int hog_event = 0;
    auto hog = [](const int&, esm::invocation_context& ctx) { ctx.elapse(10s); };
    fn.invoke(hog_event, hog, [](const esm::invocation_result&) {});
    journal j;
    s.put("k", "x");
    esm::stream_poller poller{s,
                              fn,
                              [&](const kbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                              esm::stream_retry{.max_attempts = 0},
                              j.destination(),
                              esm::starting_position::trim_horizon()};
    sim.run_until_idle();
    REQUIRE(j.calls.size() == 1);
    CHECK(j.calls[0].time == at(10s));
    CHECK(j.calls[0].attempt == 1);
    CHECK(j.failures.empty());
    CHECK(poller.metrics().throttles == 10); // every second from 0 s to 9 s
    CHECK(poller.metrics().processed_event_count == 1);
  }
}

TEST_CASE("MaximumRecordAgeInSeconds discards records too old to send (§2.3)", "[pollers][stream][spec-2.3]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f", .timeout = 15s, .default_duration = esm::duration_model::fixed(10s)}};
  journal j;
  put_n(s, 2);
  esm::stream_poller poller{s,
                            fn,
                            [&](const kbatch& b, esm::invocation_context& ctx) {
                              j.record(b, ctx);
                              throw std::runtime_error("x");
                            },
                            esm::stream_retry{.max_record_age = 60s, .retry_backoff = esm::backoff::none()},
                            j.destination(),
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  // Without a retry delay: invoked at 0, 10, ..., 60 s (age exactly 60 s is still sent), discarded at 70 s.
  CHECK(j.calls.size() == 7);
  REQUIRE(j.failures.size() == 1);
  CHECK(j.failures[0].condition == esm::discard_condition::record_age_exceeded);
  CHECK(std::string{esm::to_string(j.failures[0].condition)} == "RecordAgeExceeded");
  CHECK(j.failures[0].timestamp == at(70s));
  CHECK(j.failures[0].batch_info.batch_size == 2);
  CHECK(poller.metrics().on_failure_destination_delivered_event_count == 2);
}

TEST_CASE("bisection splits a failing batch down to the poison record without using retries (§2.4)",
          "[pollers][stream][spec-2.4]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  put_n(s, 8);
  esm::stream_poller poller{s,
                            fn,
                            [&](const kbatch& b, esm::invocation_context& ctx) {
                              j.record(b, ctx);
                              for (const auto& r : b)
                                if (r.data == "5") throw std::runtime_error("poison 5");
                            },
                            esm::stream_retry{.max_attempts = 0, .bisect_on_error = true},
                            j.destination(),
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  // 8 fails → [0..3] ok, [4..7] fails → [4,5] fails → [4] ok, [5] fails (no retries left) → [6,7] ok
  CHECK(j.sizes() == std::vector<std::size_t>{8, 4, 4, 2, 1, 1, 2});
  REQUIRE(j.failures.size() == 1);
  CHECK(j.failures[0].batch_info.batch_size == 1);
  CHECK(j.failures[0].batch_info.start_sequence_number == esm::kinesis_sequence_number(s.shard_at(0).at(5).sequence));
  CHECK(j.failures[0].approximate_invoke_count == 4); // in the batches of 8, 4, 2, then alone
  CHECK(poller.metrics().bisections == 3);
  CHECK(poller.metrics().retries == 0);
  CHECK(poller.metrics().processed_event_count == 7);
  CHECK(poller.batch_size() == 100); // BatchSize is unchanged
}

TEST_CASE("bisection with retries retries the isolated record in place (§2.4)", "[pollers][stream][spec-2.4]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  put_n(s, 2);
  esm::stream_poller poller{s,
                            fn,
                            [&](const kbatch& b, esm::invocation_context& ctx) {
                              j.record(b, ctx);
                              for (const auto& r : b)
                                if (r.data == "1") throw std::runtime_error("poison");
                            },
                            esm::stream_retry{.max_attempts = 2, .bisect_on_error = true},
                            j.destination(),
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  CHECK(j.sizes() == std::vector<std::size_t>{2, 1, 1, 1, 1});
  CHECK(j.calls.back().attempt == 3);
  REQUIRE(j.failures.size() == 1);
  CHECK(j.failures[0].approximate_invoke_count == 4); // once in the pair, three times alone
}

TEST_CASE("partial batch response checkpoints at the lowest failure and retries from there (§2.5)",
          "[pollers][stream][spec-2.5]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  put_n(s, 6);
  const auto seq3 = s.shard_at(0).at(3).sequence;
  const auto seq4 = s.shard_at(0).at(4).sequence;
  esm::stream_poller poller{
      s, fn,
      [&](const kbatch& b, esm::invocation_context& ctx) {
        j.record(b, ctx);
        if (ctx.attempt() == 1) {
          return esm::batch_response::failed({esm::kinesis_sequence_number(seq4), esm::kinesis_sequence_number(seq3)});
        }
        return esm::batch_response::success();
      },
      esm::stream_options{.start = esm::starting_position::trim_horizon(), .report_batch_item_failures = true}};
  sim.run_until_idle();
  REQUIRE(j.calls.size() == 2);
  CHECK(j.calls[1].data == std::vector<std::string>{"3", "4", "5"}); // the successful 5 is replayed
  CHECK(j.calls[1].attempt == 2);
  CHECK(poller.metrics().failed_invoke_event_count == 3);
  CHECK(poller.metrics().processed_event_count == 6);
  CHECK(poller.metrics().retries == 1);
}

TEST_CASE("partial batch response: what is complete success and complete failure (§2.5)",
          "[pollers][stream][spec-2.5]") {
  auto run = [](esm::batch_response first_response, bool enabled) {
    esm::simulation sim;
    kstream s{sim, {}};
    esm::function fn{sim, {.name = "f"}};
    journal j;
    put_n(s, 3);
    esm::stream_poller poller{
        s, fn,
        [&](const kbatch& b, esm::invocation_context& ctx) {
          j.record(b, ctx);
          return ctx.attempt() == 1 ? first_response : esm::batch_response::success();
        },
        esm::stream_options{.start = esm::starting_position::trim_horizon(), .report_batch_item_failures = enabled}};
    sim.run_until_idle();
    return j.sizes();
  };
  using sizes = std::vector<std::size_t>;
  CHECK(run(esm::batch_response{}, true) == sizes{3});                                     // empty list: success
  CHECK(run(esm::batch_response{{esm::batch_item_failure{}}}, true) == sizes{3, 3});       // null identifier
  CHECK(run(esm::batch_response::failed({""}), true) == sizes{3, 3});                      // empty identifier
  CHECK(run(esm::batch_response::failed({"not-a-sequence-number"}), true) == sizes{3, 3}); // malformed
  CHECK(run(esm::batch_response::failed({esm::kinesis_sequence_number(999)}), true) == sizes{3, 3}); // not in batch
  CHECK(run(esm::batch_response::failed({esm::kinesis_sequence_number(1)}), false) == sizes{3});     // ignored when off
}

TEST_CASE("partial failures keep counting retries and then go to OnFailure (§2.5)", "[pollers][stream][spec-2.5]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  put_n(s, 3);
  const auto seq1 = s.shard_at(0).at(1).sequence;
  esm::stream_poller poller{
      s,
      fn,
      [&](const kbatch& b, esm::invocation_context& ctx) {
        j.record(b, ctx);
        return esm::batch_response::failed({esm::kinesis_sequence_number(seq1)});
      },
      esm::stream_retry{.max_attempts = 1},
      esm::stream_options{.start = esm::starting_position::trim_horizon(), .report_batch_item_failures = true},
      j.destination()};
  sim.run_until_idle();
  CHECK(j.sizes() == std::vector<std::size_t>{3, 2});
  REQUIRE(j.failures.size() == 1);
  CHECK(j.failures[0].batch_info.batch_size == 2);
  CHECK(j.failures[0].response_context->function_error.empty()); // the function did not error
  CHECK(poller.metrics().processed_event_count == 1);
}

TEST_CASE("ParallelizationFactor: concurrent batches per shard, order kept per partition key (§2.1)",
          "[pollers][stream][spec-2.1]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(500ms)}};
  for (int i = 0; i < 400; ++i) s.put("key-" + std::to_string(i % 20), std::to_string(i));
  std::map<std::string, std::vector<int>> per_key;
  esm::stream_poller poller{s,
                            fn,
                            [&](const kbatch& b) {
                              for (const auto& r : b) per_key[r.partition_key].push_back(std::stoi(r.data));
                            },
                            esm::batching{.batch_size = 10},
                            esm::parallelization{.factor = 4},
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  CHECK(poller.metrics().max_concurrency == 4); // ≤ shards × factor, and reached
  CHECK(per_key.size() == 20);
  for (const auto& [key, values] : per_key) {
    CHECK(std::is_sorted(values.begin(), values.end()));
    CHECK(values.size() == 20);
  }
  CHECK(poller.metrics().processed_event_count == 400);
}

TEST_CASE("with parallelization, a failing key blocks only its lane [ambiguous §2.2]", "[pollers][stream][spec-2.2]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  const esm::parallelization par{.factor = 2};
  // Two keys on different lanes.
  std::string bad = "bad", good;
  for (int i = 0; good.empty(); ++i) {
    const auto k = "good-" + std::to_string(i);
    if (par.lane_of(k) != par.lane_of(bad)) good = k;
  }
  s.put(bad, "poison");
  for (int i = 0; i < 5; ++i) s.put(good, std::to_string(i));
  int good_seen = 0;
  esm::stream_poller poller{s, fn,
                            [&](const kbatch& b) {
                              for (const auto& r : b) {
                                if (r.data == "poison") throw std::runtime_error("x");
                                ++good_seen;
                              }
                            },
                            par, esm::starting_position::trim_horizon()};
  sim.run_for(30s);
  CHECK(good_seen == 5);
  CHECK(poller.checkpoint(0) == 0); // the shard checkpoint stays at the blocked record
}

TEST_CASE("a child shard is not read before its parent is fully processed (§2.8)", "[pollers][stream][spec-2.8]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(1s)}};
  journal j;
  put_n(s, 30);
  esm::stream_poller poller{s, fn, [&](const kbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                            esm::batching{.batch_size = 10}, esm::starting_position::trim_horizon()};
  sim.advance_to(at(500ms)); // the parent's first batch is in flight
  s.split_shard("shardId-000000000000");
  for (int i = 0; i < 20; ++i) s.put("child-key-" + std::to_string(i), "c" + std::to_string(i));
  sim.run_until_idle();
  time_point parent_done{}, first_child{time_point::max()};
  for (const auto& c : j.calls) {
    if (c.shard == "shardId-000000000000")
      parent_done = std::max(parent_done, c.time + 1s);
    else
      first_child = std::min(first_child, c.time);
  }
  CHECK(parent_done == at(3s));
  CHECK(first_child >= parent_done);
  CHECK(j.all_data().size() == 50);
  CHECK(poller.metrics().processed_event_count == 50);
}

TEST_CASE("starting positions LATEST and AT_TIMESTAMP (§1)", "[pollers][stream][spec-1]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  s.put("k", "old");
  sim.advance_to(at(10s));
  s.put("k", "newer");
  sim.advance_to(at(20s));
  journal latest, stamp;
  esm::stream_poller a{s, fn, [&](const kbatch& b, esm::invocation_context& ctx) { latest.record(b, ctx); },
                       esm::stream_options{.start = esm::starting_position::latest()}};
  esm::stream_poller b{s, fn, [&](const kbatch& bb, esm::invocation_context& ctx) { stamp.record(bb, ctx); },
                       esm::stream_options{.start = esm::starting_position::at_timestamp(at(5s))}};
  s.put("k", "newest");
  sim.run_until_idle();
  CHECK(latest.all_data() == std::vector<std::string>{"newest"});
  CHECK(stamp.all_data() == std::vector<std::string>{"newer", "newest"});
}

TEST_CASE("disable pauses; enable resumes from the checkpoint (§1)", "[pollers][stream][spec-1]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  esm::stream_poller poller{s, fn, [&](const kbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                            esm::stream_options{.start = esm::starting_position::trim_horizon(), .enabled = false}};
  CHECK(poller.state() == esm::esm_state::disabled);
  CHECK(poller.last_processing_result() == "No records processed");
  put_n(s, 3);
  sim.run_for(10s);
  CHECK(j.calls.empty());
  CHECK(poller.metrics().polled_event_count == 0);
  poller.enable();
  sim.run_until_idle();
  CHECK(j.all_data() == std::vector<std::string>{"0", "1", "2"});
  poller.disable();
  put_n(s, 2, "k", 3);
  sim.run_for(10s);
  CHECK(j.calls.size() == 1);
  poller.enable();
  sim.run_until_idle();
  CHECK(j.all_data() == std::vector<std::string>{"0", "1", "2", "3", "4"});
}

TEST_CASE("IteratorAge is the age of the batch's last record when it is sent (§6)", "[pollers][stream][spec-6]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(3s)}};
  esm::stream_poller poller{s, fn, [](const kbatch&) {}, esm::batching{.batch_size = 1},
                            esm::starting_position::trim_horizon()};
  s.put("k", "a"); // polled and sent at 0 s
  sim.advance_to(at(1s));
  s.put("k", "b"); // sent when the first completes, at 3 s: age 2 s
  sim.run_until_idle();
  CHECK(poller.metrics().iterator_age == 2s);
  CHECK(poller.metrics().max_iterator_age == 2s);
}

TEST_CASE("until_consumed retention drops records once the mapping has processed them",
          "[pollers][stream][retention]") {
  esm::simulation sim;
  kstream s{sim, {.retention = esm::retention::until_consumed()}};
  esm::function fn{sim, {.name = "f"}};
  put_n(s, 250);
  esm::stream_poller poller{s, fn, [](const kbatch&) {}, esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  CHECK(s.shard_at(0).size() == 0);
  CHECK(s.metrics().records_expired == 250);
  CHECK(poller.metrics().processed_event_count == 250);
}

TEST_CASE("records that expire while waiting are counted, not lost silently (§2.8)", "[pollers][stream][spec-2.8]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(1h)}};
  put_n(s, 3);
  esm::stream_poller poller{s, fn, [](const kbatch&) { throw std::runtime_error("x"); }, esm::batching{.batch_size = 1},
                            esm::starting_position::trim_horizon()};
  sim.run_for(30h);
  const auto& m = poller.metrics();
  CHECK(m.expired_event_count + s.metrics().records_expired >= 2);
  CHECK(m.dropped_event_count == 0);
}

TEST_CASE("a blocked lane buffers up to its cap, then reading of the shard stops [ambiguous §2.2]",
          "[pollers][stream][spec-2.2]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  const esm::parallelization par{.factor = 2};
  std::string bad = "bad", good;
  for (int i = 0; good.empty(); ++i) {
    const auto k = "good-" + std::to_string(i);
    if (par.lane_of(k) != par.lane_of(bad)) good = k;
  }
  // The blocked lane's cap is max(10,000, 2 × BatchSize) = 10,000 records.
  for (int i = 0; i < 10'001; ++i) s.put(bad, "poison");
  for (int i = 0; i < 100; ++i) s.put(good, "ok");
  int ok = 0;
  esm::stream_poller poller{s, fn,
                            [&](const kbatch& b) {
                              for (const auto& r : b) {
                                if (r.data == "poison") throw std::runtime_error("x");
                                ++ok;
                              }
                            },
                            par, esm::starting_position::trim_horizon()};
  sim.run_for(10s);
  CHECK(ok == 0); // the good records sit behind the 10,001st poison record, which cannot be read
  CHECK(poller.metrics().polled_event_count == 10'000);
}

TEST_CASE("throttle_backoff is validated in [1ms, 60s]", "[pollers][stream][config]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  auto make = [&](esm::duration d) {
    esm::stream_poller p{s, fn, [](const kbatch&) {}, esm::throttle_backoff{{d, d}},
                         esm::starting_position::trim_horizon()};
  };
  CHECK_NOTHROW(make(1ms));
  CHECK_NOTHROW(make(60s));
  CHECK_THROWS_AS(make(999us), esm::config_error);
  CHECK_THROWS_AS(make(60s + 1ns), esm::config_error);
}

TEST_CASE("§1 AWS documented (6 MB invoke payload): the partition key and every record's metadata count",
          "[pollers][stream][spec-1]") {
  // The size of a record with a 1-character key and no data, from a stream of the same name.
  std::size_t base = 0;
  {
    esm::simulation sim;
    kstream probe{sim, {}};
    probe.put("k", "xyz"); // 4 characters of base64
    const auto& sh = probe.shard_at(0);
    base = esm::event_size<kstream>{probe}.record(sh.at(sh.begin_position()), sh.id()) - 4;
  }
  // Five records with as much data as fits in 6 MB of event JSON (`{"Records":[`, 4 commas,
  // `]}`), and a last key that takes up the slack: exactly 6 MB, one batch; one character more,
  // and the fifth record waits for the next batch.
  const std::size_t b64 = ((esm::max_invoke_payload_bytes - esm::event_envelope_bytes - 4) / 5 - base) / 4 * 4;
  const std::size_t slack = esm::max_invoke_payload_bytes - (esm::event_envelope_bytes + 4 + 5 * (base + b64));
  const auto sizes_with_last_key = [&](std::size_t key_length) {
    esm::simulation sim;
    kstream s{sim, {}};
    esm::function fn{sim, {.name = "f"}};
    journal j;
    for (int i = 0; i < 5; ++i) s.put(i < 4 ? "k" : std::string(key_length, 'k'), std::string(b64 / 4 * 3, 'x'));
    esm::stream_poller poller{s, fn, [&](const kbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                              esm::starting_position::trim_horizon()};
    sim.run_until_idle();
    return j.sizes();
  };
  CHECK(sizes_with_last_key(1 + slack) == std::vector<std::size_t>{5});
  CHECK(sizes_with_last_key(2 + slack) == std::vector<std::size_t>{4, 1});
  // Counting data bytes alone, a sixth such record (6 x 0.94 MB) would have fitted.
  CHECK(6 * (b64 / 4 * 3) < esm::max_invoke_payload_bytes);
}

TEST_CASE("timeouts and throttles count in FailedInvokeEventCount (§6)", "[pollers][stream][spec-6]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f", .timeout = 1s, .reserved_concurrency = 0}};
  put_n(s, 3);
  esm::stream_poller poller{s, fn, [](const kbatch&) {}, esm::starting_position::trim_horizon()};
  sim.run_for(2500ms);
  CHECK(poller.metrics().throttles == 3); // at 0, 1 and 2 s
  CHECK(poller.metrics().failed_invoke_event_count == 9);

  esm::simulation sim2;
  kstream s2{sim2, {}};
  esm::function slow{sim2, {.name = "slow", .timeout = 1s}};
  put_n(s2, 2);
  esm::stream_poller p2{s2, slow, [](const kbatch&, esm::invocation_context& ctx) { ctx.elapse(2s); },
                        esm::stream_retry{.max_attempts = 0}, esm::starting_position::trim_horizon()};
  sim2.run_until_idle();
  CHECK(p2.metrics().failed_invoke_event_count == 2);
  CHECK(p2.metrics().dropped_event_count == 2);
}

TEST_CASE("disable lets in-flight invocations complete and checkpoint (§1)", "[pollers][stream][spec-1]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(2s)}};
  put_n(s, 150);
  journal j;
  esm::stream_poller poller{s, fn, [&](const kbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                            esm::starting_position::trim_horizon()};
  sim.advance_to(at(1s)); // the first batch of 100 is in flight
  poller.disable();
  sim.run_for(1min);
  CHECK(j.calls.size() == 1);
  CHECK(poller.checkpoint(0) == 100);
  CHECK(poller.metrics().processed_event_count == 100);
  poller.enable();
  sim.run_until_idle();
  CHECK(poller.checkpoint(0) == 150);
}

TEST_CASE("a destination that throws is a failed delivery; the mapping goes on (§2.6, §6)",
          "[pollers][stream][spec-2.6][spec-6]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  put_n(s, 3);
  int ok = 0;
  esm::stream_poller poller{
      s,
      fn,
      [&](const kbatch& b) {
        if (b.front().data == "0") throw std::runtime_error("x");
        ok += static_cast<int>(b.size());
      },
      esm::batching{.batch_size = 1},
      esm::stream_retry{.max_attempts = 0},
      esm::on_failure{[](const esm::stream_failure_record&) -> bool { throw std::runtime_error("destination down"); }},
      esm::starting_position::trim_horizon()};
  CHECK_NOTHROW(sim.run_until_idle());
  CHECK(ok == 2);
  CHECK(poller.metrics().destination_delivery_failures == 1);
  CHECK(poller.metrics().dropped_event_count == 1);
}

TEST_CASE("records that expire while buffered count in expired_event_count, not as dropped (§2.8)",
          "[pollers][stream][spec-2.8]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f", .timeout = 900s, .default_duration = esm::duration_model::fixed(15min)}};
  put_n(s, 3);
  // One record per batch; each batch fails after 15 minutes, forever: the two waiting records
  // expire after 24 h while the first one is retried.
  esm::stream_poller poller{s, fn, [](const kbatch&) { throw std::runtime_error("x"); }, esm::batching{.batch_size = 1},
                            esm::starting_position::trim_horizon()};
  sim.run_for(25h);
  const auto& m = poller.metrics();
  CHECK(m.polled_event_count == 3);
  CHECK(m.expired_event_count == 3); // all three: the record in retry expires too, at its next dispatch
  CHECK(m.dropped_event_count == 0);
  CHECK(m.processed_event_count == 0);
}

TEST_CASE("a Kinesis shard is read at most 5 times per second (GetRecords, §8)", "[pollers][stream][spec-8]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  put_n(s, 25'000);
  esm::stream_poller poller{s, fn, [&](const kbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                            esm::batching{.batch_size = 10'000}, esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  // Each GetRecords returns at most 10,000 records; a batch completes in 10 ms, but the next read
  // of the shard waits until 200 ms after the previous one.
  CHECK(j.sizes() == std::vector<std::size_t>{10'000, 10'000, 5'000});
  REQUIRE(j.calls.size() == 3);
  CHECK(j.calls[0].time == at(0s));
  CHECK(j.calls[1].time == at(200ms));
  CHECK(j.calls[2].time == at(400ms));
}

TEST_CASE("§2.6 an SQS queue as the on-failure destination receives one message per discarded batch",
          "[pollers][stream][spec-2.6][spec-6]") {
  esm::simulation sim;
  kstream s{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "f"}};
  esm::sqs_queue<esm::stream_failure_record> failures{sim, "failures"};
  esm::sqs_queue<std::string> as_text{sim, "as-text"};
  put_n(s, 3);
  auto fail = [](const kbatch&) { throw std::runtime_error("x"); };
  esm::stream_poller poller{s,
                            fn,
                            fail,
                            esm::stream_retry{.max_attempts = 1},
                            esm::on_failure_queue{failures},
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  REQUIRE(failures.size() == 1);
  const auto got = failures.receive(10);
  REQUIRE(got.size() == 1);
  const esm::stream_failure_record& r = got[0].body;
  CHECK(r.condition == esm::discard_condition::retry_attempts_exhausted);
  CHECK(r.approximate_invoke_count == 2);
  CHECK(r.batch_info.batch_size == 3);
  CHECK(r.batch_info.stream_arn == s.arn());
  CHECK(poller.metrics().on_failure_destination_delivered_event_count == 3);
  CHECK(poller.metrics().dropped_event_count == 0);

  // A converter picks the message body.
  put_n(s, 1, "k2", 100);
  esm::stream_poller texts{
      s,
      fn,
      fail,
      esm::stream_retry{.max_attempts = 0},
      esm::on_failure_queue{
          as_text, [](const esm::stream_failure_record& x) { return std::string{esm::to_string(x.condition)}; }},
      esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  REQUIRE(as_text.size() >= 1);
  CHECK(as_text.receive(1)[0].body == "RetryAttemptsExhausted");
}

TEST_CASE("§6 a FIFO queue is not a valid on-failure destination: deliveries fail and the records are dropped",
          "[pollers][stream][spec-2.6][spec-6]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  esm::sqs_fifo_queue<esm::stream_failure_record> fifo{sim, "failures.fifo"};
  put_n(s, 2);
  esm::stream_poller poller{s,
                            fn,
                            [](const kbatch&) { throw std::runtime_error("x"); },
                            esm::stream_retry{.max_attempts = 0},
                            esm::on_failure_queue{fifo},
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  CHECK(fifo.size() == 0);
  CHECK(poller.metrics().destination_delivery_failures == 1);
  CHECK(poller.metrics().dropped_event_count == 2);
}

TEST_CASE("§2.6 a destination queue that rejects the message is a failed delivery", "[pollers][stream][spec-2.6]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  esm::sqs_queue<std::string> small{sim, {.name = "small", .maximum_message_size = 1024}};
  put_n(s, 2);
  esm::stream_poller poller{
      s,
      fn,
      [](const kbatch&) { throw std::runtime_error("x"); },
      esm::stream_retry{.max_attempts = 0},
      esm::on_failure_queue{small, [](const esm::stream_failure_record&) { return std::string(2000, 'x'); }},
      esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  CHECK(small.size() == 0);
  CHECK(poller.metrics().destination_delivery_failures == 1);
  CHECK(poller.metrics().dropped_event_count == 2);
}

TEST_CASE("§8 a Kinesis shard is read at 2 MB per second: a 10 MB GetRecords holds the shard for 5 s",
          "[pollers][stream][spec-8]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  std::vector<std::pair<esm::time_point, std::int64_t>> polls;
  sim.trace().subscribe([&](const esm::trace_event& e) {
    if (e.kind == "poll") polls.emplace_back(e.time, std::get<std::int64_t>(*e.find("records")));
  });
  for (int i = 0; i < 25; ++i) s.put("k", std::string(1'048'576, 'x')); // 1 MiB each
  esm::stream_poller poller{s, fn, [](const kbatch&) {}, esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  std::vector<std::pair<esm::time_point, std::int64_t>> reads;
  for (const auto& p : polls)
    if (p.second > 0) reads.push_back(p);
  // 9 records + their partition keys fit in 10 MiB; each read is paid for at 2 MiB/s.
  REQUIRE(reads.size() == 3);
  CHECK(reads[0] == std::pair{at(0s), std::int64_t{9}});
  CHECK(reads[1].first == reads[0].first + esm::duration{9 * (1'048'576LL + 1) * 1'000'000'000LL / 2'097'152});
  CHECK(reads[1].second == 9);
  CHECK(reads[2].second == 7);
  CHECK(poller.metrics().processed_event_count == 25);
}

TEST_CASE("§8 the 5 GetRecords calls per second of a shard are shared by every mapping reading it",
          "[pollers][stream][spec-8]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  std::map<std::string, std::vector<esm::time_point>> reads; // by mapping
  sim.trace().subscribe([&](const esm::trace_event& e) {
    if (e.kind == "poll" && std::get<std::int64_t>(*e.find("records")) > 0)
      reads[std::string{e.component}].push_back(e.time);
  });
  auto h = [](const kbatch&, esm::invocation_context& ctx) { ctx.elapse(1ms); };
  esm::stream_poller a{s, fn, h, esm::batching{.batch_size = 1},
                       esm::stream_options{.start = esm::starting_position::trim_horizon(), .name = "a"}};
  esm::stream_poller b{s, fn, h, esm::batching{.batch_size = 1},
                       esm::stream_options{.start = esm::starting_position::trim_horizon(), .name = "b"}};
  for (int i = 0; i < 200; ++i) { // a record every 50 ms for 10 s
    sim.advance_to(at(std::chrono::milliseconds{50 * i}));
    s.put("k", std::to_string(i));
  }
  sim.run_until_idle();
  std::vector<esm::time_point> all;
  for (const auto& [name, times] : reads) all.insert(all.end(), times.begin(), times.end());
  std::sort(all.begin(), all.end());
  REQUIRE(all.size() > 10);
  for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i] - all[i - 1] >= 200ms); // 5 per second, together
  CHECK(reads["esm/a"].size() > 5);
  CHECK(reads["esm/b"].size() > 5);
  CHECK(a.metrics().processed_event_count == 200);
  CHECK(b.metrics().processed_event_count == 200);
}

TEST_CASE("a mapping runs to the end of virtual time without overflow (issue 14)", "[pollers][stream][reliability]") {
  // Every deadline the poller computes (poll interval, window, backoff, timeout, transition
  // delays) saturates at time_point::max(); under UBSan an overflow fails this test.
  for (const esm::duration left : std::array<esm::duration, 5>{0ns, 1ns, 150ms, 2s, 10min}) {
    esm::simulation sim;
    kstream s{sim, {.name = "s", .shard_count = 2}};
    esm::function fn{sim, {.name = "f", .timeout = 3s}};
    journal j;
    int n = 0;
    esm::stream_poller p{s,
                         fn,
                         [&](const kbatch& b, esm::invocation_context& ctx) {
                           j.record(b, ctx);
                           if (++n % 3 == 0) throw std::runtime_error("fail");
                           if (n % 5 == 0) ctx.elapse(4s); // a timeout
                         },
                         esm::starting_position::trim_horizon(),
                         esm::stream_retry{.max_attempts = 2, .bisect_on_error = true},
                         esm::batching{.batch_size = 10, .window = 2s},
                         j.destination(),
                         esm::stream_options{.transitions = esm::mapping_transitions::eventual()}};
    sim.advance_to(time_point::max() - left - 1ns);
    put_n(s, 30, "k");
    for (int i = 0; i < 10; ++i) s.put("k" + std::to_string(i), "x");
    sim.run_for(esm::duration::max());
    CHECK(sim.now() == time_point::max());
    const auto& m = p.metrics();
    CHECK(m.polled_event_count + m.filtered_out_event_count <= 40);
    // Whatever could run before the end ran; nothing ran past it.
    for (const auto& c : j.calls) CHECK(c.time <= time_point::max());
    if (left >= 10min) {
      CHECK(m.processed_event_count + m.on_failure_destination_delivered_event_count + m.dropped_event_count == 40);
    }
  }
}

TEST_CASE("a handler that runs the simulation: a function error, and a usage_error from the run call (issue 14)",
          "[pollers][stream][reliability]") {
  esm::simulation sim;
  kstream s{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  bool nested = true;
  esm::stream_poller p{s, fn,
                       [&](const kbatch& b, esm::invocation_context& ctx) {
                         j.record(b, ctx);
                         if (nested) sim.run_for(1s); // not allowed: the event loop is not reentrant
                       },
                       esm::starting_position::trim_horizon()};
  put_n(s, 3);
  CHECK_THROWS_AS(sim.run_for(10s), esm::usage_error);
  REQUIRE(j.calls.size() == 1);
  nested = false;
  sim.run_for(10s);                // the simulation goes on: the batch is retried and succeeds
  CHECK(fn.metrics().errors == 1); // the handler's exception was a function error
  REQUIRE(j.calls.size() == 2);
  CHECK(j.calls[1].data == j.calls[0].data);
  CHECK(j.calls[1].attempt == 2);
  CHECK(p.metrics().processed_event_count == 3);
}

TEST_CASE("a filter predicate that throws: the run call throws it, the record is read again (issue 14)",
          "[pollers][stream][reliability][spec-5]") {
  esm::simulation sim;
  kstream s{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  bool broken = true;
  esm::stream_poller p{s, fn, [&](const kbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                       esm::starting_position::trim_horizon(), esm::record_filter{[&](const kstream::record_type& r) {
                         if (broken && r.data == "1") throw std::runtime_error("bad filter");
                         return r.data != "2";
                       }}};
  put_n(s, 4); // 0 1 2 3
  CHECK_THROWS_WITH(sim.run_for(10s), "bad filter");
  CHECK_THROWS_WITH(sim.run_for(10s), "bad filter"); // the next poll reads "1" again
  REQUIRE(j.calls.size() == 1);
  CHECK(j.calls[0].data == std::vector<std::string>{"0"}); // what was read before it went on
  broken = false;
  sim.run_for(10s);
  CHECK(j.all_data() == std::vector<std::string>{"0", "1", "3"});
  CHECK(p.metrics().filtered_out_event_count == 1);
}

namespace {
// The `detached` trace events of every mapping, as "<component> <reason>".
struct detached_events {
  std::vector<std::string> v;
  explicit detached_events(esm::simulation& sim) {
    sim.trace().subscribe([this](const esm::trace_event& e) {
      if (e.kind == "detached") v.push_back(std::string{e.component} + " " + esm::to_string(*e.find("reason")));
    });
  }
};
} // namespace

TEST_CASE("a function destroyed under a stream mapping: the mapping stops, Disabled, records kept (issue 14)",
          "[pollers][stream][reliability]") {
  esm::simulation sim;
  detached_events events{sim};
  kstream s{sim, {.name = "s"}};
  auto fn = std::make_unique<esm::function>(sim, esm::function_config{.name = "f"});
  journal j;
  esm::stream_poller p{s, *fn,
                       [&](const kbatch& b, esm::invocation_context& ctx) {
                         j.record(b, ctx);
                         ctx.elapse(5s);
                       },
                       esm::starting_position::trim_horizon(), esm::stream_options{.name = "m"}};
  put_n(s, 3);
  sim.run_for(2s); // the first batch is in flight
  REQUIRE(j.calls.size() == 1);
  fn.reset(); // before: heap-use-after-free in function::allocate_flight at the next poll
  put_n(s, 3, "k", 3);
  sim.run_for(1min);
  CHECK(j.calls.size() == 1);
  CHECK(p.state() == esm::esm_state::disabled);
  CHECK(p.state_transition_reason() == "esm: its function 'f' was destroyed");
  CHECK(events.v == std::vector<std::string>{"esm/m its function 'f' was destroyed"});
  // Nothing was consumed: the in-flight batch never completed, so the checkpoint did not move.
  CHECK(p.metrics().processed_event_count == 0);
  CHECK(s.shard_at(0).end_position() - s.shard_at(0).begin_position() == 6);
  const auto c = p.configuration();
  CHECK(c.function_name == "f");
  CHECK(c.state == esm::esm_state::disabled);
  CHECK_THROWS_WITH(p.enable(), Catch::Contains("its function 'f' was destroyed"));
  CHECK_THROWS_AS(p.update({.batch_size = 5}), esm::usage_error);
  p.delete_mapping();
  CHECK(p.state() == esm::esm_state::deleted);
}

TEST_CASE("a stream destroyed under its mapping: the mapping stops, in-flight results are dropped (issue 14)",
          "[pollers][stream][reliability]") {
  esm::simulation sim;
  esm::function fn{sim, {.name = "f"}};
  auto s = std::make_unique<kstream>(sim, esm::kinesis_stream_config{.name = "s"});
  const std::string arn = s->arn();
  journal j;
  esm::stream_poller p{*s, fn,
                       [&](const kbatch& b, esm::invocation_context& ctx) {
                         j.record(b, ctx);
                         ctx.elapse(5s);
                       },
                       esm::starting_position::trim_horizon()};
  put_n(*s, 3);
  sim.run_for(2s);
  REQUIRE(j.calls.size() == 1);
  s.reset(); // before: heap-use-after-free in the completion's checkpoint
  sim.run_for(1min);
  CHECK(fn.metrics().invocations == 1); // the invocation finished; its result went nowhere
  CHECK(fn.concurrent_executions() == 0);
  CHECK(p.state() == esm::esm_state::disabled);
  CHECK(p.state_transition_reason() == "esm: its event source " + arn + " was destroyed");
  CHECK(p.configuration().event_source_arn == arn);
  CHECK_THROWS_AS(p.disable(), esm::usage_error);
}

TEST_CASE("a stream mapping destroyed with events pending: its function and stream go on (issue 14)",
          "[pollers][stream][reliability]") {
  esm::simulation sim;
  esm::function fn{sim, {.name = "f"}};
  kstream s{sim, {.name = "s"}};
  using handler_fn = std::function<void(const kbatch&, esm::invocation_context&)>;
  auto p = std::make_unique<esm::stream_poller<kstream, handler_fn, esm::starting_position>>(
      s, fn, [](const kbatch&, esm::invocation_context& ctx) { ctx.elapse(5s); },
      esm::starting_position::trim_horizon());
  put_n(s, 3);
  sim.run_for(2s);
  CHECK(fn.concurrent_executions() == 1);
  p.reset();
  sim.run_for(1min);
  CHECK(fn.concurrent_executions() == 0);
  put_n(s, 3); // the stream still works, no poller is told
  CHECK(s.shard_at(0).end_position() == 6);
}
