// esm example: one poison record in a batch of 100, isolated by BisectBatchOnFunctionError.
//
//   Kinesis "payments"          esm::stream_poller                         function "settle"
//   ──────────────────          ──────────────────                         ─────────────────
//   100 records ──────────────▶ batch of 100 ─────────────────────────────▶ throws if the batch
//   (record #42 is poison)        │ function error: split in two              holds record #42
//                                 ├─▶ 50 ──▶ 25 ──▶ 13 ──▶ ... ──▶ 1 (#42)
//                                 │          every half without #42 succeeds
//                                 └─▶ #42 alone: retried in place MaximumRetryAttempts (2) times,
//                                     then discarded ──▶ OnFailure destination (metadata only)
//
// The same scenario runs twice: with bisection, only #42 reaches the destination and the 99 other
// records are processed; without it, the whole batch of 100 is retried and then sent away.

#include <esm/esm.hpp>
#include <esm/fmt.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>

#include <fmt/core.h>

#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

using stream_type = esm::kinesis_stream<std::string>;
using batch_type = esm::stream_batch<stream_type::record_type>;

std::string clock(esm::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return fmt::format("{}.{:03}s", ms / 1000, ms % 1000);
}

struct run_result {
  std::vector<std::size_t> sizes;               // batch sizes, in invocation order
  std::vector<bool> threw;                      // whether each invocation was a function error
  std::vector<esm::stream_failure_record> sent; // what the destination received
  esm::esm_metrics metrics;
  int poison_invocations = 0;
};

run_result run(bool bisect) {
  esm::simulation sim{{.seed = 42}};
  stream_type payments{sim, {.name = "payments"}};
  esm::function fn{sim, {.name = "settle", .timeout = 5s}};
  for (int i = 1; i <= 100; ++i) payments.put("account-" + std::to_string(i % 10), "payment-" + std::to_string(i));

  run_result out;
  auto handler = [&](const batch_type& batch, esm::invocation_context& ctx) {
    ctx.elapse(100ms);
    out.sizes.push_back(batch.size());
    out.threw.push_back(false);
    for (const auto& r : batch) {
      if (r.data == "payment-42") {
        ++out.poison_invocations;
        out.threw.back() = true;
        throw std::runtime_error("payment-42: currency code 'XXX' is not supported");
      }
    }
  };
  esm::stream_poller poller{payments,
                            fn,
                            handler,
                            esm::batching{.batch_size = 100},
                            esm::stream_retry{.max_attempts = 2, .bisect_on_error = bisect},
                            esm::on_failure{[&](const esm::stream_failure_record& r) { out.sent.push_back(r); }},
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  out.metrics = poller.metrics();
  return out;
}

void print_failure_record(const esm::stream_failure_record& f) {
  fmt::print("  requestContext: condition={} approximateInvokeCount={} requestId={}\n", esm::to_string(f.condition),
             f.approximate_invoke_count, f.request_id);
  if (f.response_context) {
    fmt::print("  responseContext: statusCode={} executedVersion={} functionError={}\n", f.response_context->status_code,
               f.response_context->executed_version, f.response_context->function_error);
  }
  fmt::print("  timestamp={} function={}\n", clock(f.timestamp), f.function_name);
  const auto& b = f.batch_info;
  fmt::print("  KinesisBatchInfo: shardId={} batchSize={}\n", b.shard_id, b.batch_size);
  fmt::print("    startSequenceNumber={}\n    endSequenceNumber=  {}\n", b.start_sequence_number, b.end_sequence_number);
  fmt::print("    approximateArrivalOfFirstRecord={} approximateArrivalOfLastRecord={}\n",
             clock(b.approximate_arrival_of_first_record), clock(b.approximate_arrival_of_last_record));
  fmt::print("    streamArn={}\n", b.stream_arn);
}

std::string join(const run_result& r) {
  std::string s;
  for (std::size_t i = 0; i < r.sizes.size(); ++i) s += fmt::format("{}{}{}", i == 0 ? "" : " ", r.sizes[i], r.threw[i] ? "!" : "");
  return s;
}

// Invocations of a single record that failed: the isolated poison record's tries.
int alone_failures(const run_result& r) {
  int n = 0;
  for (std::size_t i = 0; i < r.sizes.size(); ++i) n += r.sizes[i] == 1 && r.threw[i] ? 1 : 0;
  return n;
}

} // namespace

int main() {
  fmt::print("Kinesis 'payments': 100 records, record #42 is poison; BatchSize 100, MaximumRetryAttempts 2\n");
  fmt::print("(in the lists of batch sizes, ! marks a function error)\n\n");

  const auto with = run(true);
  const auto& m = with.metrics;
  fmt::print("BisectBatchOnFunctionError = true\n");
  fmt::print("  batch sizes invoked: {}\n", join(with));
  fmt::print("  #42 was invoked {} times, {} of them alone; bisections={} retries={} (a split uses no retry)\n",
             with.poison_invocations, alone_failures(with), m.bisections, m.retries);
  fmt::print("  processed={} sent to the destination={} dropped={}\n", m.processed_event_count,
             m.on_failure_destination_delivered_event_count, m.dropped_event_count);
  if (!with.sent.empty()) {
    fmt::print("  the on-failure record (metadata only, the record must be re-read from the stream):\n");
    print_failure_record(with.sent.front());
  }

  const auto without = run(false);
  const auto& w = without.metrics;
  fmt::print("\nBisectBatchOnFunctionError = false\n");
  fmt::print("  batch sizes invoked: {}\n", join(without));
  fmt::print("  processed={} sent to the destination={} (in {} record of batchSize {})\n", w.processed_event_count,
             w.on_failure_destination_delivered_event_count, without.sent.size(),
             without.sent.empty() ? 0 : without.sent.front().batch_info.batch_size);

  // What the AWS documentation predicts (§2.3, §2.4, §2.6): with bisection the poison record is
  // isolated, retried MaximumRetryAttempts times (3 invocations alone) and discarded with
  // RetryAttemptsExhausted; the 99 others are processed. Without it, the batch of 100 is invoked
  // 1 + 2 times and then discarded whole.
  const std::string seq42 = esm::kinesis_sequence_number(42); // the stream's 42nd record (sequence 42)
  bool ok = m.processed_event_count == 99 && m.on_failure_destination_delivered_event_count == 1 &&
            m.retries == 2 && with.sent.size() == 1 && with.sent[0].batch_info.batch_size == 1 &&
            with.sent[0].batch_info.start_sequence_number == seq42 &&
            with.sent[0].condition == esm::discard_condition::retry_attempts_exhausted && with.sizes.front() == 100 &&
            alone_failures(with) == 3; // #42 alone: the first try and MaximumRetryAttempts retries
  ok = ok && without.sizes == std::vector<std::size_t>{100, 100, 100} && w.processed_event_count == 0 &&
       without.sent.size() == 1 && without.sent[0].batch_info.batch_size == 100;
  if (!ok) fmt::print("\nUNEXPECTED: the outcome differs from what the AWS documentation predicts\n");
  return ok ? 0 : 1;
}
