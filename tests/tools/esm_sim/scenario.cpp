// Tests of tools/esm-sim/scenario.hpp: reading a scenario file, the defaults, and every kind of
// rejection (unknown key, wrong type, out of AWS's range, not for this source) with its JSON path.
#include "scenario.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "support/errors.hpp"

using namespace std::chrono_literals;
using esm_sim::parse_scenario;
using esm_sim::scenario_error;
using json = nlohmann::json;

namespace {

json minimal(std::string_view type = "kinesis") {
  json doc{{"duration", "1min"},
           {"source", {{"type", type}}},
           {"producers", json::array({{{"type", "constant"}, {"rate", 10}}})}};
  // StartingPosition is required for streams (as on AWS).
  if (type == "kinesis" || type == "dynamodb") doc["mapping"] = {{"starting_position", "TRIM_HORIZON"}};
  return doc;
}

/// The message of the scenario_error that parsing `doc` throws.
std::string error(const json& doc) {
  return esm_test::error_of<scenario_error>([&] { (void)parse_scenario(doc); });
}

/// `doc` with `path=value` applied, as `--set` does.
json with(json doc, const std::string& assignment) {
  esm_sim::apply_override(doc, assignment);
  return doc;
}

} // namespace

TEST_CASE("a minimal scenario gets AWS's defaults", "[esm-sim][scenario]") {
  const auto s = parse_scenario(minimal());
  CHECK(s.source.type == esm_sim::source_type::kinesis);
  CHECK(s.source.shards == 1);
  CHECK(s.source.retention == 24h);
  CHECK(s.seed == 1);
  CHECK(s.run_length == 1min);
  CHECK(s.sample_interval == 1s); // duration / 120, at least 1 s
  CHECK_FALSE(s.mapping.batching.batch_size.has_value()); // the source's default: 100 for streams
  CHECK(s.mapping.parallelization.factor == 1);
  CHECK(s.mapping.retry.max_attempts == -1);
  CHECK(s.mapping.retry.max_record_age == -1s);
  CHECK(s.mapping.throttle.delay == esm::throttle_backoff::streams().delay);
  CHECK(s.mapping.filter_criteria.empty());
  CHECK(s.function.timeout == 3s);
  CHECK(s.function.account_concurrency == 1000);
  CHECK(s.producers.at(0).keys.count == 100);
  CHECK(s.producers.at(0).keys.prefix == "key-");
  CHECK(s.charts.size() == 5);
  const auto q = parse_scenario(minimal("sqs"));
  CHECK(q.source.visibility_timeout == 30s);
  CHECK(q.source.retention == 96h);
  const auto f = parse_scenario(minimal("sqs_fifo"));
  CHECK(f.source.name == "queue.fifo");
  CHECK(f.producers.at(0).keys.prefix == "group-");
}

TEST_CASE("every key of a full scenario is read", "[esm-sim][scenario]") {
  const json doc = json::parse(R"({
    "name": "full", "description": "d", "seed": 42, "duration": "2h", "sample_interval": "30s",
    "source": {"type": "kinesis", "name": "orders", "shards": 8, "retention": "48h"},
    "producers": [
      {"type": "poisson", "rate": 2000, "start": "1min", "stop": "90min", "record_bytes": 512,
       "keys": {"type": "hot", "count": 1000, "hot_keys": 3, "hot_share": 0.4, "prefix": "device-"}},
      {"type": "ramp", "from": 0, "to": 500, "keys": {"type": "zipf", "count": 50, "s": 1.2}},
      {"type": "bursts", "count": 10000, "every": "15min", "repeat": 4}
    ],
    "function": {"name": "f", "timeout": "30s", "reserved_concurrency": 50, "memory_mb": 1024,
                 "duration": {"type": "normal", "mean": "120ms", "stddev": "20ms", "per_record": "1ms"},
                 "cold_start": {"init": "400ms", "keep_warm": "10min"}, "error_rate": 0.01,
                 "poison": {"records": [7, 3], "rate": 0.0001, "keys": ["device-2"]}, "account_concurrency": 3000},
    "mapping": {"batch_size": 500, "maximum_batching_window": "2s", "parallelization_factor": 4,
                "maximum_retry_attempts": 3, "maximum_record_age": "3600s", "bisect_batch_on_function_error": true,
                "report_batch_item_failures": true, "starting_position": "LATEST", "on_failure_destination": true,
                "throttle_backoff": "500ms"},
    "goals": ["iterator_age_p99 < 60s", "dropped == 0"],
    "charts": ["iterator_age", "backlog"]
  })");
  const auto s = parse_scenario(doc);
  CHECK(s.seed == 42);
  CHECK(s.run_length == 2h);
  CHECK(s.source.shards == 8);
  CHECK(s.source.retention == 48h);
  REQUIRE(s.producers.size() == 3);
  CHECK(s.producers[0].type == esm_sim::producer_spec::kind::poisson);
  CHECK(s.producers[0].start == 1min);
  CHECK(s.producers[0].stop == 90min);
  CHECK(s.producers[0].keys.hot_keys == 3);
  CHECK(s.producers[1].stop == 2h); // a ramp without stop ends at the run's end
  CHECK(s.producers[1].keys.zipf_s == Approx(1.2));
  CHECK(s.producers[2].repeat == 4);
  CHECK(s.function.reserved_concurrency == 50);
  CHECK(s.function.duration.type == esm_sim::duration_spec::kind::normal);
  CHECK(s.function.duration.per_record == 1ms);
  CHECK(s.function.cold_starts);
  CHECK(s.function.cold_start_init.a == 400ms);
  CHECK(s.function.poison_records == std::vector<std::uint64_t>{3, 7});
  CHECK(s.mapping.batching.batch_size == 500);
  CHECK(s.mapping.retry.max_record_age == 3600s);
  CHECK(s.mapping.start.type == esm::iterator_type::latest);
  CHECK(s.mapping.throttle.delay == esm::backoff{500ms, 500ms}); // flat
  REQUIRE(s.goals.size() == 2);
  CHECK(s.goals[0].metric == "iterator_age_p99");
  CHECK(s.goals[0].op == "<");
  CHECK(s.goals[0].value == 60.0);
  CHECK(s.charts.size() == 2);
}

