// Tests of tools/esm-sim/run.hpp: the engine. Producers write what they say, keys are distributed
// as said, failures happen as said, runs are deterministic, and every record is accounted for.
#include "run.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "accounting.hpp"
#include "support/catch.hpp"
#include "support/errors.hpp"

using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

json base(std::string_view type = "kinesis") {
  json doc{{"duration", "2min"},
           {"sample_interval", "10s"},
           {"source", {{"type", type}}},
           {"producers", json::array({{{"type", "constant"}, {"rate", 10}}})},
           {"function", {{"timeout", "10s"}, {"duration", "50ms"}}}};
  // StartingPosition is required for streams (as on AWS).
  if (type == "kinesis" || type == "dynamodb") doc["mapping"] = {{"starting_position", "TRIM_HORIZON"}};
  return doc;
}

esm_sim::run_result run(json doc, std::initializer_list<std::string_view> sets = {}) {
  for (const auto s : sets) esm_sim::apply_override(doc, s);
  return esm_sim::run_scenario(esm_sim::parse_scenario(doc));
}

using esm_sim_test::check_accounted;

} // namespace

TEST_CASE("a constant producer writes rate × time records, evenly", "[esm-sim][run]") {
  const auto r = run(base(), {"producers.0.rate=25"});
  CHECK(r.records_in == 25 * 120);
  REQUIRE(r.timeline.size() == 12);
  for (const auto& row : r.timeline) CHECK(row.records_in == 250);
  CHECK(r.timeline.back().t == 120.0);
  CHECK(r.remaining <= 10); // 50 ms handler, 1 shard: it keeps up (the last second's records wait for a poll)
  check_accounted(r);
}

TEST_CASE("start and stop bound a producer", "[esm-sim][run]") {
  const auto r = run(base(), {"producers.0.start=\"30s\"", "producers.0.stop=\"60s\""});
  CHECK(r.records_in == 300);
  CHECK(r.timeline[2].records_in == 0);
  CHECK(r.timeline[3].records_in == 100);
  CHECK(r.timeline[6].records_in == 0);
  CHECK(r.drain_time >= 60.0);
  CHECK(r.drain_time <= 70.0);
}

TEST_CASE("a Poisson producer averages its rate and depends on the seed", "[esm-sim][run]") {
  const auto a = run(base(), {"producers.0={\"type\":\"poisson\",\"rate\":100}"});
  const auto b = run(base(), {"producers.0={\"type\":\"poisson\",\"rate\":100}", "seed=2"});
  CHECK(std::abs(static_cast<double>(a.records_in) - 12000.0) < 400.0); // ~3.6 standard deviations
  CHECK(a.records_in != b.records_in);
}

TEST_CASE("a ramp writes (from + to) / 2 × its length", "[esm-sim][run]") {
  const auto r = run(base(), {"producers.0={\"type\":\"ramp\",\"from\":0,\"to\":100}"});
  CHECK(r.records_in == 6000);
  CHECK(r.timeline.front().records_in < r.timeline.back().records_in);
  CHECK(r.timeline.front().records_in == 42); // ∫0..10 s of 100·t/120 = 41.7
}

TEST_CASE("bursts write count records every period, repeat times", "[esm-sim][run]") {
  const auto r = run(base(), {"producers.0={\"type\":\"bursts\",\"count\":500,\"every\":\"30s\",\"repeat\":3}"});
  CHECK(r.records_in == 1500);
  CHECK(r.timeline[0].records_in == 500); // t = 0
  CHECK(r.timeline[3].records_in == 500); // t = 30 s
  CHECK(r.timeline[6].records_in == 500); // t = 60 s
  CHECK(r.timeline[9].records_in == 0);   // no fourth burst
}

TEST_CASE("a hot key concentrates a stream's records on one shard", "[esm-sim][run]") {
  // Four shards, uniform keys: up to four batches at once. Every record on one hot key: one.
  const auto spread = run(base(), {"source.shards=4", "producers.0.rate=400", "function.duration=\"500ms\""});
  const auto hot = run(base(), {"source.shards=4", "producers.0.rate=400", "function.duration=\"500ms\"",
                                "producers.0.keys={\"type\":\"hot\",\"count\":100,\"hot_keys\":1,\"hot_share\":1}"});
  CHECK(spread.concurrency_max == 4);
  CHECK(hot.concurrency_max == 1);
  // Zipf with a steep exponent behaves like a hot key too.
  const auto zipf = run(base(), {"source.shards=4", "producers.0.rate=400", "function.duration=\"500ms\"",
                                 "producers.0.keys={\"type\":\"zipf\",\"count\":100,\"s\":8}"});
  CHECK(zipf.concurrency_max <= 4);
  CHECK(zipf.iterator_age_max > spread.iterator_age_max);
}

