// Tests of esm/aws/json_handler.hpp: handlers that see only JSON text run through real pollers in
// virtual time, with the same outcomes as native handlers. Spec: aws-esm-semantics.md §2.5 and
// §3.5 (partial batch responses), §2.6 (on-failure destination), §2.7 and §4.5 (tumbling windows),
// §4.1–§4.4 (the JSON).
#include <esm/aws/json.hpp>
#include <esm/testing/hazards.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "support/catch.hpp"

using namespace std::chrono_literals;
using json = nlohmann::json;
using esm::time_point;
using squeue = esm::sqs_queue<std::string>;
using qbatch = esm::queue_batch<squeue::message_type>;
using kstream = esm::kinesis_stream<std::string>;
using kbatch = esm::stream_batch<kstream::record_type>;

namespace {

time_point at(esm::duration d) { return time_point{} + d; }

// --- what a run did ---------------------------------------------------------------------------------

struct call {
  time_point start;
  std::vector<std::string> items; // bodies / data, in order
  friend bool operator==(const call&, const call&) = default;
};

struct outcome {
  std::vector<call> calls;
  std::uint64_t deleted = 0, processed = 0, failed = 0, delivered = 0, dropped = 0, retries = 0;
  std::vector<std::string> dlq; // bodies that reached the DLQ (SQS) or batch sizes sent to the destination
  friend bool operator==(const outcome&, const outcome&) = default;
};

template <class Metrics>
void take_metrics(outcome& o, const Metrics& m) {
  o.deleted = m.deleted_event_count;
  o.processed = m.processed_event_count;
  o.failed = m.failed_invoke_event_count;
  o.delivered = m.on_failure_destination_delivered_event_count;
  o.dropped = m.dropped_event_count;
  o.retries = m.retries;
}

/// A function that sees only JSON: it fails the SQS messages whose body contains "bad" by
/// returning their messageIds in batchItemFailures.
std::string sqs_function(std::string_view event, esm::invocation_context& ctx, std::vector<call>& calls) {
  const json e = json::parse(event);
  call c{ctx.start_time(), {}};
  json failures = json::array();
  for (const auto& r : e["Records"]) {
    const std::string body = r["body"];
    c.items.push_back(body);
    if (body.find("bad") != std::string::npos) failures.push_back({{"itemIdentifier", r["messageId"]}});
  }
  calls.push_back(std::move(c));
  return json{{"batchItemFailures", failures}}.dump();
}

/// The same with the native API.
esm::batch_response sqs_native(const qbatch& b, esm::invocation_context& ctx, std::vector<call>& calls) {
  call c{ctx.start_time(), {}};
  esm::batch_response r;
  for (const auto& m : b) {
    c.items.push_back(m.body);
    if (m.body.find("bad") != std::string::npos) r.fail(std::string{m.message_id()});
  }
  calls.push_back(std::move(c));
  return r;
}

/// A function that sees only JSON: it fails the first Kinesis record whose data contains "bad"
/// by returning its sequence number.
std::string kinesis_function(std::string_view event, esm::invocation_context& ctx, std::vector<call>& calls) {
  const json e = json::parse(event);
  call c{ctx.start_time(), {}};
  json failures = json::array();
  for (const auto& r : e["Records"]) {
    const std::string data = *esm::detail::base64_decode(r["kinesis"]["data"].get<std::string>());
    c.items.push_back(data);
    if (data.find("bad") != std::string::npos && failures.empty()) {
      failures.push_back({{"itemIdentifier", r["kinesis"]["sequenceNumber"]}});
    }
  }
  calls.push_back(std::move(c));
  return json{{"batchItemFailures", failures}}.dump();
}

esm::batch_response kinesis_native(const kbatch& b, esm::invocation_context& ctx, std::vector<call>& calls) {
  call c{ctx.start_time(), {}};
  esm::batch_response r;
  for (const auto& rec : b) {
    c.items.push_back(rec.data);
    if (rec.data.find("bad") != std::string::npos && r.empty()) r.fail(rec.sequence_number());
  }
  calls.push_back(std::move(c));
  return r;
}

// --- the two scenarios, run with a JSON or a native handler -----------------------------------------

template <bool Json>
outcome sqs_scenario() {
  esm::simulation sim{{.seed = 7}};
  squeue q{sim, {.name = "orders", .visibility_timeout = 30s}};
  squeue dlq{sim, "orders-dlq"};
  q.set_redrive_policy(dlq, 2);
  esm::function fn{sim, {.name = "f"}};
  for (const char* b : {"ok-0", "bad-1", "ok-2", "bad-3", "ok-4"}) q.send(b);
  outcome o;
  const esm::queue_options rbif{.report_batch_item_failures = true};
  auto run = [&](auto& poller) {
    sim.run_until_idle(1'000'000);
    take_metrics(o, poller.metrics());
  };
  if constexpr (Json) {
    esm::queue_poller p{q, fn,
                        esm::aws::json_handler{q,
                                               [&](std::string_view e, esm::invocation_context& ctx) {
                                                 return sqs_function(e, ctx, o.calls);
                                               }},
                        rbif};
    run(p);
  } else {
    esm::queue_poller p{q, fn, [&](const qbatch& b, esm::invocation_context& ctx) { return sqs_native(b, ctx, o.calls); },
                        rbif};
    run(p);
  }
  for (auto& m : dlq.receive(10)) o.dlq.push_back(m.body);
  std::sort(o.dlq.begin(), o.dlq.end());
  CHECK(q.size() == 0);
  return o;
}

template <bool Json>
outcome kinesis_scenario() {
  esm::simulation sim{{.seed = 7}};
  kstream s{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "f"}};
  esm::sqs_queue<std::string> failures{sim, "failures"};
  for (const char* d : {"ok-0", "ok-1", "ok-2", "bad-3", "ok-4", "ok-5"}) s.put("k", d);
  outcome o;
  const esm::stream_options rbif{.report_batch_item_failures = true};
  const esm::stream_retry retry{.max_attempts = 1};
  auto run = [&](auto& poller) {
    sim.run_until_idle(1'000'000);
    take_metrics(o, poller.metrics());
    CHECK(poller.checkpoint(0) == 6); // every record processed or discarded: the shard moved on
  };
  if constexpr (Json) {
    esm::stream_poller p{
        s,
        fn,
        esm::aws::json_handler{
            s, [&](std::string_view e, esm::invocation_context& ctx) { return kinesis_function(e, ctx, o.calls); }},
        rbif,
        retry,
        esm::on_failure_queue{failures, esm::aws::failure_record_json{sim.epoch()}},
        esm::starting_position::trim_horizon()};
    run(p);
  } else {
    esm::stream_poller p{s,
                         fn,
                         [&](const kbatch& b, esm::invocation_context& ctx) { return kinesis_native(b, ctx, o.calls); },
                         rbif,
                         retry,
                         esm::on_failure_queue{failures, esm::aws::failure_record_json{sim.epoch()}},
                         esm::starting_position::trim_horizon()};
    run(p);
  }
  for (auto& m : failures.receive(10)) {
    const json r = json::parse(m.body);
    o.dlq.push_back(r["KinesisBatchInfo"]["startSequenceNumber"].get<std::string>() + " x" +
                    std::to_string(r["KinesisBatchInfo"]["batchSize"].get<int>()));
  }
  return o;
}

} // namespace

