// esm example: an order pipeline on Kinesis with partial batch responses (ReportBatchItemFailures).
//
//   shop (20 orders, 2 waves)       Kinesis "orders"         esm::stream_poller          function "validate-orders"
//   ─────────────────────────       ────────────────         ──────────────────          ─────────────────────────
//   put(customer, order) ─────────▶ shardId-000000000000 ──▶ batch of up to 10 ───────▶ handler validates each order
//                                   checkpoint ◀──────────── lowest failure ◀──────────  {"batchItemFailures": [...]}
//                                                            replay from it (attempt 2)
//
// Orders #3, #7 and #15 fail validation on their first delivery (their customer record is not
// replicated yet) and pass on the second. The handler reports them by sequence number. AWS then
// checkpoints just before the *lowest* reported failure and re-sends everything from it onward,
// including later orders that had already succeeded, so the handler must be idempotent.

#include <esm/esm.hpp>
#include <esm/fmt.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>

#include <fmt/core.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct order {
  int number;
  std::string customer;
  std::size_t payload_bytes() const { return 64; } // a small JSON document
};

using stream_type = esm::kinesis_stream<order>;
using batch_type = esm::stream_batch<stream_type::record_type>;

std::string clock(esm::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return fmt::format("{:>2}.{:03}s", ms / 1000, ms % 1000);
}

} // namespace

int main() {
  esm::simulation sim{{.seed = 7}};
  stream_type orders{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "validate-orders", .timeout = 10s}};

  std::map<int, int> deliveries; // order number → times the handler saw it
  std::vector<esm::stream_failure_record> failures;
  const std::set<int> flaky{3, 7, 15}; // fail on first delivery only

  fmt::print("order pipeline: Kinesis 'orders' (1 shard) -> function 'validate-orders'\n");
  fmt::print("BatchSize 10, ReportBatchItemFailures on, MaximumRetryAttempts 3;\n");
  fmt::print("orders #3, #7 and #15 fail validation on their first delivery only.\n");
  fmt::print("'checkpoint' is the last order the mapping had committed when the batch was sent.\n\n");
  fmt::print("  {:>7}  {:<7}  {:<10}  {:<12}  {}\n", "time", "attempt", "orders", "checkpoint", "response");

  // The checkpoint printed is the one in effect when the batch is sent (set once the poller exists).
  std::function<std::uint64_t()> checkpoint_now;

  auto handler = [&](const batch_type& batch, esm::invocation_context& ctx) -> esm::batch_response {
    ctx.elapse(40ms + 5ms * static_cast<int>(batch.size()));
    esm::batch_response response;
    std::string failed;
    for (const auto& r : batch) {
      const int n = r.data.number;
      const bool first_delivery = deliveries[n]++ == 0;
      if (first_delivery && flaky.count(n)) {
        response.fail(r.sequence_number()); // itemIdentifier = the record's sequence number
        failed += fmt::format(" #{}", n);
      }
    }
    const auto cp = checkpoint_now();
    fmt::print("  {}  {:<7}  {:<10}  {:<12}  {}\n", clock(ctx.start_time()), ctx.attempt(),
               fmt::format("#{}-#{}", batch.front().data.number, batch.back().data.number),
               cp == 0 ? std::string{"none"} : fmt::format("after #{}", cp),
               failed.empty() ? std::string{"success"} : "batchItemFailures:" + failed);
    return response;
  };

  esm::stream_poller poller{orders,
                            fn,
                            handler,
                            esm::batching{.batch_size = 10},
                            esm::stream_retry{.max_attempts = 3},
                            esm::stream_options{.start = esm::starting_position::trim_horizon(),
                                                .report_batch_item_failures = true,
                                                .name = "orders-to-validate"},
                            esm::on_failure{[&](const esm::stream_failure_record& r) { failures.push_back(r); }}};
  checkpoint_now = [&] { return poller.checkpoint(0); };

  // Two waves of ten orders, two seconds apart.
  for (int wave = 0; wave < 2; ++wave) {
    sim.schedule_at(esm::time_point{} + wave * 2s, [&, wave] {
      for (int i = 1; i <= 10; ++i) {
        const int n = wave * 10 + i;
        orders.put("customer-" + std::to_string(n % 4), order{n, "customer-" + std::to_string(n % 4)});
      }
    });
  }
  sim.run_until_idle();

  int replayed = 0;
  for (const auto& [n, times] : deliveries)
    if (times > 1 && !flaky.count(n)) ++replayed;

  const auto& m = poller.metrics();
  fmt::print("(the second wave, put at 2s, is read at the shard's next once-a-second poll)\n");
  fmt::print("\nfinal checkpoint: after #{} of {} orders; idle at {}\n", poller.checkpoint(0),
             orders.metrics().records_put, clock(sim.now()));
  fmt::print("orders delivered twice although they succeeded the first time (replayed after the\n");
  fmt::print("lowest failure): {}\n", replayed);
  fmt::print("metrics: PolledEventCount={} InvokedEventCount={} FailedInvokeEventCount={}\n", m.polled_event_count,
             m.invoked_event_count, m.failed_invoke_event_count);
  fmt::print("         processed={} retries={} DroppedEventCount={} OnFailureDestinationDeliveredEventCount={}\n",
             m.processed_event_count, m.retries, m.dropped_event_count,
             m.on_failure_destination_delivered_event_count);
  fmt::print("         IteratorAge(max)={} LastProcessingResult=\"{}\"\n", esm::pretty(m.max_iterator_age),
             poller.last_processing_result());

  // What the AWS documentation predicts: every order is processed, none is lost or sent away;
  // the replay starts at the lowest failure, so #4-#6 and #8-#10 (after #3) and #16-#20 (after
  // #15) are delivered twice: 11 orders; 20 + 8 + 6 = 34 records invoked, 8 + 6 = 14 failed.
  const bool ok = m.processed_event_count == 20 && failures.empty() && m.dropped_event_count == 0 &&
                  replayed == 11 && m.invoked_event_count == 34 && m.failed_invoke_event_count == 14 &&
                  poller.checkpoint(0) == 20;
  if (!ok) fmt::print("UNEXPECTED: the outcome differs from what the AWS documentation predicts\n");
  return ok ? 0 : 1;
}