TEST_CASE("§1 AWS recorded: starting_position is required for stream sources, as StartingPosition is",
          "[esm-sim][scenario][spec-1][recorded]") {
  for (const char* type : {"kinesis", "dynamodb"}) {
    INFO(type);
    json doc = minimal(type);
    doc.erase("mapping");
    CHECK(error(doc) == "mapping.starting_position: missing; \"TRIM_HORIZON\" or \"LATEST\" (AWS's StartingPosition "
                        "is required for kinesis and dynamodb sources)");
    CHECK(error(with(minimal(type), "mapping={\"batch_size\":10}")) ==
          "mapping.starting_position: missing; \"TRIM_HORIZON\" or \"LATEST\" (AWS's StartingPosition is required for "
          "kinesis and dynamodb sources)");
    CHECK(parse_scenario(with(minimal(type), "mapping.starting_position=\"LATEST\"")).mapping.start.type ==
          esm::iterator_type::latest);
    CHECK(parse_scenario(minimal(type)).mapping.start.type == esm::iterator_type::trim_horizon);
  }
  // Queues have none: the key does not apply there.
  CHECK_NOTHROW(parse_scenario(minimal("sqs")));
  CHECK(error(with(minimal("sqs"), "mapping.starting_position=\"LATEST\"")) ==
        "mapping.starting_position: does not apply here; it applies to kinesis and dynamodb sources");
}

TEST_CASE("unknown keys are rejected with their path and the keys allowed there", "[esm-sim][scenario]") {
  CHECK(error(with(minimal(), "mapping.batchsize=10")) ==
        "mapping.batchsize: unknown key; allowed here: batch_size, maximum_batching_window, parallelization_factor, "
        "maximum_retry_attempts, maximum_record_age, bisect_batch_on_function_error, report_batch_item_failures, "
        "starting_position, tumbling_window, on_failure_destination, throttle_backoff, maximum_concurrency, scaling, "
        "visibility_backoff, filter_criteria");
  CHECK(error(with(minimal(), "producers.0.keys.hot=1")).starts_with("producers.0.keys.hot: unknown key; allowed here: type, count"));
  CHECK(error(with(minimal(), "runtime=\"1h\"")).starts_with("runtime: unknown key; allowed here: name, description"));
}

TEST_CASE("wrong types are rejected with their path", "[esm-sim][scenario]") {
  CHECK(error(with(minimal(), "mapping.batch_size=\"100\"")) ==
        "mapping.batch_size: expected an integer, got a string (\"100\")");
  CHECK(error(with(minimal(), "duration=60")) ==
        "duration: expected a duration string such as \"250ms\", \"30s\", \"5min\" or \"1h\" in [1s, 720h], got a number (60)");
  CHECK(error(with(minimal(), "mapping.bisect_batch_on_function_error=1")) ==
        "mapping.bisect_batch_on_function_error: expected true or false, got a number");
  CHECK(error(with(minimal(), "producers={}")) == "producers: expected a non-empty array of producers");
  CHECK(error(with(minimal(), "source=[]")) == "source: expected an object, got an array");
  CHECK(error(with(minimal(), "duration=\"10 minutes\"")) ==
        "duration: \"10 minutes\" is not a duration; write a number and a unit (ns, us, ms, s, min, h, d), e.g. \"250ms\"");
}

