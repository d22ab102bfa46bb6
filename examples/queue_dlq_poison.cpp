// esm example: a poison message on an SQS standard queue reaches the dead-letter queue (spec §3.4).
//
//   SQS "orders"                      esm::queue_poller              function "fulfil"
//   VisibilityTimeout 30 s            BatchSize 1                    ─────────────────
//   RedrivePolicy: maxReceiveCount 3  ──────────────────────────────▶ throws on "order-13"
//   ─────────────────────────────────
//   20 good orders + "order-13" ──▶ receive #1 at  0 s ──▶ function error, not deleted
//                                   receive #2 at 30 s ──▶ function error  (visible again after
//                                   receive #3 at 60 s ──▶ function error   each 30 s timeout)
//                                   at 90 s the 4th receive finds ApproximateReceiveCount = 3:
//                                   SQS moves it to "orders-dlq" instead of delivering it
//
// The dead-letter queue belongs to the source queue's redrive policy, not to the function (a
// function's DLQ serves asynchronous invokes only). maxReceiveCount counts receives, not
// failures. BatchSize 1 keeps each good order out of the poison message's batch: without a
// partial batch response (see queue_partial_batch.cpp) a failure returns the whole batch.

#include <esm/esm.hpp>
#include <esm/fmt.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <fmt/core.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

using queue_type = esm::sqs_queue<std::string>;
using batch_type = esm::queue_batch<queue_type::message_type>;

std::string clock(esm::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return fmt::format("{}.{:03}s", ms / 1000, ms % 1000);
}

} // namespace

int main() {
  esm::simulation sim{{.seed = 7}};
  queue_type dlq{sim, "orders-dlq"};
  queue_type orders{sim, {.name = "orders", .visibility_timeout = 30s}};
  orders.set_redrive_policy(dlq, 3); // RedrivePolicy {deadLetterTargetArn: orders-dlq, maxReceiveCount: 3}
  esm::function fn{sim, {.name = "fulfil", .timeout = 5s}};

  const std::string poison = "order-13";
  std::string poison_id; // SendMessage's MessageId
  for (int i = 1; i <= 21; ++i) {
    const auto sent = orders.send("order-" + std::to_string(i));
    if (i == 13) poison_id = sent.message_id;
  }

  struct attempt {
    esm::time_point at;
    int receive_count;
  };
  std::vector<attempt> poison_attempts;
  std::map<std::string, int> invocations; // per body
  auto handler = [&](const batch_type& batch, esm::invocation_context& ctx) {
    const auto& m = batch.front();
    ++invocations[m.body];
    if (m.body == poison) {
      poison_attempts.push_back({ctx.start_time(), m.receive_count});
      throw std::runtime_error(poison + ": shipping address is empty");
    }
  };
  esm::queue_poller poller{orders, fn, handler, esm::batching{.batch_size = 1}};

  // The queue reports the move in its trace: "redrive" on the source, "redriven_in" on the DLQ.
  esm::time_point moved_at = esm::time_point::max();
  sim.trace().subscribe([&](const esm::trace_event& e) {
    if (e.component == "sqs/orders" && e.kind == "redrive") moved_at = e.time;
  });
  sim.run_until_idle();

  fmt::print("SQS 'orders': 21 messages, '{}' is poison; VisibilityTimeout 30s, maxReceiveCount 3, BatchSize 1\n\n",
             poison);
  for (const auto& a : poison_attempts) {
    fmt::print("  {:>8}  '{}' received, ApproximateReceiveCount={} -> function error, not deleted\n", clock(a.at),
               poison, a.receive_count);
  }
  fmt::print("  {:>8}  receive count 3 = maxReceiveCount: moved to 'orders-dlq' instead of being delivered\n",
             clock(moved_at));

  int good_once = 0;
  for (const auto& [body, n] : invocations) good_once += body != poison && n == 1 ? 1 : 0;
  fmt::print("\n  the 20 good orders: {} invoked exactly once\n", good_once);

  const auto in_dlq = dlq.receive(1);
  if (!in_dlq.empty()) {
    fmt::print("  in the DLQ: body '{}', messageId {} ({} the id it was sent with)\n", in_dlq[0].body,
               in_dlq[0].message_id(), in_dlq[0].message_id() == poison_id ? "same as" : "DIFFERENT from");
  }

  const auto& m = poller.metrics();
  fmt::print("\nevent source mapping metrics:\n");
  fmt::print("  PolledEventCount={} InvokedEventCount={} FailedInvokeEventCount={} DeletedEventCount={}\n",
             m.polled_event_count, m.invoked_event_count, m.failed_invoke_event_count, m.deleted_event_count);
  const auto& q = orders.metrics();
  fmt::print("queue 'orders' metrics:\n");
  fmt::print("  NumberOfMessagesSent={} NumberOfMessagesReceived={} NumberOfMessagesDeleted={} redriven_out={}\n",
             q.sent, q.received, q.deleted, q.redriven_out);
  fmt::print("queue 'orders-dlq': redriven_in={}\n", dlq.metrics().redriven_in);
  fmt::print("function: {}\n", esm::to_string(fn.metrics()));
  fmt::print("\n20 good messages + 3 receives of the poison message = 23 polled and invoked; the 4th receive\n");
  fmt::print("never reaches the function (SQS redrives the message inside ReceiveMessage).\n");

  // What the AWS documentation predicts (§3.4, §8): the poison message is received 3 times, one
  // visibility timeout (30 s) apart, and moved to the DLQ when it would be received a 4th time;
  // every other message is processed and deleted once.
  const bool timing = poison_attempts.size() == 3 && poison_attempts[0].receive_count == 1 &&
                      poison_attempts[1].receive_count == 2 && poison_attempts[2].receive_count == 3 &&
                      poison_attempts[1].at - poison_attempts[0].at == 30s &&
                      poison_attempts[2].at - poison_attempts[1].at == 30s && moved_at - poison_attempts[2].at == 30s;
  const bool ok = timing && good_once == 20 && in_dlq.size() == 1 && in_dlq[0].body == poison &&
                  in_dlq[0].message_id() == poison_id && m.polled_event_count == 23 && m.invoked_event_count == 23 &&
                  m.failed_invoke_event_count == 3 && m.deleted_event_count == 20 && q.deleted == 20 &&
                  q.redriven_out == 1 && orders.size() == 0;
  if (!ok) fmt::print("\nUNEXPECTED: the outcome differs from what the AWS documentation predicts\n");
  return ok ? 0 : 1;
}
