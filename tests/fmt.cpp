// Tests of esm/fmt.hpp: fmt formatters for esm's value types.
#include <esm/fmt.hpp>

#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <fmt/format.h>

#include "support/catch.hpp"

using namespace std::chrono_literals;

TEST_CASE("fmt formats time points, durations and outcomes", "[fmt]") {
  CHECK(fmt::format("{}", esm::time_point{} + 1500ms) == "t=1500ms");
  CHECK(fmt::format("{:>10}", esm::time_point{} + 2s) == "      t=2s");
  CHECK(fmt::format("{}", esm::pretty(250ms)) == "250ms");
  CHECK(fmt::format("{}", esm::outcome::throttled) == "throttled");
  CHECK(fmt::format("{:<10}|", esm::outcome::success) == "success   |");
}

TEST_CASE("fmt formats trace events, results, metrics and errors", "[fmt]") {
  const std::array fields{esm::trace_field{"attempt", 2}};
  const esm::trace_event e{esm::time_point{} + 1s, "function/f", "invoke", fields};
  CHECK(fmt::format("{}", e) == "t=1s function/f invoke attempt=2");

  esm::invocation_result r;
  r.kind = esm::outcome::throttled;
  r.error_type = "TooManyRequestsException";
  r.error_message = "Rate Exceeded.";
  CHECK(fmt::format("{}", r) ==
        "throttled attempt=1 start=t=0s end=t=0s run_time=0s error_type=TooManyRequestsException "
        "error_message=\"Rate Exceeded.\"");

  esm::function_metrics m;
  m.invocations = 3;
  m.throttles = 1;
  CHECK(fmt::format("{}", m).starts_with("invocations=3 errors=0 timeouts=0 throttles=1"));

  const esm::config_error err{"batch_size", "[1, 10]", "11", "sqs_fifo_queue"};
  CHECK(fmt::format("{}", err) == "batch_size must be in [1, 10] for sqs_fifo_queue, got 11");
}

TEST_CASE("fmt formats mapping and queue metrics, receipt handles and delete statuses", "[fmt]") {
  esm::esm_metrics m;
  m.polled_event_count = 25;
  m.deleted_event_count = 24;
  CHECK(fmt::format("{}", m).starts_with("polled=25 filtered_out=0 invoked=0 failed_invoke=0 deleted=24 "));
  esm::sqs_queue_metrics q;
  q.sent = 3;
  q.redriven_out = 1;
  CHECK(fmt::format("{}", q).starts_with("sent=3 received=0 deleted=0 returned=0 redriven_out=1 "));
  const esm::receipt_handle r{0xabcdef01U, 2, 0, 3};
  CHECK(fmt::format("{}", r) == "AQEBabcdef01000000020000000000000003");
  CHECK(esm::receipt_handle::parse(fmt::format("{}", r)) == r);
  CHECK(fmt::format("{}", esm::delete_status::stale_handle) == "stale_handle");
  CHECK(fmt::format("{:>9}", esm::delete_status::deleted) == "  deleted");
}

TEST_CASE("fmt formats filter criteria as AWS's FilterCriteria JSON, which from_json reads back (§5)",
          "[fmt][filter][spec-5]") {
  const esm::filter_criteria c{R"({"body":{"a":[1]}})", R"({"body":{"b":["x\"y"]}})"};
  const std::string text = fmt::format("{}", c);
  CHECK(text == R"({"Filters":[{"Pattern":"{\"body\":{\"a\":[1]}}"},{"Pattern":"{\"body\":{\"b\":[\"x\\\"y\"]}}"}]})");
  const auto back = esm::filter_criteria::from_json(text);
  REQUIRE(back.size() == 2);
  CHECK(back.pattern(0) == c.pattern(0));
  CHECK(back.pattern(1) == c.pattern(1));
  CHECK(fmt::format("{}", esm::filter_criteria{}) == "{}");
  CHECK(esm::filter_criteria::from_json("{}").empty());
}

TEST_CASE("fmt formats a mapping's configuration with AWS's parameter names (GetEventSourceMapping, §1)",
          "[fmt][configuration]") {
  esm::simulation sim;
  esm::kinesis_stream<std::string> s{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "f"}};
  esm::stream_poller p{s, fn, [](const esm::stream_batch<esm::kinesis_record<std::string>>&) {},
                       esm::stream_retry{.max_attempts = 3}, esm::starting_position::trim_horizon()};
  CHECK(fmt::format("{}", p.configuration()) ==
        "EventSourceArn=arn:aws:kinesis:us-east-1:123456789012:stream/orders FunctionName=f State=Enabled "
        "StateTransitionReason=\"User action\" LastProcessingResult=\"No records processed\" BatchSize=100 "
        "MaximumBatchingWindowInSeconds=0s "
        "StartingPosition=TRIM_HORIZON ParallelizationFactor=1 MaximumRetryAttempts=3 MaximumRecordAgeInSeconds=-1 "
        "BisectBatchOnFunctionError=false TumblingWindowInSeconds=0s FunctionResponseTypes=[] FilterCriteria=none "
        "OnFailure=none");
  esm::sqs_queue<std::string> q{sim, "q"};
  esm::queue_poller qp{q, fn, [](const esm::queue_batch<esm::sqs_message<std::string>>&) {},
                       esm::sqs_scaling{.maximum_concurrency = 7}};
  CHECK(fmt::format("{}", qp.configuration()) ==
        "EventSourceArn=arn:aws:sqs:us-east-1:123456789012:q FunctionName=f State=Enabled "
        "StateTransitionReason=\"USER_INITIATED\" LastProcessingResult=\"No records processed\" BatchSize=10 "
        "MaximumBatchingWindowInSeconds=0s "
        "ScalingConfig.MaximumConcurrency=7 FunctionResponseTypes=[] FilterCriteria=none");
}