TEST_CASE("values outside AWS's ranges are rejected with the allowed range", "[esm-sim][scenario]") {
  // The mapping's ranges are the library's (each policy's validate()); the message is its
  // config_error with the parameter mapped to the scenario's key.
  CHECK(error(with(minimal(), "mapping.batch_size=20000")) ==
        "mapping.batch_size: must be in [1, 10000] for a kinesis event source mapping, got 20000");
  CHECK(error(with(minimal("sqs_fifo"), "mapping.batch_size=11")) ==
        "mapping.batch_size: must be in [1, 10] for a sqs_fifo_queue event source mapping, got 11");
  CHECK(error(with(minimal(), "mapping.batch_size=99999999999")) ==
        "mapping.batch_size: 99999999999 is outside the allowed range [-2147483648, 2147483647]");
  CHECK(error(with(minimal(), "mapping.parallelization_factor=11")) ==
        "mapping.parallelization_factor: must be in [1, 10] for a stream event source mapping, got 11");
  CHECK(error(with(minimal(), "mapping.maximum_retry_attempts=10001")) ==
        "mapping.maximum_retry_attempts: must be -1 (infinite) or in [0, 10000] for a stream event source mapping, got 10001");
  CHECK(error(with(minimal(), "mapping.maximum_record_age=\"59s\"")) ==
        "mapping.maximum_record_age: must be -1s (infinite) or whole seconds in [60s, 604800s] for a stream event "
        "source mapping, got 59s");
  CHECK(error(with(minimal(), "mapping.maximum_record_age=-2")) ==
        "mapping.maximum_record_age: expected -1 (infinite) or a duration string such as \"3600s\", got -2");
  CHECK(error(with(minimal(), "mapping.maximum_batching_window=\"301s\"")) ==
        "mapping.maximum_batching_window: must be in [0s, 300s] for a kinesis event source mapping, got 301s");
  CHECK(error(with(minimal(), "mapping.tumbling_window=\"1.5s\"")) ==
        "mapping.tumbling_window: must be a whole number of seconds in [0s, 900s] for a stream event source mapping, "
        "got 1500ms");
  CHECK(error(with(minimal(), "mapping.throttle_backoff=\"0s\"")) ==
        "mapping.throttle_backoff: must be in [1ms, 60s] for an event source mapping, got 0s");
  CHECK(error(with(minimal("sqs"), "mapping.maximum_concurrency=1")) ==
        "mapping.maximum_concurrency: must be in [2, 1000] for a sqs_queue event source mapping, got 1");
  CHECK(error(with(minimal("sqs"), "mapping.visibility_backoff={\"base\": \"2s\", \"maximum\": \"1s\"}")) ==
        "mapping.visibility_backoff.maximum: must be in [2s, 43200s] for exponential_backoff_visibility, got 1s");
  // Both ends of each range pass.
  for (const char* ok : {"mapping.batch_size=1", "mapping.batch_size=10000", "mapping.parallelization_factor=10",
                         "mapping.maximum_retry_attempts=10000", "mapping.maximum_retry_attempts=-1",
                         "mapping.maximum_record_age=\"604800s\"", "mapping.maximum_record_age=-1",
                         "mapping.tumbling_window=\"900s\"", "mapping.throttle_backoff=\"60s\""}) {
    CAPTURE(ok);
    CHECK_NOTHROW(parse_scenario(with(minimal(), ok)));
  }
  CHECK(parse_scenario(with(minimal("sqs"), "mapping.maximum_concurrency=1000")).mapping.maximum_concurrency() == 1000);
  CHECK(parse_scenario(with(minimal("sqs"), "mapping.scaling=\"2022\"")).mapping.scaling_2022());
  CHECK(error(with(minimal("sqs"), "source.visibility_timeout=\"13h\"")) ==
        "source.visibility_timeout: must be in [0s, 43200s] for sqs_queue 'queue', got 46800s");
  CHECK(error(with(minimal("sqs"), "source.dead_letter_queue.max_receive_count=0")) ==
        "source.dead_letter_queue.max_receive_count: must be in [1, 1000] for sqs_queue 'queue', got 0");
  CHECK(error(with(minimal(), "function.timeout=\"901s\"")) ==
        "function.timeout: must be in [1s, 900s] for function 'consumer', got 901s");
  CHECK(error(with(minimal(), "function.reserved_concurrency=901")) ==
        "function.reserved_concurrency: must be in [0, 900] for function 'consumer' "
          "(account limit 1000, 100 kept unreserved, 0 reserved by other functions), got 901");
  CHECK(error(with(minimal(), "function.error_rate=1.5")) == "function.error_rate: 1.5 is outside the allowed range [0, 1]");
  CHECK(error(with(minimal(), "producers.0.rate=0")) == "producers.0.rate: 0 is outside the allowed range (0, 10000000]");
  CHECK(error(with(minimal("dynamodb"), "source.retention=\"48h\"")) ==
        "source.retention: must be 86400s (24 h, fixed by DynamoDB Streams) or until_consumed() "
          "for dynamodb_stream 'table', got 172800s");
  CHECK(error(with(minimal(), "source.shards=0")) == "source.shards: must be in [1, 100000] for kinesis_stream 'stream', got 0");
  CHECK(error(with(minimal("dynamodb"), "source.partitions=1001")) ==
        "source.partitions: must be in [1, 1000] for dynamodb_stream 'table', got 1001");
  CHECK(error(with(minimal("dynamodb"), "source.rollover=\"30s\"")) ==
        "source.rollover: must be in [60s, 86400s] for dynamodb_stream 'table', got 30s");
  CHECK(error(with(minimal("sqs"), "source.retention=\"59s\"")) ==
        "source.retention: must be in [60s, 1209600s] for sqs_queue 'queue', got 59s");
  CHECK(error(with(minimal("sqs"), "source.delay=\"0.5s\"")) ==
        "source.delay: must be a whole number of seconds in [0s, 900s] for sqs_queue 'queue', got 500ms");
  CHECK(error(with(minimal("sqs"), "source.at_least_once={\"duplicate_probability\": 1.5}")) ==
        "source.at_least_once.duplicate_probability: must be in [0, 1] for sqs_queue 'queue', got 1.5");
  CHECK(error(with(minimal(), "function.memory_mb=127")) ==
        "function.memory_mb: must be in [128, 10240] for function 'consumer', got 127");
  CHECK(error(with(minimal(), "function.name=\"bad name\"")) ==
        "function.name: must be 1-64 characters of [a-zA-Z0-9-_] for function, got 'bad name'");
  CHECK(error(with(minimal(), "function.account_concurrency=0")) ==
        "function.account_concurrency: must be in [1, 1000000] for account, got 0");
  for (const char* ok : {"source.retention=\"8760h\"", "function.timeout=\"900s\"", "function.memory_mb=10240",
                         "function.reserved_concurrency=900"}) {
    CAPTURE(ok);
    CHECK_NOTHROW(parse_scenario(with(minimal(), ok)));
  }
  CHECK_NOTHROW(parse_scenario(with(minimal("sqs"), "source.visibility_timeout=\"12h\"")));
  CHECK_NOTHROW(parse_scenario(with(minimal("dynamodb"), "source.partitions=1000")));
  CHECK(error(with(minimal("dynamodb"), "producers.0.record_bytes=409601")) ==
        "producers.0.record_bytes: 409601 is outside the allowed range [1, 409600] for dynamodb sources");
  CHECK(error(with(minimal(), "producers.0.record_bytes=1048576")) ==
        "producers.0.record_bytes: 1048576 is outside the allowed range [1, 1048320] for kinesis sources");
}

