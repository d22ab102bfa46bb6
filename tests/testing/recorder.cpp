// Tests of esm/testing/recorder.hpp: what a recorder keeps of each invocation of the handlers it
// wraps (time, request id, attempt, items, outcome, response) on Kinesis, DynamoDB and SQS
// mappings, and its queries. The AWS behaviour recorded is the pollers' (spec §2.3 stream
// retries, §3.3 visibility and redelivery, §2.5 / §3.5 partial batch responses).
#include <esm/esm.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/dynamodb_stream.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_fifo_queue.hpp>
#include <esm/sources/sqs_queue.hpp>
#include <esm/testing/recorder.hpp>
#include <esm/testing/scripted.hpp>

#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

#include "support/catch.hpp"

using namespace std::chrono_literals;

namespace {
using kinesis = esm::kinesis_stream<std::string>;
using kinesis_batch = esm::stream_batch<kinesis::record_type>;
using queue = esm::sqs_queue<std::string>;
using queue_batch = esm::queue_batch<queue::message_type>;
} // namespace

TEST_CASE("a recorder keeps each stream invocation: time, request id, attempt, records, outcome (§2.3)",
          "[testing][recorder][spec-2.3]") {
  esm::simulation sim{{.seed = 3}};
  kinesis s{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f", .timeout = 5s}};
  esm::testing::recorder rec{sim};
  s.put("a", "1");
  s.put("b", "2");
  int calls = 0;
  esm::stream_poller p{s, fn, rec.wrap([&](const kinesis_batch&, esm::invocation_context& ctx) {
                         ctx.elapse(100ms);
                         if (++calls == 1) throw std::invalid_argument("first try fails");
                       }),
                       esm::stream_retry{.max_attempts = 3}, esm::starting_position::trim_horizon()};
  sim.run_until_idle();

  REQUIRE(rec.size() == 2);
  const auto& first = rec.invocation(0);
  const auto& second = rec.invocation(1);
  CHECK(first.attempt == 1);
  CHECK(second.attempt == 2); // the whole batch again: approximateInvokeCount 2
  CHECK(first.kind == esm::outcome::function_error);
  CHECK(first.error_type == "std::invalid_argument");
  CHECK(first.error_message == "first try fails");
  CHECK(second.kind == esm::outcome::success);
  CHECK(second.error_type.empty());
  REQUIRE(first.end.has_value());
  CHECK(*first.end - first.start == 100ms);
  CHECK(second.start > *first.end);
  CHECK(first.request_id.size() == 36);
  CHECK(first.request_id != second.request_id);
  CHECK(first.source == s.shard_at(0).id());
  REQUIRE(first.items.size() == 2);
  CHECK(first.items[0].key == "a");
  CHECK(first.items[1].key == "b");
  CHECK(first.items[0].id == s.shard_at(0).at(0).sequence_number());
  CHECK(first.items[0].id.size() == 56);
  CHECK(first.items[0].receive_count == 0);

  CHECK(rec.deliveries(first.items[0].id) == 2);
  CHECK(rec.invocations_of(first.items[1].id).size() == 2);
  CHECK(rec.order_of("a") == std::vector<std::string>{first.items[0].id});
  CHECK(rec.deliveries_of("b").size() == 2);
  CHECK(rec.redelivered() == std::vector<std::string>{first.items[0].id, first.items[1].id});
  CHECK(rec.distinct_items() == 2);
  CHECK(rec.count(esm::outcome::function_error) == 1);
  CHECK(rec.count(esm::outcome::success) == 1);
  CHECK(rec.deliveries("no such id") == 0);
  CHECK_THROWS_AS(rec.invocation(2), esm::usage_error);
}

TEST_CASE("a recorder sees a timeout the function's duration model decides, and a partial batch response "
          "(§2.5, §5)",
          "[testing][recorder][spec-2.5]") {
  esm::simulation sim;
  kinesis s{sim, {.name = "s"}};
  esm::function slow{sim, {.name = "slow", .timeout = 1s, .default_duration = esm::duration_model::fixed(2s)}};
  esm::testing::recorder rec{sim};
  s.put("k", "1");
  s.put("k", "2");
  std::string second_seq = s.shard_at(0).at(1).sequence_number();
  int calls = 0;
  esm::stream_poller p{
      s, slow, rec.wrap([&](const kinesis_batch&) -> esm::batch_response {
        ++calls;
        return {{{second_seq}}};
      }),
      esm::stream_retry{.max_attempts = 0},
      esm::stream_options{.start = esm::starting_position::trim_horizon(), .report_batch_item_failures = true}};
  sim.run_until_idle();
  REQUIRE(rec.size() == 1);
  const auto& inv = rec.invocation(0);
  CHECK(inv.kind == esm::outcome::timeout); // the handler returned, the model took 2 s > 1 s
  REQUIRE(inv.response.has_value());        // what it returned is kept all the same
  REQUIRE(inv.response->batch_item_failures.size() == 1);
  CHECK(inv.response->batch_item_failures[0].item_identifier == second_seq);
  REQUIRE(inv.end.has_value());
  CHECK(*inv.end - inv.start == 1s);
}

TEST_CASE("a recorder keeps SQS messages with their receive count; redeliveries after the visibility "
          "timeout are counted (§3.3)",
          "[testing][recorder][spec-3.3]") {
  esm::simulation sim;
  queue q{sim, {.name = "orders", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "f", .timeout = 5s}};
  esm::testing::recorder rec{sim};
  const std::string id = q.send("order-1").message_id.str();
  int calls = 0;
  esm::queue_poller p{q, fn, rec.wrap([&](const queue_batch&) {
                        if (++calls < 3) throw std::runtime_error("not yet");
                      }),
                      esm::batching{.batch_size = 1}};
  sim.run_until_idle();
  REQUIRE(rec.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& inv = rec.invocation(i);
    REQUIRE(inv.items.size() == 1);
    CHECK(inv.items[0].id == id);
    CHECK(inv.items[0].key == id); // standard queue: the key is the messageId
    CHECK(inv.items[0].receive_count == static_cast<int>(i) + 1);
    CHECK(inv.source == "orders");
  }
  CHECK(rec.invocation(1).start - rec.invocation(0).start >= 30s);
  CHECK(rec.deliveries(id) == 3);
  CHECK(rec.count(esm::outcome::success) == 1);
}

TEST_CASE("on a FIFO queue the recorder's key is the message group; a key function replaces it",
          "[testing][recorder][spec-3.6]") {
  esm::simulation sim;
  using fifo = esm::sqs_fifo_queue<std::string>;
  using batch = esm::queue_batch<fifo::message_type>;
  fifo q{sim, {.name = "q.fifo", .content_based_deduplication = true}};
  fifo q2{sim, {.name = "q2.fifo", .content_based_deduplication = true}};
  for (auto* f : {&q, &q2}) {
    f->send("a1", {.group_id = "g1"});
    f->send("b1", {.group_id = "g2"});
    f->send("a2", {.group_id = "g1"});
  }
  esm::function fn{sim, {.name = "f"}};
  esm::testing::recorder rec{sim};
  esm::testing::recorder by_body{sim};
  esm::queue_poller p{q, fn, rec.wrap([](const batch&) {})};
  esm::queue_poller p2{q2, fn, by_body.wrap([](const batch&) {}, [](const auto& m) { return m.body; })};
  sim.run_until_idle();
  CHECK(rec.order_of("g1").size() == 2);
  CHECK(rec.deliveries_of("g2").size() == 1);
  CHECK(by_body.deliveries_of("a2").size() == 1);
  CHECK(by_body.deliveries_of("g1").empty());
  // Order of first delivery within the group: a1 before a2.
  const auto g1 = rec.order_of("g1");
  REQUIRE(g1.size() == 2);
  CHECK(rec.invocations_of(g1[0]).front()->items.front().sequence <
        rec.invocations_of(g1[1]).front()->items.back().sequence);
}

TEST_CASE("a recorder prints one line per invocation, through operator<< and to_string", "[testing][recorder]") {
  esm::simulation sim;
  kinesis s{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f"}};
  esm::testing::recorder rec{sim};
  s.put("k1", "x");
  esm::stream_poller p{s, fn, rec.wrap([](const kinesis_batch&) { throw std::runtime_error("boom"); }),
                       esm::stream_retry{.max_attempts = 0}, esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  std::ostringstream os;
  os << rec;
  CHECK(os.str() == rec.to_string());
  const std::string text = rec.to_string();
  INFO(text);
  CHECK(text.starts_with("1 invocation(s)\n  #0 t=0s..t=10ms attempt=1 shardId-000000000000 [k1:1] function_error "
                         "(std::runtime_error: boom)\n"));
  rec.clear();
  CHECK(rec.size() == 0);
}

TEST_CASE("docs/testing.md's first example: an order redelivered after a failure is charged once (§3.4)",
          "[testing][recorder][docs][spec-3.4]") {
  std::map<std::string, int> charges; // the user's effect store: idempotent by order
  std::set<std::string> seen_messages;
  auto my_charge_handler = [&](const queue_batch& b) {
    for (const auto& m : b)
      if (seen_messages.insert(std::string{m.message_id()}).second) ++charges[m.body];
  };
  auto charges_of = [&](const std::string& order) { return charges[order]; };

  esm::simulation sim;
  esm::sqs_queue<std::string> orders{sim, {.name = "orders", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "charge", .timeout = 5s}};
  esm::testing::recorder rec{sim};
  const auto id = orders.send("order-1").message_id.str();
  esm::queue_poller p{orders, fn, rec.wrap(esm::testing::fail_first(1, my_charge_handler))};
  sim.run_until_idle();
  CHECK(rec.deliveries(id) == 2);
  CHECK(charges_of("order-1") == 1);
  CHECK(rec.to_string() == "2 invocation(s)\n  #0 t=0s..t=10ms attempt=1 orders [" + id +
                               ":1(rc=1)] function_error (esm::testing::scripted_failure: esm::testing::fail_first: "
                               "scripted function error)\n  #1 t=30s..t=30010ms attempt=1 orders [" +
                               id + ":1(rc=2)] success\n");
}
