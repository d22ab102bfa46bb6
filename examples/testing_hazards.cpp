// esm example: the hazard battery (docs/testing.md) finds three classic consumer bugs, and a
// correct consumer passes every hazard of SQS, SQS FIFO, Kinesis and DynamoDB.
//
//   consumer                                     hazard that breaks it            property
//   ───────────────────────────────────────────  ───────────────────────────────  ────────────────────
//   counts every delivery (not idempotent)       duplicates, timeouts, …          exactly_once_effects
//   FIFO: reports only the failing message        partial_response_order (§3.6)    order_per_key
//   partial failures, ReportBatchItemFailures off failed_batch_redelivered (§3.5) at_least_once
//
// Each consumer calls its dependency through esm::testing::faults, which the hazards make fail.
// The run prints each report and how long the battery took (wall time; the simulated time of
// each scenario is up to 2 hours).

#include <esm/testing/hazards.hpp>

#include "testing/sample_consumers.hpp"

#include <fmt/core.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace {

namespace et = esm::testing;
using sample_consumers::queue_consumer;
using sample_consumers::stream_consumer;

void summary(std::string_view who, const et::hazard_report& r) {
  fmt::print("{}: {} on {}: {} of {} hazards passed\n", who, r.ok() ? "PASS" : "FAIL", r.source,
             r.hazards.size() - r.failed().size(), r.hazards.size());
  for (const auto& h : r.hazards) {
    for (const auto& p : h.properties) {
      if (!h.report.broke(p)) continue;
      fmt::print("    {} {}: {} broken\n", h.name, h.section, p);
    }
  }
}

} // namespace

int main() {
  using sqs = esm::sqs_queue<std::string>;
  using fifo = esm::sqs_fifo_queue<std::string>;
  using kinesis = esm::kinesis_stream<std::string>;
  using dynamodb = esm::dynamodb_stream<std::string>;
  const auto start = std::chrono::steady_clock::now();
  int failures = 0;
  auto expect = [&](bool ok) { failures += ok ? 0 : 1; };

  fmt::print("A correct consumer (idempotent, partial batch responses on):\n");
  const et::hazard_options partial{.report_batch_item_failures = true};
  const auto a = et::hazards<sqs>(queue_consumer<sqs>({.partial = true}), partial);
  const auto b = et::hazards<fifo>(queue_consumer<fifo>({.partial = true}), partial);
  const auto c = et::hazards<kinesis>(stream_consumer<kinesis>({.partial = true}), partial);
  const auto d = et::hazards<dynamodb>(stream_consumer<dynamodb>({.partial = true}), partial);
  for (const auto* r : {&a, &b, &c, &d}) {
    summary("  correct", *r);
    expect(r->ok());
  }

  fmt::print("\nBug 1, a counter that is not idempotent:\n");
  const auto bug1 = et::hazards<sqs>(queue_consumer<sqs>({.idempotent = false}));
  summary("  counter", bug1);
  expect(bug1.broke("duplicates", "exactly_once_effects"));

  fmt::print("\nBug 2, a FIFO handler that reports only the failing message (§3.6):\n");
  const auto bug2 = et::hazards<fifo>(queue_consumer<fifo>({.partial = true, .rest_of_group = false}), partial);
  summary("  only-failing", bug2);
  expect(bug2.broke("partial_response_order", "order_per_key"));
  fmt::print("\n{}\n", bug2.to_string());

  fmt::print("Bug 3, partial failures returned while ReportBatchItemFailures is off (§3.5):\n");
  const auto bug3 = et::hazards<sqs>(queue_consumer<sqs>({.partial = true}), {.report_batch_item_failures = false});
  summary("  partial-without-setting", bug3);
  expect(bug3.broke("failed_batch_redelivered", "at_least_once"));

  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  fmt::print("\n7 batteries ({} scenarios) in {:.0f} ms of wall time\n",
             a.hazards.size() + b.hazards.size() + c.hazards.size() + d.hazards.size() + bug1.hazards.size() +
                 bug2.hazards.size() + bug3.hazards.size(),
             ms);
  return failures == 0 ? 0 : 1;
}