TEST_CASE("json_handler satisfies the handler concept for its source's batch type only", "[aws][json_handler]") {
  using text_fn = decltype([](std::string_view) { return std::string{}; });
  using ctx_fn = decltype([](std::string_view, esm::invocation_context&) { return json{}; });
  using qh = esm::aws::json_handler<squeue, text_fn>;
  using kh = esm::aws::json_handler<kstream, ctx_fn>;
  using dh = esm::aws::json_handler<esm::dynamodb_stream<esm::attribute_map_json>, text_fn>;
  using dbatch = esm::stream_batch<esm::dynamodb_record<esm::attribute_map_json>>;
  STATIC_REQUIRE(esm::partial_batch_handler<qh, qbatch>);
  STATIC_REQUIRE(esm::partial_batch_handler<kh, kbatch>);
  STATIC_REQUIRE(esm::partial_batch_handler<dh, dbatch>);
  STATIC_REQUIRE(!esm::handler<qh, kbatch>);
  STATIC_REQUIRE(!esm::handler<kh, qbatch>);
  STATIC_REQUIRE(!esm::handler<kh, dbatch>);
  STATIC_REQUIRE(!esm::handler<dh, kbatch>);
  // A FIFO queue's messages have the standard queue's type: the same batch type.
  STATIC_REQUIRE(esm::handler<esm::aws::json_handler<esm::sqs_fifo_queue<std::string>, text_fn>, qbatch>);
  // Not a tumbling-window handler; the window handler is one and nothing else.
  STATIC_REQUIRE(!std::is_invocable_v<kh&, const kbatch&, const esm::window_context&, esm::invocation_context&>);
  using wh = esm::aws::json_window_handler<kstream, text_fn>;
  STATIC_REQUIRE(std::is_invocable_r_v<esm::window_response, wh&, const kbatch&, const esm::window_context&,
                                       esm::invocation_context&>);
  STATIC_REQUIRE(!esm::handler<wh, kbatch>);
}