TEST_CASE("resharding splits or merges the open shards; parents finish before children", "[esm-sim][run]") {
  // Two shards at 50 records/s each, a 1 s handler: about one batch per shard in flight.
  const std::initializer_list<std::string_view> load{"source.shards=2", "producers.0.rate=100",
                                                     "function.duration=\"1s\"", "producers.0.stop=\"100s\""};
  auto with = [&](std::string_view reshard) {
    json doc = base();
    for (const auto s : load) esm_sim::apply_override(doc, s);
    esm_sim::apply_override(doc, reshard);
    return esm_sim::run_scenario(esm_sim::parse_scenario(doc));
  };
  const auto split = with(R"(source.reshard=[{"at":"30s","action":"split_all"}])");
  CHECK(split.concurrency_max == 4); // four open shards after the split
  CHECK(split.timeline[1].concurrency_max <= 2); // 10-20 s: two
  check_accounted(split);
  CHECK(split.remaining == 0);
  const auto merged = with(R"(source.reshard=[{"at":"30s","action":"merge_all"}])");
  CHECK(merged.concurrency_max == 2);
  CHECK(merged.timeline[6].concurrency_max == 1); // 60-70 s: one shard left
  check_accounted(merged);
  CHECK(esm_test::error_of<esm_sim::scenario_error>([&] {
          (void)with(R"(source.reshard=[{"at":"3min","action":"split_all"}])");
        }) == "source.reshard.0.at: \"3min\" is outside the allowed range [0s, 2min]");
}

TEST_CASE("DynamoDB producers write INSERT, MODIFY or REMOVE records, which filters can tell apart", "[esm-sim][run]") {
  json doc = base("dynamodb");
  esm_sim::apply_override(doc, R"(producers=[{"type":"constant","rate":20,"stop":"100s"},)"
                               R"({"type":"constant","rate":10,"stop":"100s","operation":"modify"},)"
                               R"({"type":"constant","rate":5,"stop":"100s","operation":"remove"}])");
  esm_sim::apply_override(doc, R"(mapping.filter_criteria={"Filters":[{"Pattern":{"eventName":["REMOVE"]}}]})");
  const auto r = esm_sim::run_scenario(esm_sim::parse_scenario(doc));
  CHECK(r.records_in == 3500);
  CHECK(r.processed == 500);  // the REMOVEs
  CHECK(r.filtered == 3000);  // the INSERTs and MODIFYs
  check_accounted(r);
  CHECK(esm_test::error_of<esm_sim::scenario_error>([] {
          json k = base();
          esm_sim::apply_override(k, "producers.0.operation=modify");
          (void)esm_sim::parse_scenario(k);
        }) == "producers.0.operation: does not apply here; it applies to dynamodb sources");
}

