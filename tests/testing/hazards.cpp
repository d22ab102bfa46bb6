// Tests of esm/testing/hazards.hpp: a correct consumer passes every hazard of every source, and
// the battery catches the three classic bugs, naming the hazard and the property: a counter that
// is not idempotent, a FIFO handler that reports only the failing message (§3.6), and a handler
// returning partial failures while ReportBatchItemFailures is off (§3.5). Plus the report's
// forms, the seed, and the options' ranges.
#include <esm/testing/hazards.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "support/catch.hpp"
#include "support/errors.hpp"
#include "testing/sample_consumers.hpp" // examples/testing/

using namespace std::chrono_literals;
namespace et = esm::testing;

namespace {
using kinesis = esm::kinesis_stream<std::string>;
using dynamodb = esm::dynamodb_stream<std::string>;
using standard = esm::sqs_queue<std::string>;
using fifo = esm::sqs_fifo_queue<std::string>;

using sample_consumers::queue_consumer;
using sample_consumers::stream_consumer;
} // namespace

TEMPLATE_TEST_CASE("a correct consumer passes every hazard of its source, with and without partial batch responses",
                   "[testing][hazards]", kinesis, dynamodb) {
  for (const bool partial : {false, true}) {
    const auto report =
        et::hazards<TestType>(stream_consumer<TestType>({.partial = partial}), {.report_batch_item_failures = partial});
    INFO(report);
    CHECK(report.ok());
    CHECK(report.hazards.size() == (partial ? 9u : 8u));
    for (const auto& h : report.hazards) CHECK(h.invocations > 0);
  }
}

TEMPLATE_TEST_CASE("a correct queue consumer passes every hazard, with and without partial batch responses",
                   "[testing][hazards]", standard, fifo) {
  for (const bool partial : {false, true}) {
    const auto report =
        et::hazards<TestType>(queue_consumer<TestType>({.partial = partial}), {.report_batch_item_failures = partial});
    INFO(report);
    CHECK(report.ok());
    for (const auto& h : report.hazards) CHECK(h.invocations > 0);
  }
}

TEST_CASE("classic bug 1: a counter that is not idempotent breaks exactly-once effects under redelivery (§8, §2.3)",
          "[testing][hazards][spec-8][spec-2.3]") {
  const auto sqs = et::hazards<standard>(queue_consumer<standard>({.idempotent = false}));
  INFO(sqs);
  CHECK(sqs.broke("duplicates", "exactly_once_effects"));
  CHECK(sqs.broke("visibility_expires_mid_invocation", "exactly_once_effects"));
  CHECK(sqs.broke("failed_batch_redelivered", "exactly_once_effects"));
  CHECK(sqs.broke("timeouts", "exactly_once_effects"));
  CHECK_FALSE(sqs.broke("duplicates", "no_loss"));
  const auto stream = et::hazards<kinesis>(stream_consumer<kinesis>({.idempotent = false}));
  INFO(stream);
  CHECK(stream.broke("batch_retry", "exactly_once_effects"));
  CHECK(stream.broke("timeouts", "exactly_once_effects"));
  CHECK_FALSE(stream.broke("cold_starts", "exactly_once_effects"));
}

TEST_CASE("classic bug 2: a FIFO handler that reports only the failing message breaks order per group (§3.6)",
          "[testing][hazards][spec-3.6]") {
  const auto report = et::hazards<fifo>(queue_consumer<fifo>({.partial = true, .rest_of_group = false}),
                                        {.report_batch_item_failures = true});
  INFO(report);
  CHECK(report.broke("partial_response_order", "order_per_key"));
  CHECK_FALSE(report.broke("partial_response_order", "exactly_once_effects"));
  const auto* h = report.find("partial_response_order");
  REQUIRE(h != nullptr);
  CHECK(h->section == "§3.6");
}

TEST_CASE("classic bug 3: partial failures returned while ReportBatchItemFailures is off are deleted (§3.5)",
          "[testing][hazards][spec-3.5]") {
  const auto report =
      et::hazards<standard>(queue_consumer<standard>({.partial = true}), {.report_batch_item_failures = false});
  INFO(report);
  CHECK(report.broke("failed_batch_redelivered", "at_least_once"));
  const auto stream =
      et::hazards<kinesis>(stream_consumer<kinesis>({.partial = true}), {.report_batch_item_failures = false});
  INFO(stream);
  CHECK(stream.broke("batch_retry", "at_least_once"));
}

