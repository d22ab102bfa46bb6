// Tests of esm/pollers/configuration.hpp: GetEventSourceMapping (`configuration()`) and
// UpdateEventSourceMapping (`update()`) on live stream and SQS mappings (spec §1). For every
// parameter: both ends of its range, one step outside (a config_error naming the parameter, the
// range and the value, leaving the mapping unchanged), and the effect on the next batch.
#include <esm/pollers/configuration.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "support/errors.hpp"

using namespace std::chrono_literals;
using esm::time_point;
using kstream = esm::kinesis_stream<std::string>;
using kbatch = esm::stream_batch<kstream::record_type>;
using squeue = esm::sqs_queue<std::string>;
using qbatch = esm::queue_batch<squeue::message_type>;

namespace {

void put_n(kstream& s, int n, const std::string& key = "k") {
  for (int i = 0; i < n; ++i) s.put(key, std::to_string(i));
}

struct sizes {
  std::vector<std::size_t> v;
  auto handler() {
    return [this](const kbatch& b) { v.push_back(b.size()); };
  }
};

} // namespace

TEST_CASE("§1 configuration() reports every parameter of a stream mapping with AWS's defaults",
          "[pollers][configuration][stream][spec-1]") {
  esm::simulation sim;
  kstream s{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "f"}};
  esm::stream_poller p{s, fn, [](const kbatch&) {}, esm::starting_position::trim_horizon()};
  const auto c = p.configuration();
  CHECK(c.name == "esm");
  CHECK(c.kind == esm::source_kind::kinesis);
  CHECK(c.event_source_arn == "arn:aws:kinesis:us-east-1:123456789012:stream/orders");
  CHECK(c.function_name == "f");
  CHECK(c.state == esm::esm_state::enabled);
  CHECK(c.last_processing_result == "No records processed");
  CHECK(c.batch_size == 100);
  CHECK(c.maximum_batching_window == std::optional<esm::duration>{0s});
  CHECK(c.start.type == esm::iterator_type::trim_horizon);
  CHECK(c.parallelization_factor == 1);
  CHECK(c.maximum_retry_attempts == std::optional<int>{-1});
  CHECK(c.maximum_record_age == -1s);
  CHECK(c.bisect_batch_on_function_error == std::optional<bool>{false});
  CHECK(c.tumbling_window == 0s);
  CHECK_FALSE(c.report_batch_item_failures);
  CHECK_FALSE(c.filter_patterns.has_value());
  CHECK_FALSE(c.on_failure_destination);

  esm::stream_poller q{s, fn, [](const kbatch&) {},
                       esm::batching{.batch_size = 7, .window = 3s},
                       esm::parallelization{.factor = 4},
                       esm::stream_retry{.max_attempts = 5, .max_record_age = 120s, .bisect_on_error = true},
                       esm::stream_options{.start = esm::starting_position::latest(), .report_batch_item_failures = true,
                                           .name = "m"},
                       esm::filter_criteria{R"({"partitionKey":["a"]})"},
                       esm::on_failure{[](const esm::stream_failure_record&) {}}};
  const auto d = q.configuration();
  CHECK(d.name == "m");
  CHECK(d.batch_size == 7);
  CHECK(d.maximum_batching_window == std::optional<esm::duration>{3s});
  CHECK(d.start.type == esm::iterator_type::latest);
  CHECK(d.parallelization_factor == 4);
  CHECK(d.maximum_retry_attempts == std::optional<int>{5});
  CHECK(d.maximum_record_age == 120s);
  CHECK(d.bisect_batch_on_function_error == std::optional<bool>{true});
  CHECK(d.report_batch_item_failures);
  REQUIRE(d.filter_patterns.has_value());
  CHECK(*d.filter_patterns == std::vector<std::string>{R"({"partitionKey":["a"]})"});
  CHECK(d.on_failure_destination);
}