TEST_CASE("§3.5 round trip: a JSON-only function with partial failures through an SQS queue_poller",
          "[aws][json_handler][spec-3.5][spec-4.3][spec-4.4]") {
  const outcome j = sqs_scenario<true>();
  const outcome n = sqs_scenario<false>();
  CHECK(j == n); // the same run as the native handler, event for event
  REQUIRE(j.calls.size() == 2);
  CHECK(j.calls[0] == call{at(0s), {"ok-0", "bad-1", "ok-2", "bad-3", "ok-4"}});
  CHECK(j.calls[1] == call{at(30s), {"bad-1", "bad-3"}}); // only the listed messages came back
  CHECK(j.deleted == 3);
  CHECK(j.dlq == std::vector<std::string>{"bad-1", "bad-3"}); // received twice (maxReceiveCount 2), then redriven
}

TEST_CASE("§2.5 round trip: a JSON-only function with partial failures through a Kinesis stream_poller",
          "[aws][json_handler][spec-2.5][spec-2.6][spec-4.1][spec-4.4]") {
  const outcome j = kinesis_scenario<true>();
  const outcome n = kinesis_scenario<false>();
  CHECK(j == n);
  REQUIRE(j.calls.size() == 2);
  CHECK(j.calls[0].items == std::vector<std::string>{"ok-0", "ok-1", "ok-2", "bad-3", "ok-4", "ok-5"});
  CHECK(j.calls[1].items == std::vector<std::string>{"bad-3", "ok-4", "ok-5"}); // from the lowest failure on
  CHECK(j.processed == 3);                                                      // checkpointed before bad-3
  CHECK(j.delivered == 3);                                                      // then discarded to OnFailure
  CHECK(j.retries == 1);
  REQUIRE(j.dlq.size() == 1);
  CHECK(j.dlq[0] == esm::kinesis_sequence_number(4) + " x3");
}

TEST_CASE("§3.5 an itemIdentifier that is not a messageId of the batch fails the whole SQS batch",
          "[aws][json_handler][spec-3.5]") {
  esm::simulation sim;
  squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "f"}};
  for (const char* b : {"a", "b", "c"}) q.send(b);
  std::vector<call> calls;
  esm::queue_poller p{q, fn,
                      esm::aws::json_handler{q,
                                             [&](std::string_view e, esm::invocation_context& ctx) -> std::string {
                                               call c{ctx.start_time(), {}};
                                               const json event = json::parse(e);
                                               for (const auto& r : event["Records"]) c.items.push_back(r["body"]);
                                               calls.push_back(c);
                                               if (calls.size() == 1)
                                                 return R"({"batchItemFailures":[{"itemIdentifier":"not-a-message-id"}]})";
                                               return "{}";
                                             }},
                      esm::queue_options{.report_batch_item_failures = true}};
  sim.run_until_idle(1'000'000);
  REQUIRE(calls.size() == 2);
  CHECK(calls[1].start == at(30s));
  std::sort(calls[1].items.begin(), calls[1].items.end()); // a standard queue keeps no order
  CHECK(calls[1].items == std::vector<std::string>{"a", "b", "c"}); // all three came back
  CHECK(p.metrics().failed_invoke_event_count == 3);
  CHECK(p.metrics().deleted_event_count == 3);
}