TEST_CASE("Kinesis write limits refuse writes beyond 1,000 records/s per shard", "[esm-sim][run]") {
  const auto within = run(base(), {"source.write_limits=true", "producers.0.rate=1000", "producers.0.record_bytes=100"});
  CHECK(within.rejected == 0);
  CHECK(within.records_in == 120'000);
  const auto over = run(base(), {"source.write_limits=true", "producers.0.rate=1500", "producers.0.record_bytes=100"});
  CHECK(over.records_in == 120'000); // 1,000 per second get in
  CHECK(over.rejected == 60'000);    // the other 500 per second are refused
  check_accounted(over);
  const auto off = run(base(), {"producers.0.rate=1500", "producers.0.record_bytes=100"});
  CHECK(off.rejected == 0);
  CHECK(off.records_in == 180'000);
}

TEST_CASE("an error rate fails that share of invocations, which the stream retries", "[esm-sim][run]") {
  const auto r = run(base(), {"function.error_rate=0.25"});
  const double share = static_cast<double>(r.errors) / static_cast<double>(r.invocations);
  CHECK(share > 0.18);
  CHECK(share < 0.32);
  CHECK(r.retries == r.errors); // infinite retries: every failed batch is invoked again
  CHECK(r.processed == r.records_in - r.remaining);
  check_accounted(r);
}

TEST_CASE("a handler longer than the timeout is a timeout error", "[esm-sim][run]") {
  const auto r = run(base(), {"function.timeout=\"1s\"", "function.duration=\"2s\"", "mapping.maximum_retry_attempts=0"});
  CHECK(r.errors + 1 >= r.invocations); // the last one may still run at the end
  CHECK(r.timeouts == r.errors);
  CHECK(r.processed == 0);
  CHECK(r.dropped + r.remaining == r.records_in);
}

TEST_CASE("reserved concurrency throttles an SQS mapping's extra batches", "[esm-sim][run]") {
  const auto r = run(base("sqs"), {"producers.0.rate=100", "function.reserved_concurrency=1", "function.duration=\"1s\""});
  CHECK(r.throttles > 0);
  CHECK(r.concurrency_max == 1);
  check_accounted(r);
}

TEST_CASE("cold starts happen once per new execution environment", "[esm-sim][run]") {
  const auto r = run(base(), {"source.shards=3", "producers.0.rate=300", "function.cold_start={\"init\":\"300ms\"}"});
  CHECK(r.cold_starts == 3); // one environment per shard, kept warm
  const auto warm = run(base(), {"source.shards=3", "producers.0.rate=300"});
  CHECK(warm.cold_starts == 0);
}

TEST_CASE("the same scenario and seed give the same run, bit for bit", "[esm-sim][run]") {
  const std::initializer_list<std::string_view> sets{"producers.0={\"type\":\"poisson\",\"rate\":200}",
                                                     "function.error_rate=0.1",
                                                     "function.duration={\"type\":\"exponential\",\"mean\":\"80ms\"}",
                                                     "source.shards=2"};
  const auto a = run(base(), sets);
  const auto b = run(base(), sets);
  REQUIRE(a.timeline.size() == b.timeline.size());
  for (std::size_t i = 0; i < a.timeline.size(); ++i) {
    CHECK(a.timeline[i].records_in == b.timeline[i].records_in);
    CHECK(a.timeline[i].processed == b.timeline[i].processed);
    CHECK(a.timeline[i].errors == b.timeline[i].errors);
    CHECK(std::memcmp(&a.timeline[i].iterator_age_max, &b.timeline[i].iterator_age_max, sizeof(double)) == 0);
  }
  CHECK(a.events == b.events);
  CHECK(a.iterator_age_p99 == b.iterator_age_p99);
}

TEST_CASE("every record is accounted for on every source", "[esm-sim][run]") {
  for (const char* type : {"kinesis", "dynamodb", "sqs", "sqs_fifo"}) {
    INFO(type);
    const auto r = run(base(type), {"producers.0.rate=50", "function.error_rate=0.2", "function.poison={\"rate\":0.01}"});
    CHECK(r.records_in == 6000);
    CHECK(r.errors > 0);
    check_accounted(r);
  }
}

TEST_CASE("filter criteria remove records on every source, by content or by key", "[esm-sim][run]") {
  // Two producers; the filter keeps one of them by the record's content, which esm-sim writes as
  // {"producer":"<name>","n":<number>} (data, body, or the NewImage map for DynamoDB).
  const std::string two = R"(producers=[{"name":"orders","type":"constant","rate":30,"stop":"100s"},)"
                          R"({"name":"heartbeat","type":"constant","rate":10,"stop":"100s"}])";
  for (const auto& [type, pattern] : std::vector<std::pair<std::string, std::string>>{
           {"kinesis", R"({"data":{"producer":["orders"]}})"},
           {"dynamodb", R"({"dynamodb":{"NewImage":{"producer":{"S":["orders"]}}}})"},
           {"sqs", R"({"body":{"producer":["orders"]}})"},
           {"sqs_fifo", R"({"body":{"producer":["orders"]}})"}}) {
    INFO(type);
    json doc = base(type);
    esm_sim::apply_override(doc, two);
    doc["mapping"]["filter_criteria"] = {{"Filters", json::array({{{"Pattern", json::parse(pattern)}}})}};
    const auto r = esm_sim::run_scenario(esm_sim::parse_scenario(doc));
    CHECK(r.records_in == 4000);
    CHECK(r.filtered == 1000); // every heartbeat record, and nothing else
    CHECK(r.processed == 3000);
    check_accounted(r);
  }
  // By partition key: keep keys starting with "key-1" (key-1, key-10..key-19 of 100).
  const auto k = run(base(), {"producers.0.rate=100", R"(mapping.filter_criteria={"Filters":[{"Pattern":{"partitionKey":[{"prefix":"key-1"}]}}]})"});
  CHECK(static_cast<double>(k.filtered) / static_cast<double>(k.records_in) == Approx(0.89).margin(0.03));
}

TEST_CASE("metrics are found by their catalogue names", "[esm-sim][run]") {
  const auto r = run(base());
  for (const auto& m : esm_sim::metrics_catalogue()) {
    INFO(m.name);
    CHECK_FALSE(std::isnan(r.metric(m.name)));
  }
  CHECK(std::isnan(r.metric("no_such_metric")));
  CHECK(r.metric("records_in") == 1200.0);
}

TEST_CASE("goals compare a metric with a value", "[esm-sim][run]") {
  const auto g = [](const char* op) { return esm_sim::goal{"", "dropped", op, 5.0}; };
  CHECK(esm_sim::goal_met(g("<"), 4));
  CHECK_FALSE(esm_sim::goal_met(g("<"), 5));
  CHECK(esm_sim::goal_met(g("<="), 5));
  CHECK(esm_sim::goal_met(g(">"), 6));
  CHECK_FALSE(esm_sim::goal_met(g(">="), 4));
  CHECK(esm_sim::goal_met(g("=="), 5));
  CHECK(esm_sim::goal_met(g("!="), 4));
  CHECK_FALSE(esm_sim::goal_met(g("<"), std::nan("")));
  CHECK_FALSE(esm_sim::goal_met(g("<"), std::numeric_limits<double>::infinity()));
}