TEST_CASE("the report: a table, JSON, the same for a seed", "[testing][hazards]") {
  const auto a = et::hazards<standard>(queue_consumer<standard>({.idempotent = false}), {.seed = 3});
  const auto b = et::hazards<standard>(queue_consumer<standard>({.idempotent = false}), {.seed = 3});
  CHECK(a.to_string() == b.to_string());
  CHECK(a.to_json() == b.to_json());
  const std::string table = a.to_string();
  CHECK(table.starts_with("hazards for sqs (seed 3): "));
  CHECK(table.find("  duplicates §8") != std::string::npos);
  CHECK(table.find("exactly_once_effects  BROKEN  exactly_once_effects at t=") != std::string::npos);
  CHECK(table.find("replay with seed 3") != std::string::npos);
  const std::string json = a.to_json();
  CHECK(
      json.starts_with("{\"source\":\"sqs\",\"seed\":3,\"ok\":false,\"hazards\":[{\"name\":\"duplicates\",\"section\":"
                       "\"§8\",\"what\":"));
  CHECK(json.find("\"exactly_once_effects\":\"broken\"") != std::string::npos);
  CHECK(a.failed().size() >= 3);
}

TEST_CASE("hazard options outside their ranges throw config_error naming them", "[testing][hazards]") {
  auto make = queue_consumer<standard>({});
  CHECK_THROWS_AS(et::hazards<standard>(make, {.items = 3}), esm::config_error);
  CHECK_THROWS_AS(et::hazards<standard>(make, {.keys = 0}), esm::config_error);
  CHECK_THROWS_AS(et::hazards<standard>(make, {.batch_size = 11}), esm::config_error);
  CHECK_THROWS_AS(et::hazards<standard>(make, {.handler_duration = 2s}), esm::config_error);
  try {
    (void)et::hazards<standard>(make, {.items = 5, .keys = 6});
    FAIL("expected config_error");
  } catch (const esm::config_error& e) {
    CHECK(std::string{e.what()}.find("hazard_options.keys") != std::string::npos);
  }
}

TEST_CASE("over 1,000 seeds a correct consumer passes every hazard and the classic bugs are caught on each",
          "[testing][hazards][randomized]") {
  // 250 seeds per source, partial batch responses on for odd seeds: no false alarm of the
  // checker on any of them (the seed moves duplicates, reordering, request ids, lanes), and the
  // bugs the battery is for are found on every seed, not by luck of one.
  std::size_t runs = 0;
  for (std::uint64_t seed = 1; seed <= 250; ++seed) {
    const bool partial = seed % 2 == 1;
    const et::hazard_options o{.report_batch_item_failures = partial, .seed = seed};
    const et::hazard_report reports[] = {et::hazards<standard>(queue_consumer<standard>({.partial = partial}), o),
                                         et::hazards<fifo>(queue_consumer<fifo>({.partial = partial}), o),
                                         et::hazards<kinesis>(stream_consumer<kinesis>({.partial = partial}), o),
                                         et::hazards<dynamodb>(stream_consumer<dynamodb>({.partial = partial}), o)};
    for (const auto& r : reports) {
      if (!r.ok()) {
        INFO(r);
        FAIL("a correct consumer failed on seed " << seed);
      }
      ++runs;
    }
    if (seed % 5 == 0) { // the bugs, on a fifth of the seeds (each battery is cheap; the checks are not)
      const auto counter = et::hazards<standard>(queue_consumer<standard>({.idempotent = false}), {.seed = seed});
      if (!counter.broke("duplicates", "exactly_once_effects")) FAIL("the counter went unnoticed on seed " << seed);
      const auto fifo_bug = et::hazards<fifo>(queue_consumer<fifo>({.partial = true, .rest_of_group = false}),
                                              {.report_batch_item_failures = true, .seed = seed});
      if (!fifo_bug.broke("partial_response_order", "order_per_key"))
        FAIL("the FIFO ordering bug went unnoticed on seed " << seed);
    }
  }
  CHECK(runs == 1000);
}