TEST_CASE("§2.5 an itemIdentifier that is not in the Kinesis batch fails the whole batch",
          "[aws][json_handler][spec-2.5]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  for (const char* d : {"a", "b", "c"}) s.put("k", d);
  std::vector<std::size_t> sizes;
  esm::stream_poller p{s, fn,
                       esm::aws::json_handler{s,
                                              [&](std::string_view e) -> std::string {
                                                sizes.push_back(json::parse(e)["Records"].size());
                                                if (sizes.size() == 1) {
                                                  return R"({"batchItemFailures":[{"itemIdentifier":")" +
                                                         esm::kinesis_sequence_number(999) + "\"}]}";
                                                }
                                                return "null";
                                              }},
                       esm::stream_options{.start = esm::starting_position::trim_horizon(),
                                           .report_batch_item_failures = true}};
  sim.run_until_idle();
  CHECK(sizes == std::vector<std::size_t>{3, 3});
  CHECK(p.metrics().retries == 1);
}

TEST_CASE("§3.5 a response that is not JSON fails the whole batch, but only with ReportBatchItemFailures",
          "[aws][json_handler][spec-3.5]") {
  for (const bool rbif : {true, false}) {
    INFO("ReportBatchItemFailures " << rbif);
    esm::simulation sim;
    squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
    esm::function fn{sim, {.name = "f"}};
    for (const char* b : {"a", "b"}) q.send(b);
    int calls = 0;
    esm::aws::json_handler h{q, [&](std::string_view) -> const char* { return ++calls == 1 ? "OK!" : ""; }};
    esm::queue_poller p{q, fn, h, esm::queue_options{.report_batch_item_failures = rbif}};
    sim.run_until_idle(1'000'000);
    CHECK(calls == (rbif ? 2 : 1)); // without the feature Lambda does not read the response
    CHECK(p.metrics().deleted_event_count == 2);
  }
}

TEST_CASE("§2.5 a wrong top-level key reads as success: the batch is checkpointed", "[aws][json_handler][spec-2.5]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  for (const char* d : {"a", "b", "c"}) s.put("k", d);
  int calls = 0;
  esm::stream_poller p{s, fn,
                       esm::aws::json_handler{s,
                                              [&](const std::string& e) {
                                                ++calls;
                                                const json first = json::parse(e)["Records"][0];
                                                return json{{"batchItemFailure", // typo: not batchItemFailures
                                                             {{{"itemIdentifier", first["kinesis"]["sequenceNumber"]}}}}};
                                              }},
                       esm::stream_options{.start = esm::starting_position::trim_horizon(),
                                           .report_batch_item_failures = true}};
  sim.run_until_idle();
  CHECK(calls == 1);
  CHECK(p.metrics().processed_event_count == 3);
}

TEST_CASE("§2.5 AWS recorded: a stream function returning a bare [] with ReportBatchItemFailures is invoked once "
          "and its record checkpointed",
          "[aws][json_handler][spec-2.5]") {
  // The recording: one record, a handler returning `[]`, one invocation, the record checkpointed
  // (esm used to fail the whole batch: 3 invocations, then the record was dropped).
  for (const bool as_json : {false, true}) {
    INFO("returned as " << (as_json ? "nlohmann::json" : "text"));
    esm::simulation sim;
    kstream s{sim, {}};
    esm::function fn{sim, {.name = "f"}};
    s.put("k", "a");
    int calls = 0;
    auto text = [&](std::string_view) -> std::string {
      ++calls;
      return "[]";
    };
    auto value = [&](std::string_view) {
      ++calls;
      return json::array();
    };
    auto run = [&](auto handler) {
      esm::stream_poller p{s, fn, esm::aws::json_handler{s, handler},
                           esm::stream_options{.start = esm::starting_position::trim_horizon(),
                                               .report_batch_item_failures = true},
                           esm::stream_retry{.max_attempts = 2}};
      sim.run_until_idle();
      CHECK(calls == 1);
      CHECK(p.checkpoint(0) == 1);
      CHECK(p.metrics().processed_event_count == 1);
      CHECK(p.metrics().dropped_event_count == 0);
      CHECK(fn.metrics().errors == 0);
    };
    if (as_json) run(value);
    else run(text);
  }
}

