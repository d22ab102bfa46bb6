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

#include <fmt/core.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace {

namespace et = esm::testing;
using store = std::map<std::string, int, std::less<>>;

struct behaviour {
  bool idempotent = true;    // skips an item whose effect it applied already
  bool partial = false;      // reports failures in a partial batch response (else throws)
  bool rest_of_group = true; // after a failure, reports the rest of the batch too (FIFO order)
};

auto effects(std::shared_ptr<store> s) {
  return [s](std::string_view id) {
    const auto it = s->find(id);
    return it == s->end() ? 0 : it->second;
  };
}

// An SQS consumer (standard or FIFO) applying each message's effect after its dependency call.
template <class Queue>
auto queue_consumer(behaviour b) {
  using batch = esm::queue_batch<typename Queue::message_type>;
  return [b](et::faults& f) {
    auto s = std::make_shared<store>();
    auto handler = [s, &f, b](const batch& msgs) -> esm::batch_response {
      esm::batch_response r;
      bool failing = false;
      for (const auto& m : msgs) {
        const std::string id{et::business_id(m)};
        if (failing) {
          r.fail(std::string{m.message_id()});
          continue;
        }
        if (b.idempotent && s->contains(id)) continue;
        try {
          f.check(id);
          ++(*s)[id];
        } catch (const et::injected_fault&) {
          if (!b.partial) throw;
          r.fail(std::string{m.message_id()});
          failing = b.rest_of_group;
        }
      }
      return r;
    };
    return et::consumer{handler, effects(s)};
  };
}

// A stream consumer: in order; on a failure it reports that record and stops (or throws).
template <class Stream>
auto stream_consumer(behaviour b) {
  using batch = esm::stream_batch<typename Stream::record_type>;
  return [b](et::faults& f) {
    auto s = std::make_shared<store>();
    auto handler = [s, &f, b](const batch& records) -> esm::batch_response {
      for (const auto& rec : records) {
        const std::string id{et::business_id(rec)};
        if (b.idempotent && s->contains(id)) continue;
        try {
          f.check(id);
          ++(*s)[id];
        } catch (const et::injected_fault&) {
          if (!b.partial) throw;
          return {{{rec.sequence_number()}}};
        }
      }
      return {};
    };
    return et::consumer{handler, effects(s)};
  };
}

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