TEST_CASE("settings of another source or another kind are rejected", "[esm-sim][scenario]") {
  CHECK(error(with(minimal("sqs"), "mapping.parallelization_factor=2")) ==
        "mapping.parallelization_factor: does not apply here; it applies to kinesis and dynamodb sources");
  CHECK(error(with(minimal(), "mapping.maximum_concurrency=5")) ==
        "mapping.maximum_concurrency: does not apply here; it applies to sqs and sqs_fifo sources");
  CHECK(error(with(minimal(), "source.visibility_timeout=\"30s\"")) ==
        "source.visibility_timeout: does not apply here; it applies to sqs and sqs_fifo sources");
  CHECK(error(with(minimal("sqs"), "source.content_based_deduplication=true")) ==
        "source.content_based_deduplication: does not apply here; it applies to sqs_fifo sources");
  CHECK(error(with(minimal(), "producers.0.count=5")) ==
        "producers.0.count: does not apply here; it applies to bursts producers");
  CHECK(error(with(minimal("sqs_fifo"), "mapping.maximum_batching_window=\"1s\"")) ==
        "mapping.maximum_batching_window: must be 0s (a batching window is not supported for FIFO queues) for a "
        "sqs_fifo_queue event source mapping, got 1s");
  CHECK(error(with(minimal("sqs"), "mapping.batch_size=100")) ==
        "mapping.maximum_batching_window: must be at least 1s when batch_size is above 10 for a sqs_queue event "
        "source mapping, got 0s");
  CHECK(error(with(minimal("sqs_fifo"), "source.name=\"orders\"")) ==
        "source.name: must be 1-80 characters of [a-zA-Z0-9-_] ending in .fifo for sqs_fifo_queue, got 'orders'");
  CHECK(error(with(minimal(), "source.type=\"kafka\"")) ==
        "source.type: \"kafka\" is not one of \"kinesis\", \"dynamodb\", \"sqs\", \"sqs_fifo\"");
}