TEST_CASE("§3.5 AWS recorded: an SQS function returning a bare [] with ReportBatchItemFailures deletes the batch",
          "[aws][json_handler][spec-3.5]") {
  esm::simulation sim;
  squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "f"}};
  for (const char* b : {"a", "b"}) q.send(b);
  int calls = 0;
  esm::aws::json_handler h{q, [&](std::string_view) -> const char* {
                             ++calls;
                             return "[]";
                           }};
  esm::queue_poller p{q, fn, h, esm::queue_options{.report_batch_item_failures = true}};
  sim.run_until_idle(1'000'000);
  CHECK(calls == 1);
  CHECK(p.metrics().deleted_event_count == 2);
  CHECK(q.size() == 0);
}

TEST_CASE("a thrown exception stays a function error: retried, then discarded", "[aws][json_handler][spec-2.2]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  s.put("k", "a");
  std::vector<int> attempts;
  esm::stream_poller p{s, fn,
                       esm::aws::json_handler{s,
                                              [&](std::string_view, esm::invocation_context& ctx) -> std::string {
                                                attempts.push_back(ctx.attempt());
                                                throw std::runtime_error("boom");
                                              }},
                       esm::stream_retry{.max_attempts = 2}, esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  CHECK(attempts == std::vector<int>{1, 2, 3});
  CHECK(fn.metrics().errors == 3);
  CHECK(p.metrics().dropped_event_count == 1);
}

TEST_CASE("functions may return text, nlohmann::json or nothing, with or without a context", "[aws][json_handler]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  q.send("m");
  auto got = q.receive(1);
  const std::vector<const squeue::message_type*> ptrs{&got[0]};
  const qbatch batch{ptrs, q.name()};
  const std::string id{got[0].message_id()};
  const std::string failed = R"({"batchItemFailures":[{"itemIdentifier":")" + id + "\"}]}";

  esm::aws::json_handler text{q, [&](std::string_view) { return failed; }};
  CHECK(text(batch) == esm::batch_response::failed({id}));
  esm::aws::json_handler view{q, [&](std::string_view) { return std::string_view{failed}; }};
  CHECK(view(batch) == esm::batch_response::failed({id}));
  esm::aws::json_handler value{q, [&](std::string_view) { return json::parse(failed); }};
  CHECK(value(batch) == esm::batch_response::failed({id}));
  esm::aws::json_handler ordered{q, [&](std::string_view) { return nlohmann::ordered_json::parse(failed); }};
  CHECK(ordered(batch) == esm::batch_response::failed({id}));
  int called = 0;
  esm::aws::json_handler nothing{q, [&](std::string_view) { ++called; }};
  CHECK(nothing(batch) == esm::batch_response{}); // no response: complete success
  CHECK(called == 1);
  esm::aws::json_handler bad{q, [&](std::string_view) { return "{"; }};
  CHECK(bad(batch) == esm::batch_response{{esm::batch_item_failure{std::nullopt}}}); // whole batch
  CHECK(bad.last_error() == "the response is not valid JSON");
  CHECK(text.last_error().empty());

  esm::invocation_context ctx{"f", "req-1", at(5s), 3s, 128, 1};
  esm::aws::json_handler timed{q, [&](std::string_view, esm::invocation_context& c) {
                                 c.elapse(250ms);
                                 return "null";
                               }};
  CHECK(timed(batch, ctx) == esm::batch_response{});
  CHECK(ctx.elapsed() == 250ms);
}

