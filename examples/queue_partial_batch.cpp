// esm example: partial batch responses on SQS, and the two ways they are commonly misunderstood
// (spec §3.5; "Points commonly misunderstood" 1 and 2).
//
//   SQS "invoices" (10 messages)   esm::queue_poller (BatchSize 10)   function "bill"
//   ────────────────────────────   ────────────────────────────────   ───────────────
//   invoice-1 .. invoice-10 ──────▶ one batch of 10 ──────────────────▶ invoices 3, 6 and 9 fail on
//                                                                       their first try and are
//                                   returns {"batchItemFailures": [     reported by messageId
//                                     {"itemIdentifier": "<messageId>"}, ...]}
//
// 1. ReportBatchItemFailures on: only the 3 listed messages stay in the queue and come back after
//    the visibility timeout (30 s); the 7 others are deleted.
// 2. ReportBatchItemFailures off (the default): Lambda ignores the response and deletes the whole
//    batch as a success; the 3 failed invoices are lost without an error anywhere.
// 3. ReportBatchItemFailures on, but the handler reports receipt handles instead of messageIds:
//    an itemIdentifier that is not a messageId of the batch fails the whole batch, so all 10
//    messages return, including the 7 that succeeded.

#include <esm/esm.hpp>
#include <esm/fmt.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <fmt/core.h>

#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

using queue_type = esm::sqs_queue<std::string>;
using batch_type = esm::queue_batch<queue_type::message_type>;

enum class mode { report, ignored, wrong_identifier };

struct run_result {
  std::vector<std::string> invocations; // "t=...: N messages"
  std::vector<std::size_t> sizes;
  int failed_invoices_retried = 0; // failed invoices seen again
  esm::esm_metrics metrics;
  esm::sqs_queue_metrics queue;
};

bool flaky(const std::string& body) { return body == "invoice-3" || body == "invoice-6" || body == "invoice-9"; }

run_result run(mode md) {
  esm::simulation sim{{.seed = 11}};
  queue_type q{sim, {.name = "invoices", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "bill", .timeout = 5s}};
  for (int i = 1; i <= 10; ++i) q.send("invoice-" + std::to_string(i));

  run_result out;
  auto handler = [&](const batch_type& batch, esm::invocation_context& ctx) {
    ctx.elapse(300ms);
    out.sizes.push_back(batch.size());
    out.invocations.push_back(fmt::format("{}: {} messages", esm::to_string(ctx.start_time()), batch.size()));
    esm::batch_response response;
    for (const auto& m : batch) {
      if (m.receive_count > 1 && flaky(m.body)) ++out.failed_invoices_retried;
      if (m.receive_count == 1 && flaky(m.body)) { // the payment service timed out: try again later
        if (md == mode::wrong_identifier) {
          response.fail(m.receipt_handle_text()); // the classic mistake: not the messageId
        } else {
          response.fail(std::string{m.message_id()});
        }
      }
    }
    return response;
  };
  const esm::queue_options opts{.report_batch_item_failures = md != mode::ignored};
  esm::queue_poller poller{q, fn, handler, opts};
  sim.run_until_idle();
  out.metrics = poller.metrics();
  out.queue = q.metrics();
  return out;
}

void print(const char* title, const run_result& r) {
  fmt::print("{}\n", title);
  for (const auto& line : r.invocations) fmt::print("  invoked at {}\n", line);
  const auto& m = r.metrics;
  fmt::print("  InvokedEventCount={} FailedInvokeEventCount={} DeletedEventCount={}; NumberOfMessagesDeleted={}\n",
             m.invoked_event_count, m.failed_invoke_event_count, m.deleted_event_count, r.queue.deleted);
  fmt::print("  the 3 failed invoices were retried: {}\n\n", r.failed_invoices_retried == 3 ? "yes" : "NO (lost)");
}

} // namespace

int main() {
  fmt::print("SQS 'invoices': 10 messages in one batch; invoices 3, 6 and 9 fail on their first try and the\n");
  fmt::print("handler returns them in batchItemFailures. VisibilityTimeout 30s.\n\n");

  const auto report = run(mode::report);
  print("1. ReportBatchItemFailures on, itemIdentifier = messageId", report);
  const auto ignored = run(mode::ignored);
  print("2. ReportBatchItemFailures off (FunctionResponseTypes not set): the response is ignored", ignored);
  const auto wrong = run(mode::wrong_identifier);
  print("3. ReportBatchItemFailures on, itemIdentifier = receipt handle (not a messageId of the batch)", wrong);

  fmt::print("1: only the listed messages return; the other 7 are deleted after the first invoke.\n");
  fmt::print("2: all 10 are deleted as if the batch succeeded: the failures are silently lost.\n");
  fmt::print("3: an unknown itemIdentifier fails the whole batch: all 10 return, and the 7 that\n");
  fmt::print("   succeeded are processed twice.\n");

  // What the AWS documentation predicts (§3.5): (1) 10 then 3 messages, 10 deleted in all;
  // (2) one invocation, 10 deleted, nothing retried; (3) 10 then 10 messages, the first batch
  // counted as failed as a whole.
  const bool ok = report.sizes == std::vector<std::size_t>{10, 3} && report.metrics.failed_invoke_event_count == 3 &&
                  report.metrics.deleted_event_count == 10 && report.failed_invoices_retried == 3 &&
                  ignored.sizes == std::vector<std::size_t>{10} && ignored.metrics.failed_invoke_event_count == 0 &&
                  ignored.metrics.deleted_event_count == 10 && ignored.failed_invoices_retried == 0 &&
                  wrong.sizes == std::vector<std::size_t>{10, 10} && wrong.metrics.failed_invoke_event_count == 10 &&
                  wrong.metrics.deleted_event_count == 10 && wrong.failed_invoices_retried == 3;
  if (!ok) fmt::print("\nUNEXPECTED: the outcome differs from what the AWS documentation predicts\n");
  return ok ? 0 : 1;
}