TEST_CASE("missing required parts are named", "[esm-sim][scenario]") {
  auto doc = minimal();
  doc.erase("duration");
  CHECK(error(doc) == "duration: missing; the simulated run length, e.g. \"10min\" (1s to 30d)");
  doc = minimal();
  doc.erase("producers");
  CHECK(error(doc) == "producers: missing; an array of producers (at least one)");
  CHECK(error(with(minimal(), "producers.0={\"type\":\"constant\"}")) ==
        "producers.0.rate: missing; records per second, a number in (0, 10000000]");
  CHECK(error(with(minimal(), "producers.0={\"type\":\"bursts\"}")) ==
        "producers.0.count: missing; records per burst, an integer in [1, 100000000]");
  CHECK(error(with(minimal(), "producers.0={\"type\":\"ramp\",\"from\":0,\"to\":10,\"stop\":\"0s\"}")) ==
        "producers.0.stop: a ramp needs `stop` after `start`");
}

TEST_CASE("goals name a known metric of the source, an operator and a value", "[esm-sim][scenario]") {
  CHECK(error(with(minimal(), "goals=[\"iterator_age_p99 < 60s\", \"iterator_age_p98 < 1min\"]")).starts_with(
      "goals.1: unknown metric \"iterator_age_p98\"; metrics for kinesis sources: records_in, processed"));
  CHECK(error(with(minimal("sqs"), "goals=[\"iterator_age_p99 < 60s\"]")) ==
        "goals.0: \"iterator_age_p99\" does not apply to sqs sources");
  CHECK(error(with(minimal(), "goals=[\"dropped = 0\"]")) ==
        "goals.0: \"=\" is not an operator; use one of < <= > >= == !=");
  CHECK(error(with(minimal(), "goals=[\"iterator_age_max < 60\"]")) ==
        "goals.0: \"60\" is not a duration; iterator_age_max needs one, e.g. 60s");
  CHECK(error(with(minimal(), "goals=[\"dropped < 1k\"]")) == "goals.0: \"1k\" is not a number (dropped is a count)");
  CHECK(error(with(minimal(), "goals=[\"dropped\"]")) ==
        "goals.0: \"dropped\" is not a goal; write `metric op value`, e.g. \"iterator_age_p99 < 60s\"");
  const auto g = esm_sim::parse_goal("drain_time <= 4.5min", esm_sim::source_type::sqs, "goals.0");
  CHECK(g.value == Approx(270.0));
}

TEST_CASE("filter criteria are AWS's FilterCriteria, checked before the run", "[esm-sim][scenario]") {
  // A Pattern as AWS writes it (JSON text), or as a JSON object.
  const auto a = parse_scenario(with(minimal(), R"(mapping.filter_criteria={"Filters":[{"Pattern":"{\"data\":{\"producer\":[\"orders\"]}}"}]})"));
  const auto b = parse_scenario(with(minimal(), R"(mapping.filter_criteria={"Filters":[{"Pattern":{"data":{"producer":["orders"]}}}]})"));
  CHECK(a.mapping.filter_criteria.to_json() == b.mapping.filter_criteria.to_json());
  CHECK(a.mapping.filter_criteria.size() == 1);
  CHECK(error(with(minimal(), R"(mapping.filter_criteria={"Filters":[{"Pattern":{"data":{"n":[{"numeric":[">"]}]}}}]})")) ==
        "mapping.filter_criteria: filter 1: numeric operator expects a number after '>' at data.n");
  CHECK(error(with(minimal(), R"(mapping.filter_criteria={"Filter":[]})")).starts_with("mapping.filter_criteria: "));
  CHECK(error(with(minimal(), "producers.0.name=\"a b\"")) == "producers.0.name: \"a b\": 1–24 characters of a-z A-Z 0-9 - _");
}

TEST_CASE("metrics name the timeline's columns", "[esm-sim][scenario]") {
  CHECK(parse_scenario(with(minimal(), R"(metrics=["backlog","iterator_age_max_s","backlog"])")).timeline_columns ==
        std::vector<std::string>{"backlog", "iterator_age_max_s"});
  CHECK(error(with(minimal(), R"(metrics=["latency"])")).starts_with(
      "metrics.0: \"latency\" is not a timeline column; one of records_in, processed, filtered,"));
}