TEST_CASE("the handler renders into one buffer, reused from one invocation to the next", "[aws][json_handler]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  for (int i = 0; i < 10; ++i) q.send("message " + std::to_string(i));
  auto got = q.receive(10);
  std::vector<const squeue::message_type*> ptrs;
  for (const auto& m : got) ptrs.push_back(&m);
  const qbatch batch{ptrs, q.name()};
  std::vector<const char*> seen;
  esm::aws::json_handler h{q, [&](std::string_view event) {
                             seen.push_back(event.data());
                             return "";
                           }};
  (void)h(batch);
  const std::string first{h.last_event()};
  (void)h(batch);
  (void)h(batch);
  REQUIRE(seen.size() == 3);
  CHECK(seen[1] == seen[0]); // same storage: no reallocation for an event of the same size
  CHECK(seen[2] == seen[0]);
  CHECK(h.last_event() == first);
  CHECK(first == esm::aws::event_json(q, batch)); // what the free function renders
}

TEST_CASE("§2.7 §4.5 a JSON-only tumbling-window function: state flows invoke to invoke, the final invoke is flagged",
          "[aws][json_handler][spec-2.7][spec-4.5]") {
  esm::simulation sim;
  kstream s{sim, {.name = "lambda-stream"}};
  esm::function fn{sim, {.name = "f"}};
  std::vector<json> events;
  esm::stream_poller p{s,
                       fn,
                       esm::aws::json_window_handler{s,
                                                     [&](std::string_view text) {
                                                       const json e = json::parse(text);
                                                       events.push_back(e);
                                                       long sum = e["state"].value("sum", 0L);
                                                       for (const auto& r : e["Records"]) {
                                                         sum += std::stol(*esm::detail::base64_decode(
                                                             r["kinesis"]["data"].get<std::string>()));
                                                       }
                                                       return json{{"state", {{"sum", sum}}},
                                                                   {"batchItemFailures", json::array()}};
                                                     }},
                       esm::tumbling_window{.size = 10s},
                       esm::batching{.batch_size = 2},
                       esm::starting_position::trim_horizon()};
  sim.advance_to(at(1s));
  for (const char* d : {"1", "2", "3"}) s.put("k", d);
  sim.run_until_idle();
  REQUIRE(events.size() >= 2);
  CHECK(events.front()["state"] == json::object()); // {} at the window's first invoke
  CHECK(events.back()["isFinalInvokeForWindow"] == true);
  CHECK(events.back()["state"] == json{{"sum", 6}}); // the state of the previous invokes
  std::size_t records = 0;
  for (const auto& e : events) {
    records += e["Records"].size();
    CHECK(e["window"] == json{{"start", "2026-01-01T00:00:00Z"}, {"end", "2026-01-01T00:00:10Z"}});
    CHECK(e["shardId"] == "shardId-000000000000");
    CHECK(e["eventSourceARN"] == s.arn());
    CHECK(e["isWindowTerminatedEarly"] == false);
  }
  CHECK(records == 3);
  CHECK(p.metrics().processed_event_count == 3);
  CHECK(p.metrics().retries == 0);
}

TEST_CASE("§2.7 a window response without state fails the invoke: the records are retried",
          "[aws][json_handler][spec-2.7]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  std::vector<std::pair<int, std::size_t>> calls; // attempt, records
  esm::stream_poller p{s, fn,
                       esm::aws::json_window_handler{s,
                                                     [&](std::string_view text, esm::invocation_context& ctx) {
                                                       calls.emplace_back(ctx.attempt(),
                                                                          json::parse(text)["Records"].size());
                                                       return ctx.attempt() == 1 ? R"({"batchItemFailures":[]})"
                                                                                 : R"({"state":{}})";
                                                     }},
                       esm::tumbling_window{.size = 10s}, esm::starting_position::trim_horizon()};
  s.put("k", "1");
  s.put("k", "2");
  sim.run_until_idle();
  REQUIRE(calls.size() >= 2);
  CHECK(calls[0] == std::pair<int, std::size_t>{1, 2});
  CHECK(calls[1] == std::pair<int, std::size_t>{2, 2}); // the same records again
  CHECK(p.metrics().retries >= 1);
  CHECK(p.metrics().processed_event_count == 2);
}