TEST_CASE("§1 update() validates each stream parameter at both ends and one step outside, leaving the mapping "
          "unchanged on error",
          "[pollers][configuration][stream][spec-1]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  esm::stream_poller p{s, fn, [](const kbatch&) {}, esm::starting_position::trim_horizon()};
  auto ok = [&](const esm::stream_mapping_update& u) { CHECK_NOTHROW(p.update(u)); };
  auto bad = [&](const esm::stream_mapping_update& u) {
    const auto before = p.configuration();
    const auto msg = esm_test::config_error_of([&] { p.update(u); });
    const auto after = p.configuration();
    CHECK(after.batch_size == before.batch_size);
    CHECK(after.parallelization_factor == before.parallelization_factor);
    CHECK(after.maximum_retry_attempts == before.maximum_retry_attempts);
    CHECK(after.maximum_record_age == before.maximum_record_age);
    return msg;
  };
  ok({.batch_size = 1});
  ok({.batch_size = 10'000});
  CHECK(bad({.batch_size = 0}) == "batch_size must be in [1, 10000] for a kinesis event source mapping, got 0");
  CHECK(bad({.batch_size = 10'001}) == "batch_size must be in [1, 10000] for a kinesis event source mapping, got 10001");
  ok({.maximum_batching_window = 0s});
  ok({.maximum_batching_window = 300s});
  CHECK(bad({.maximum_batching_window = 301s}) ==
        "window must be in [0s, 300s] for a kinesis event source mapping, got 301s");
  CHECK(bad({.maximum_batching_window = -1s}).find("window must be in [0s, 300s]") != std::string::npos);
  ok({.parallelization_factor = 1});
  ok({.parallelization_factor = 10});
  CHECK(bad({.parallelization_factor = 0}) ==
        "parallelization_factor must be in [1, 10] for a stream event source mapping, got 0");
  CHECK(bad({.parallelization_factor = 11}).find("got 11") != std::string::npos);
  ok({.maximum_retry_attempts = -1});
  ok({.maximum_retry_attempts = 0});
  ok({.maximum_retry_attempts = 10'000});
  CHECK(bad({.maximum_retry_attempts = -2}) ==
        "max_attempts must be -1 (infinite) or in [0, 10000] for a stream event source mapping, got -2");
  CHECK(bad({.maximum_retry_attempts = 10'001}).find("got 10001") != std::string::npos);
  ok({.maximum_record_age = -1s});
  ok({.maximum_record_age = 60s});
  ok({.maximum_record_age = 604'800s});
  CHECK(bad({.maximum_record_age = 59s}).find("max_record_age must be -1s (infinite) or whole seconds in [60s, 604800s]") !=
        std::string::npos);
  CHECK(bad({.maximum_record_age = 604'801s}).find("max_record_age") != std::string::npos);
  ok({.bisect_batch_on_function_error = true});
  ok({.report_batch_item_failures = true});
  CHECK(bad({.tumbling_window = 1s}).find("tumbling_window must be 0s unless the handler takes an esm::window_context") !=
        std::string::npos);
  const auto c = p.configuration();
  CHECK(c.batch_size == 10'000);
  CHECK(c.maximum_batching_window == std::optional<esm::duration>{300s});
  CHECK(c.parallelization_factor == 10);
  CHECK(c.maximum_retry_attempts == std::optional<int>{10'000});
  CHECK(c.maximum_record_age == 604'800s);
  CHECK(c.bisect_batch_on_function_error == std::optional<bool>{true});
  CHECK(c.report_batch_item_failures);
  CHECK_THROWS_AS(p.update({.filter_patterns = std::vector<std::string>{}}), esm::usage_error);
}

TEST_CASE("§1 an updated BatchSize and window apply to the next batch; the one in flight finishes as it was",
          "[pollers][configuration][stream][spec-1]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(1s)}};
  sizes z;
  put_n(s, 30);
  esm::stream_poller p{s, fn, z.handler(), esm::batching{.batch_size = 10}, esm::starting_position::trim_horizon()};
  sim.run_for(500ms); // the first batch of 10 is in flight
  p.update({.batch_size = 4});
  CHECK(p.batch_size() == 4);
  sim.run_until_idle();
  REQUIRE(z.v.size() >= 3);
  CHECK(z.v[0] == 10);
  CHECK(z.v[1] == 4);
  CHECK(z.v[2] == 4);
  p.update({.batch_size = 100, .maximum_batching_window = 5s});
  std::vector<time_point> starts;
  put_n(s, 3);
  const auto before = z.v.size();
  sim.run_until_idle();
  REQUIRE(z.v.size() == before + 1);
  CHECK(z.v.back() == 3); // gathered for the window
}

TEST_CASE("§1 an updated ParallelizationFactor reaches a shard once its lanes are done (order per key kept)",
          "[pollers][configuration][stream][spec-1][spec-2.1]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(1s)}};
  esm::stream_poller p{s, fn, [](const kbatch&) {}, esm::batching{.batch_size = 1},
                       esm::starting_position::trim_horizon()};
  for (int k = 0; k < 50; ++k) s.put("key" + std::to_string(k), "x");
  sim.run_for(2500ms);
  CHECK(p.metrics().max_concurrency == 1);
  p.update({.parallelization_factor = 5});
  CHECK(p.configuration().parallelization_factor == 5);
  sim.run_for(10s);
  CHECK(p.metrics().max_concurrency == 1); // the lane still holds records read under factor 1
  sim.run_until_idle();
  CHECK(p.metrics().max_concurrency == 1);
  for (int k = 0; k < 50; ++k) s.put("key" + std::to_string(k), "y"); // read under factor 5
  sim.run_until_idle();
  CHECK(p.metrics().max_concurrency == 5);
  CHECK(p.metrics().processed_event_count == 100);
}

TEST_CASE("§1 updated retry settings apply to the next failure: attempts, record age, bisection",
          "[pollers][configuration][stream][spec-2.3][spec-2.4]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  std::vector<esm::stream_failure_record> failures;
  std::vector<std::size_t> calls;
  put_n(s, 4);
  esm::stream_poller p{s,
                       fn,
                       [&](const kbatch& b) {
                         calls.push_back(b.size());
                         for (const auto& r : b)
                           if (r.data == "2") throw std::runtime_error("x");
                       },
                       esm::batching{.batch_size = 4},
                       esm::on_failure{[&](const esm::stream_failure_record& r) { failures.push_back(r); }},
                       esm::starting_position::trim_horizon()};
  sim.run_for(3s); // infinite retries: still failing
  CHECK(failures.empty());
  p.update({.maximum_retry_attempts = 0, .bisect_batch_on_function_error = true});
  sim.run_until_idle();
  // The next failure bisects: [0 1] ok, [2 3] -> [2] fails and is discarded at once, [3] ok.
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].batch_info.batch_size == 1);
  CHECK(p.metrics().processed_event_count == 3);
  CHECK(p.metrics().bisections == 2);

  s.put("k", "2");
  p.update({.maximum_retry_attempts = -1, .maximum_record_age = 60s, .bisect_batch_on_function_error = false});
  sim.run_until_idle();
  REQUIRE(failures.size() == 2);
  CHECK(failures[1].condition == esm::discard_condition::record_age_exceeded);
}

TEST_CASE("§1 updated FunctionResponseTypes, filters, Enabled and function apply to the next batch",
          "[pollers][configuration][stream][spec-1][spec-2.5][spec-5]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function f1{sim, {.name = "f1"}};
  esm::function f2{sim, {.name = "f2"}};
  std::vector<std::string> seen;
  esm::stream_poller p{s,
                       f1,
                       [&](const kbatch& b) -> esm::batch_response {
                         for (const auto& r : b) seen.push_back(r.data);
                         return esm::batch_response::failed({esm::kinesis_sequence_number(b.back().sequence)});
                       },
                       esm::filter_criteria{},
                       esm::stream_retry{.max_attempts = 0},
                       esm::starting_position::trim_horizon()};
  s.put("a", "1");
  sim.run_until_idle();
  CHECK(p.metrics().processed_event_count == 1); // the response is ignored: success
  p.update({.report_batch_item_failures = true});
  s.put("a", "2");
  sim.run_until_idle();
  CHECK(p.metrics().dropped_event_count == 1); // the reported failure is discarded after 0 retries
  p.update({.filter_patterns = std::vector<std::string>{R"({"partitionKey":["b"]})"}});
  CHECK(p.configuration().filter_patterns == std::optional<std::vector<std::string>>{{R"({"partitionKey":["b"]})"}});
  CHECK_THROWS_AS(p.update({.filter_patterns = std::vector<std::string>{R"({"nope":["b"]})"}}), esm::config_error);
  s.put("a", "3");
  sim.run_until_idle();
  CHECK(p.metrics().filtered_out_event_count == 1);
  p.update({.report_batch_item_failures = false, .enabled = false, .function_target = &f2});
  CHECK(p.configuration().state == esm::esm_state::disabled);
  CHECK(p.configuration().function_name == "f2");
  s.put("b", "4");
  sim.run_for(5s);
  CHECK(seen.size() == 2);
  p.update({.enabled = true});
  sim.run_until_idle();
  CHECK(seen.back() == "4");
  CHECK(f2.metrics().invocations == 1);
  CHECK(f1.metrics().invocations == 2);
}

TEST_CASE("§1 update() of a parameter that a user-written policy owns is a usage_error",
          "[pollers][configuration][stream][spec-1]") {
  struct own_batching {
    using esm_role = esm::batching_role;
    esm::batch_limits limits(esm::source_kind) const { return {.max_records = 3}; }
    esm::batch_decision decide(const esm::batch_candidate&) const { return esm::batch_decision::cut(); }
    void validate(esm::source_kind) const {}
  };
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  esm::stream_poller p{s, fn, [](const kbatch&) {}, own_batching{}, esm::starting_position::trim_horizon()};
  CHECK(p.configuration().batch_size == 3);
  CHECK_FALSE(p.configuration().maximum_batching_window.has_value());
  CHECK(esm_test::error_of<esm::usage_error>([&] { p.update({.batch_size = 5}); })
            .find("batch_size / maximum_batching_window belongs to AWS's batching policy") != std::string::npos);
  CHECK_NOTHROW(p.update({.maximum_retry_attempts = 3})); // the retry policy is AWS's
}

TEST_CASE("§1 an updated TumblingWindowInSeconds starts with the next window", "[pollers][configuration][stream][spec-2.7]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  std::vector<std::pair<time_point, time_point>> windows;
  esm::stream_poller p{s, fn,
                       [&](const kbatch&, const esm::window_context& w) {
                         windows.emplace_back(w.start, w.end);
                         return esm::window_response{.state = std::string{"s"}};
                       },
                       esm::tumbling_window{.size = 10s}, esm::starting_position::trim_horizon()};
  CHECK(p.configuration().tumbling_window == 10s);
  CHECK_THROWS_AS(p.update({.tumbling_window = 0s}), esm::config_error);
  CHECK_THROWS_AS(p.update({.tumbling_window = 901s}), esm::config_error);
  CHECK_NOTHROW(p.update({.tumbling_window = 900s}));
  CHECK_NOTHROW(p.update({.tumbling_window = 30s}));
  s.put("k", "x");
  sim.run_until_idle();
  REQUIRE_FALSE(windows.empty());
  CHECK(windows.front().second - windows.front().first == 30s);
}

TEST_CASE("§1 configuration() and update() of an SQS mapping", "[pollers][configuration][queue][spec-1][spec-3.2]") {
  esm::simulation sim;
  squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "f"}};
  esm::function slow{sim, {.name = "slow", .timeout = 60s}};
  std::vector<std::size_t> sizes;
  esm::queue_poller p{q, fn, [&](const qbatch& b) { sizes.push_back(b.size()); }, esm::filter_criteria{}};
  auto c = p.configuration();
  CHECK(c.kind == esm::source_kind::sqs_standard);
  CHECK(c.event_source_arn == "arn:aws:sqs:us-east-1:123456789012:q");
  CHECK(c.batch_size == 10);
  CHECK(c.maximum_batching_window == std::optional<esm::duration>{0s});
  CHECK_FALSE(c.maximum_concurrency.has_value());
  CHECK(c.filter_patterns == std::optional<std::vector<std::string>>{std::vector<std::string>{}});

  auto bad = [&](const esm::queue_mapping_update& u) {
    const auto msg = esm_test::config_error_of([&] { p.update(u); });
    CHECK(p.configuration().batch_size == 10);
    return msg;
  };
  CHECK(bad({.batch_size = 0}) == "batch_size must be in [1, 10000] for a sqs_queue event source mapping, got 0");
  CHECK(bad({.batch_size = 11}) == "window must be at least 1s when batch_size is above 10 for a sqs_queue event "
                                   "source mapping, got 0s");
  CHECK(bad({.batch_size = 10'001, .maximum_batching_window = 1s}).find("got 10001") != std::string::npos);
  CHECK(bad({.maximum_batching_window = 301s}).find("window must be in [0s, 300s]") != std::string::npos);
  CHECK(bad({.maximum_concurrency = 1}) ==
        "maximum_concurrency must be in [2, 1000] for a sqs_queue event source mapping, got 1");
  CHECK(bad({.maximum_concurrency = 1001}).find("got 1001") != std::string::npos);
  CHECK(bad({.function_target = &slow}).find("function timeout must be at most the queue's visibility timeout") !=
        std::string::npos);
  CHECK_NOTHROW(p.update({.batch_size = 1}));
  CHECK_NOTHROW(p.update({.batch_size = 10'000, .maximum_batching_window = 300s}));
  CHECK_NOTHROW(p.update({.maximum_concurrency = 1000}));
  CHECK_NOTHROW(p.update({.maximum_concurrency = 2}));
  CHECK_NOTHROW(p.update({.batch_size = 3, .maximum_batching_window = 0s}));
  c = p.configuration();
  CHECK(c.batch_size == 3);
  CHECK(c.maximum_concurrency == std::optional<int>{2});
  CHECK(p.target_concurrency() == 2); // the lower cap applies at once

  for (int i = 0; i < 7; ++i) q.send("m");
  sim.run_until_idle();
  CHECK(sizes == std::vector<std::size_t>{3, 3, 1});
  CHECK(p.metrics().max_concurrency <= 2);

  p.update({.maximum_concurrency = std::optional<int>{}, .filter_patterns = std::vector<std::string>{R"({"body":["keep"]})"}});
  CHECK_FALSE(p.configuration().maximum_concurrency.has_value());
  q.send("drop");
  q.send("keep");
  sim.run_until_idle();
  CHECK(p.metrics().filtered_out_event_count == 1);
  CHECK(p.metrics().deleted_event_count == 8);
  p.update({.enabled = false});
  CHECK(p.configuration().state == esm::esm_state::disabled);
}