TEST_CASE("poison keys must be keys a producer writes", "[esm-sim][scenario]") {
  CHECK(parse_scenario(with(minimal(), "function.poison={\"keys\":[\"key-99\"]}")).function.poison_keys.size() == 1);
  CHECK(error(with(minimal(), "function.poison={\"keys\":[\"key-100\"]}")) ==
        "function.poison.keys.0: \"key-100\" is not a key any producer writes (keys are prefix + 0..count-1, e.g. \"key-0\")");
  CHECK(error(with(minimal(), "function.poison={\"records\":[0]}")) ==
        "function.poison.records.0: expected a record number >= 1, got 0");
}

TEST_CASE("CSV producers read times and keys, and reject bad rows with file and line", "[esm-sim][scenario]") {
  const auto dir = std::filesystem::temp_directory_path() / "esm_sim_scenario_csv";
  std::filesystem::create_directories(dir);
  {
    std::ofstream{dir / "ok.csv"} << "time,key\n0.5,a\n1.25,b\n2s,a\n3,\n";
    std::ofstream{dir / "desc.csv"} << "time\n2\n1\n";
    std::ofstream{dir / "bad.csv"} << "time\n1\nsoon\n";
    std::ofstream{dir / "nohdr.csv"} << "when\n1\n";
  }
  auto doc = with(minimal(), "producers.0={\"type\":\"csv\",\"file\":\"ok.csv\"}");
  const auto s = parse_scenario(doc, dir);
  const auto& p = s.producers.at(0);
  CHECK(p.times == std::vector<esm::duration>{500ms, 1250ms, 2s, 3s});
  CHECK(p.csv_keys == std::vector<std::string>{"a", "b"});
  CHECK(p.time_keys == std::vector<int>{0, 1, 0, -1});
  auto bad = [&](const char* file) {
    return esm_test::error_of<scenario_error>(
        [&] { (void)parse_scenario(with(minimal(), std::string{"producers.0={\"type\":\"csv\",\"file\":\""} + file + "\"}"), dir); });
  };
  CHECK(bad("desc.csv") == "producers.0.file: desc.csv:3: times must be ascending");
  CHECK(bad("bad.csv") ==
        "producers.0.file: bad.csv:3: \"soon\" is not a time (seconds from the start, e.g. 1.25, or a duration like 1250ms)");
  CHECK(bad("nohdr.csv").ends_with("the header has no `time` column (columns: time[,key])"));
  CHECK(bad("missing.csv").starts_with("producers.0.file: cannot read"));
}

TEST_CASE("overrides (--set) reach nested keys and array elements", "[esm-sim][scenario]") {
  auto doc = minimal();
  esm_sim::apply_override(doc, "mapping.batch_size=500");
  esm_sim::apply_override(doc, "producers.0.rate=2.5");
  esm_sim::apply_override(doc, "source.retention=until_consumed"); // a bare word is a string
  esm_sim::apply_override(doc, "function.duration=\"250ms\"");
  CHECK(doc["mapping"]["batch_size"] == 500);
  CHECK(doc["producers"][0]["rate"] == 2.5);
  CHECK(doc["source"]["retention"] == "until_consumed");
  const auto s = parse_scenario(doc);
  CHECK(s.source.until_consumed);
  CHECK(s.function.duration.a == 250ms);
  // null unsets an optional setting.
  esm_sim::apply_override(doc, "mapping.batch_size=null");
  CHECK_FALSE(parse_scenario(doc).mapping.batching.batch_size.has_value());
  auto set_error = [&](const char* a) {
    return esm_test::error_of<scenario_error>([&] { esm_sim::apply_override(doc, a); });
  };
  CHECK(set_error("batch_size") == "\"batch_size\" is not key=value (e.g. mapping.batch_size=500)");
  CHECK(set_error("producers.3.rate=1") == "producers.3: not an index of this array (0..0)");
  CHECK(set_error("duration.x=1") == "duration.x: cannot set a key inside a string");
}

TEST_CASE("durations are numbers with a unit", "[esm-sim][scenario]") {
  using esm_sim::parse_duration;
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("1.5s") == 1500ms);
  CHECK(parse_duration("10min") == 10min);
  CHECK(parse_duration("2h") == 2h);
  CHECK(parse_duration("4d") == 96h);
  CHECK(parse_duration("7us") == 7us);
  CHECK(parse_duration("0s") == esm::duration::zero());
  CHECK_FALSE(parse_duration("10"));
  CHECK_FALSE(parse_duration("s"));
  CHECK_FALSE(parse_duration("-1s"));
  CHECK_FALSE(parse_duration("1.2.3s"));
  CHECK_FALSE(parse_duration("5 min"));
  CHECK_FALSE(parse_duration("1e30d"));
  CHECK(esm_sim::duration_text(1500ms) == "1.5s");
  CHECK(esm_sim::duration_text(5min) == "5min");
  CHECK(esm_sim::duration_text(24h) == "24h");
  CHECK(esm_sim::duration_text(250ms) == "250ms");
}