TEST_CASE("§4.2 a JSON-only function reads DynamoDB images back as plain JSON", "[aws][json_handler][spec-4.2]") {
  esm::simulation sim;
  esm::dynamodb_stream<json> t{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "f"}};
  const json before{{"pk", "o-1"}, {"status", "new"}, {"total", 10}};
  const json after{{"pk", "o-1"}, {"status", "paid"}, {"total", 10}};
  t.modify({"o-1"}, esm::aws::to_attribute_map(before), esm::aws::to_attribute_map(after));
  std::vector<json> images;
  esm::stream_poller p{t, fn,
                       esm::aws::json_handler{t,
                                              [&](std::string_view text) {
                                                const json e = json::parse(text);
                                                const auto& d = e["Records"][0]["dynamodb"];
                                                images.push_back(esm::aws::from_attribute_map(d["OldImage"]));
                                                images.push_back(esm::aws::from_attribute_map(d["NewImage"]));
                                                images.push_back(esm::aws::from_attribute_map(d["Keys"]));
                                              }},
                       esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  REQUIRE(images.size() == 3);
  CHECK(images[0] == before);
  CHECK(images[1] == after);
  CHECK(images[2] == json{{"pk", "o-1"}});
}

TEST_CASE("§4.3 a JSON-only function on a FIFO queue sees the FIFO attributes", "[aws][json_handler][spec-4.3]") {
  esm::simulation sim;
  esm::sqs_fifo_queue<std::string> q{sim, "orders.fifo"};
  esm::function fn{sim, {.name = "f"}};
  q.send("a", {.group_id = "g1", .deduplication_id = "d1"});
  json attributes;
  esm::queue_poller p{q, fn, esm::aws::json_handler{q, [&](std::string_view text) {
                                                      attributes = json::parse(text)["Records"][0]["attributes"];
                                                    }}};
  sim.run_until_idle(1'000'000);
  CHECK(attributes["MessageGroupId"] == "g1");
  CHECK(attributes["MessageDeduplicationId"] == "d1");
  CHECK(attributes["SequenceNumber"].get<std::string>().size() == 20);
  CHECK(p.metrics().deleted_event_count == 1);
}

// The hazard battery (esm/testing/hazards.hpp) runs a JSON-only function as it runs a native
// handler: the factory takes the hazard's queue to build the json_handler. An idempotent
// function that reports its failures passes every hazard; one that counts every delivery breaks
// exactly-once effects where SQS delivers twice (§8).
TEST_CASE("the hazard battery runs a JSON-only function through json_handler (§3.5, §8)",
          "[aws][json_handler][testing][spec-3.5][spec-8]") {
  using queue = esm::sqs_queue<std::string>;
  auto make = [](bool idempotent) {
    return [idempotent](esm::testing::faults& f, queue& q) {
      auto applied = std::make_shared<std::map<std::string, int, std::less<>>>();
      auto fn = [applied, &f, idempotent](std::string_view event) {
        nlohmann::json out = {{"batchItemFailures", nlohmann::json::array()}};
        const auto e = nlohmann::json::parse(event);
        for (const auto& r : e.at("Records")) {
          const std::string body = r.at("body");
          if (idempotent && applied->contains(body)) continue;
          try {
            f.check(body);
            ++(*applied)[body];
          } catch (const esm::testing::injected_fault&) {
            out["batchItemFailures"].push_back({{"itemIdentifier", r.at("messageId")}});
          }
        }
        return out;
      };
      return esm::testing::consumer{esm::aws::json_handler{q, fn}, [applied](std::string_view id) {
                                      const auto it = applied->find(id);
                                      return it == applied->end() ? 0 : it->second;
                                    }};
    };
  };
  const auto good = esm::testing::hazards<queue>(make(true), {.report_batch_item_failures = true});
  INFO(good);
  CHECK(good.ok());
  const auto bad = esm::testing::hazards<queue>(make(false), {.report_batch_item_failures = true});
  CHECK(bad.broke("duplicates", "exactly_once_effects"));
}
