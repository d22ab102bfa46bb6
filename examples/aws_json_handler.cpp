// esm example: a handler written as for real Lambda, that sees only JSON text, tested against the
// model with a filter, partial batch failures and a dead-letter queue (spec §3.4, §3.5, §4.3, §5).
//
//   SQS "payments" ──FilterCriteria {"body":{"kind":["payment"]}}──▶ esm::aws::json_handler
//   RedrivePolicy: maxReceiveCount 3 → "payments-dlq"                 │ event text (§4.3)
//   heartbeats {"kind":"ping"} are deleted by the filter              ▼
//                                                     handle(std::string_view event) -> std::string
//                                                     {"batchItemFailures":[{"itemIdentifier":"<messageId>"}]}
//
// `handle` below is the function you would deploy: it parses the event, charges each payment and
// reports the ones it could not charge. The model delivers the events AWS would, reads the
// response with AWS's rules (ReportBatchItemFailures), redelivers the failed message after its
// visibility timeout, and moves it to the DLQ after three receives.

#include <esm/aws/json.hpp>
#include <esm/esm.hpp>
#include <esm/fmt.hpp>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace std::chrono_literals;

namespace {

// ---- the Lambda function, as it would be written for the AWS C++ runtime -----------------------

/// Charges each payment of an SQS event; reports the ones that fail (partial batch response).
std::string handle(std::string_view event_text) {
  const auto event = nlohmann::json::parse(event_text);
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& record : event.at("Records")) {
    const auto payment = nlohmann::json::parse(record.at("body").get<std::string>());
    const bool charged = payment.at("amount").get<double>() > 0; // the card service refuses the rest
    if (!charged) failures.push_back({{"itemIdentifier", record.at("messageId")}});
  }
  return nlohmann::json{{"batchItemFailures", failures}}.dump();
}

// ---- the test harness ----------------------------------------------------------------------------

std::string clock(esm::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return fmt::format("{}.{:03}s", ms / 1000, ms % 1000);
}

} // namespace

int main() {
  esm::simulation sim{{.seed = 11}};
  esm::sqs_queue<std::string> dlq{sim, "payments-dlq"};
  esm::sqs_queue<std::string> payments{sim, {.name = "payments", .visibility_timeout = 30s}};
  payments.set_redrive_policy(dlq, 3);
  esm::function fn{sim, {.name = "charge", .timeout = 10s}};

  const std::vector<std::string> bodies = {
      R"({"kind":"payment","id":"p-1","amount":25.0})",  R"({"kind":"ping"})",
      R"({"kind":"payment","id":"p-2","amount":-4.5})",  R"({"kind":"payment","id":"p-3","amount":12.0})",
      R"({"kind":"ping"})",                               R"({"kind":"payment","id":"p-4","amount":99.9})",
  };
  for (const auto& b : bodies) payments.send(b);

  struct call {
    esm::time_point at;
    std::size_t records;
    std::string response;
  };
  std::vector<call> calls;
  std::string first_event;
  // The deployed function is `handle`; this wrapper only records what happened, for the report.
  auto json_fn = [&](std::string_view event, esm::invocation_context& ctx) {
    if (first_event.empty()) first_event = event;
    std::string response = handle(event);
    calls.push_back({ctx.start_time(), nlohmann::json::parse(event).at("Records").size(), response});
    return response;
  };
  esm::queue_poller poller{payments, fn, esm::aws::json_handler{payments, json_fn},
                           esm::filter_criteria{R"({"body":{"kind":["payment"]}})"},
                           esm::queue_options{.report_batch_item_failures = true}};
  sim.run_until_idle();

  fmt::print("SQS 'payments': 4 payments (p-2 has a negative amount) and 2 heartbeats; BatchSize 10,\n");
  fmt::print("FilterCriteria {{\"body\":{{\"kind\":[\"payment\"]}}}}, ReportBatchItemFailures, maxReceiveCount 3\n\n");
  fmt::print("the first event the function received (spec §4.3), first record:\n");
  const auto ev = nlohmann::ordered_json::parse(first_event); // keeps AWS's field order
  fmt::print("{}\n\n", ev.at("Records").at(0).dump(2));
  for (const auto& c : calls) {
    fmt::print("  {:>8}  {} record(s) -> {}\n", clock(c.at), c.records, c.response);
  }

  const auto& m = poller.metrics();
  fmt::print("\nevent source mapping metrics:\n");
  fmt::print("  PolledEventCount={} FilteredOutEventCount={} InvokedEventCount={} FailedInvokeEventCount={} "
             "DeletedEventCount={}\n",
             m.polled_event_count, m.filtered_out_event_count, m.invoked_event_count, m.failed_invoke_event_count,
             m.deleted_event_count);
  const auto in_dlq = dlq.receive(10);
  for (const auto& msg : in_dlq) {
    fmt::print("in 'payments-dlq': {}\n", msg.body);
  }

  // What the AWS documentation predicts: the heartbeats are filtered out (deleted, never invoked);
  // the first batch holds the 4 payments and fails p-2 only; p-2 comes back alone after each
  // 30 s visibility timeout, twice more; on the 4th receive SQS moves it to the DLQ.
  const bool ok = m.polled_event_count == 8 && m.filtered_out_event_count == 2 && m.invoked_event_count == 6 &&
                  m.failed_invoke_event_count == 3 && m.deleted_event_count == 3 && calls.size() == 3 &&
                  calls[0].records == 4 && calls[1].records == 1 && calls[2].records == 1 && in_dlq.size() == 1 &&
                  in_dlq[0].body == bodies[2] && payments.size() == 0;
  if (!ok) fmt::print("\nUNEXPECTED: the outcome differs from what the AWS documentation predicts\n");
  return ok ? 0 : 1;
}