TEST_CASE("every shipped scenario is valid", "[esm-sim][scenario]") {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator{ESM_SCENARIOS_DIR}) {
    if (e.path().extension() != ".json") continue;
    INFO(e.path().filename().string());
    const auto s = parse_scenario(esm_sim::load_json(e.path()), e.path().parent_path());
    CHECK_FALSE(s.goals.empty());
    CHECK_FALSE(s.description.empty());
    ++n;
  }
  CHECK(n >= 8);
}

TEST_CASE("a file that is not JSON is reported with its line and column", "[esm-sim][scenario]") {
  const auto file = std::filesystem::temp_directory_path() / "esm_sim_broken.json";
  std::ofstream{file} << "{\n  \"duration\": \"1min\",\n  \"source\": {\"type\": \"kinesis\"\n}\n";
  const auto e = esm_test::error_of<scenario_error>([&] { (void)esm_sim::load_json(file); });
  CHECK(e.find("invalid JSON: parse error at line 5") != std::string::npos);
}

TEST_CASE("a key that appears twice in an object is rejected with its path, line and column", "[esm-sim][scenario]") {
  const auto file = std::filesystem::temp_directory_path() / "esm_sim_duplicate.json";
  auto error_in = [&](const std::string& text) {
    std::ofstream{file} << text;
    return esm_test::error_of<scenario_error>([&] { (void)esm_sim::load_json(file); });
  };
  // At the top level (nlohmann would keep the last "duration" silently).
  CHECK(error_in("{\n  \"duration\": \"1min\",\n  \"duration\": \"2min\"\n}\n") ==
        "duration: duplicate key at line 3, column 3 (first at line 2, column 3); a key may appear once in an object");
  // Deep, inside an array element, spelled with an escape.
  CHECK(error_in(R"({"producers": [{"type": "constant"}, {"keys": {"count": 5, "c\u006funt": 6}}]})") ==
        "producers.1.keys.count: duplicate key at line 1, column 60 (first at line 1, column 48); a key may appear "
        "once in an object");
  // The same key in two objects, and keys inside strings, are fine.
  std::ofstream{file} << R"({"a": {"n": 1}, "b": {"n": 2, "s": "\"n\": 3, \"n\": 4"}, "c": [{"n": 1}, {"n": 1}]})";
  const auto doc = esm_sim::load_json(file);
  CHECK(doc["b"]["n"] == 2);
}

TEST_CASE("sweep values (--sweep) split at commas, each non-empty", "[esm-sim][scenario]") {
  const auto s = esm_sim::parse_sweep("mapping.parallelization_factor=1,2,10");
  CHECK(s.key == "mapping.parallelization_factor");
  CHECK(s.values == std::vector<std::string>{"1", "2", "10"});
  CHECK(esm_sim::parse_sweep("function.duration=250ms").values == std::vector<std::string>{"250ms"});
  auto sweep_error = [](const char* spec) {
    return esm_test::error_of<scenario_error>([&] { (void)esm_sim::parse_sweep(spec); });
  };
  for (const char* spec : {"mapping.batch_size", "=1,2", "mapping.batch_size="}) {
    CHECK(sweep_error(spec) == "--sweep needs key=v1,v2,... (e.g. mapping.parallelization_factor=1,2,5,10)");
  }
  CHECK(sweep_error("mapping.batch_size=1,,2") == "--sweep: an empty value in \"mapping.batch_size=1,,2\"");
  CHECK(sweep_error("mapping.batch_size=1,") == "--sweep: an empty value in \"mapping.batch_size=1,\"");
}

// Inputs the fuzz targets found (tests/fuzz/regressions/scenario/, overrides/, producer_csv/).

TEST_CASE("fuzz regression: a NUL byte in a key shows escaped in the message, which it no longer cuts short",
          "[esm-sim][scenario][fuzz-regression]") {
  // {"source":{"type":"kinesis","a\u0000b":1}}: the path held the NUL, and every C string of the
  // message (what esm-sim prints) ended at it: "source.a".
  auto doc = minimal();
  doc["source"][std::string{"a\0b", 3}] = 1;
  try {
    (void)parse_scenario(doc);
    FAIL("no scenario_error");
  } catch (const scenario_error& e) {
    CHECK(e.path() == "source.a\\u0000b");
    CHECK(std::string{e.what()}.starts_with("source.a\\u0000b: unknown key; allowed here: type, name, "));
    CHECK(std::string{e.what()}.size() == std::strlen(e.what()));
  }
  // --set mapping.batch\0size=5 reaches the same check.
  CHECK(error(with(minimal(), std::string{"mapping.batch\0size=5", 20}))
            .starts_with("mapping.batch\\u0000size: unknown key"));
}

TEST_CASE("fuzz regression: a number that overflows a double is invalid JSON, not an out_of_range escaping",
          "[esm-sim][scenario][fuzz-regression]") {
  // tests/fuzz/regressions/scenario/number_overflows_double.json: 888888e388e3 (nlohmann throws
  // out_of_range 406, which parse_json did not catch).
  try {
    (void)esm_sim::parse_json("888888e388e3", "in.json");
    FAIL("no scenario_error");
  } catch (const scenario_error& e) {
    CHECK(std::string{e.what()}.starts_with("in.json: invalid JSON: "));
    CHECK_THAT(e.what(), Catch::Contains("888888e388"));
  }
  // A duplicate key is found by the same reader.
  CHECK_THROWS_WITH(esm_sim::parse_json(R"({"a":1,"a":2})", "in.json"), Catch::Contains("duplicate key"));
}

TEST_CASE("a NUL byte makes a scenario invalid JSON; a --set value with one, or past a double, is a string",
          "[esm-sim][scenario]") {
  // nlohmann::json ends its input at a NUL byte: {"a":1}\0... read as {"a":1}, the rest ignored.
  CHECK(esm_test::error_of<scenario_error>([] {
          (void)esm_sim::parse_json(std::string{"{\"a\":1,\n \"b\":2}\0{", 17}, "in.json");
        }) == "in.json: invalid JSON: a NUL byte at line 2, column 8");
  auto doc = minimal();
  esm_sim::apply_override(doc, std::string{"name=5\0x", 8});
  CHECK(doc.at("name") == std::string{"5\0x", 3});
  // 1e999 is no double: nlohmann throws out_of_range, which escaped apply_override.
  esm_sim::apply_override(doc, "name=1e999");
  CHECK(doc.at("name") == "1e999");
}

TEST_CASE("fuzz regression: a --set key or value that is not UTF-8 is rejected, not a type_error later",
          "[esm-sim][scenario][fuzz-regression]") {
  // `--set mapping.batch_size=\xe9`: the bare word became a string no JSON writer can write, and
  // reading it threw nlohmann's type_error 316 (quoting the value) instead of a scenario_error.
  auto set_error = [](const std::string& a) {
    auto doc = minimal();
    return esm_test::error_of<scenario_error>([&] { esm_sim::apply_override(doc, a); });
  };
  CHECK(set_error("mapping.batch_size=\xe9") ==
        "mapping.batch_size: the value \"\\xe9\" is not UTF-8 text (byte 0xe9 at offset 0)");
  CHECK(set_error("name=caf\xe9") == "name: the value \"caf\\xe9\" is not UTF-8 text (byte 0xe9 at offset 3)");
  CHECK(set_error("na\xffme=1") == "\"na\\xffme=1\": the key is not UTF-8 text (byte 0xff at offset 2)");
  // UTF-8 in any script is a value like any other.
  CHECK(parse_scenario(with(minimal(), "name=caf\xc3\xa9 \xf0\x9f\x98\x80")).name == "caf\xc3\xa9 \xf0\x9f\x98\x80");
}

TEST_CASE("fuzz regression: a CSV key that is not UTF-8 is rejected with file and line",
          "[esm-sim][scenario][fuzz-regression]") {
  esm_sim::producer_spec p;
  std::istringstream in{"time,key\n1,ok\n2,caf\xe9\n"};
  CHECK(esm_test::error_of<scenario_error>([&] {
          esm_sim::read_producer_csv(p, in, "dir/arrivals.csv", "producers.0.file");
        }) == "producers.0.file: arrivals.csv:3: the key \"caf\\xe9\" is not UTF-8 text (byte 0xe9 at offset 3)");
}

TEST_CASE("messages escape control characters and bytes that are not UTF-8", "[esm-sim][scenario]") {
  using esm_sim::printable;
  CHECK(printable(std::string{"a\0b\xff\tc\\d\x7f", 9}) == "a\\u0000b\\xff\\u0009c\\d\\u007f");
  CHECK(printable("caf\xc3\xa9 \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xf0\x9f\x98\x80");
  CHECK(printable("\xc3") == "\\xc3");                   // a sequence cut short
  CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80"); // a UTF-16 surrogate
  CHECK(printable(printable(std::string{"x\0\xfe", 3})) == printable(std::string{"x\0\xfe", 3}));
  const scenario_error e{std::string{"a\0b", 3}, "bad \xff"};
  CHECK(std::string{e.what()} == "a\\u0000b: bad \\xff");
  CHECK(e.problem() == "bad \\xff");
}
