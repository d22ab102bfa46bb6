// Tests of esm/pollers/record_filter.hpp: FilterCriteria (and predicate filters) applied by the
// queue and stream event source mappings, as spec §5 describes: which key of each source is
// matched, the JSON / non-JSON format rules, what happens to filtered records, and the metrics.
#include <esm/filter/criteria.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/record_filter.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/dynamodb_stream.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_fifo_queue.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "support/errors.hpp"

using namespace std::chrono_literals;
using squeue = esm::sqs_queue<std::string>;
using fqueue = esm::sqs_fifo_queue<std::string>;
using kstream = esm::kinesis_stream<std::string>;
using ddb_item = esm::attribute_map_json;
using dstream = esm::dynamodb_stream<ddb_item>;

namespace {

/// Bodies (or data) a handler saw, in order.
struct seen {
  std::vector<std::string> items;
  int invocations = 0;
  template <class Batch>
  void add_bodies(const Batch& b) {
    ++invocations;
    for (const auto& m : b) items.push_back(m.body);
  }
  template <class Batch>
  void add_data(const Batch& b) {
    ++invocations;
    for (const auto& r : b) items.push_back(r.data);
  }
};

using strings = std::vector<std::string>;

} // namespace

// --- SQS -------------------------------------------------------------------------------------

TEST_CASE("§5 SQS: a body pattern keeps matching messages; the others are deleted and counted in "
          "FilteredOutEventCount",
          "[pollers][filter][spec-5][spec-6]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  seen s;
  esm::queue_poller p{q, fn, [&](const esm::queue_batch<squeue::message_type>& b) { s.add_bodies(b); },
                      esm::filter_criteria{R"({"body":{"RequestCode":["BBBB"]}})"}};
  q.send(R"({"RecordNumber":1,"RequestCode":"AAAA"})");
  q.send(R"({"RecordNumber":2,"RequestCode":"BBBB"})");
  q.send(R"({"RecordNumber":3,"RequestCode":"CCCC"})");
  sim.run_until_idle(1'000'000);
  CHECK(s.items == strings{R"({"RecordNumber":2,"RequestCode":"BBBB"})"});
  CHECK(p.metrics().polled_event_count == 3);
  CHECK(p.metrics().filtered_out_event_count == 2);
  CHECK(p.metrics().invoked_event_count == 1);
  CHECK(p.metrics().deleted_event_count == 1); // DeletedEventCount: after processing only
  CHECK(q.size() == 0);                        // the filtered messages were deleted too
  CHECK(q.metrics().deleted == 3);
}

TEST_CASE("§5 SQS format rules: a JSON body against a plain-text pattern, or a text body against a JSON pattern, "
          "is dropped; text against text applies",
          "[pollers][filter][spec-5]") {
  esm::simulation sim;
  esm::function fn{sim, {.name = "f"}};
  SECTION("JSON pattern: text bodies are dropped") {
    squeue q{sim, "q"};
    seen s;
    esm::queue_poller p{q, fn, [&](const esm::queue_batch<squeue::message_type>& b) { s.add_bodies(b); },
                        esm::filter_criteria{R"({"body":{"kind":["a"]}})"}};
    q.send(R"({"kind":"a"})");
    q.send("kind=a");
    q.send(R"({"kind":"a")"); // not valid JSON: a text body
    sim.run_until_idle(1'000'000);
    CHECK(s.items == strings{R"({"kind":"a"})"});
    CHECK(p.metrics().filtered_out_event_count == 2);
  }
  SECTION("text pattern: JSON bodies are dropped, text bodies are matched as strings") {
    squeue q{sim, "q"};
    seen s;
    esm::queue_poller p{q, fn, [&](const esm::queue_batch<squeue::message_type>& b) { s.add_bodies(b); },
                        esm::filter_criteria{R"({"body":[{"prefix":"order"}]})"}};
    q.send("order-1");
    q.send("refund-2");
    q.send(R"({"order":"3"})");
    q.send("order-4");
    sim.run_until_idle(1'000'000);
    CHECK(s.items == strings{"order-1", "order-4"});
    CHECK(p.metrics().filtered_out_event_count == 2);
  }
  SECTION("no body pattern: only the metadata patterns apply, whatever the body") {
    squeue q{sim, "q"};
    seen s;
    esm::queue_poller p{q, fn, [&](const esm::queue_batch<squeue::message_type>& b) { s.add_bodies(b); },
                        esm::filter_criteria{R"({"messageAttributes":{"kind":{"stringValue":["keep"]}}})"}};
    q.send("text", {.attributes = {{.name = "kind", .data_type = "String", .value = "keep"}}});
    q.send(R"({"json":true})", {.attributes = {{.name = "kind", .data_type = "String", .value = "keep"}}});
    q.send("other", {.attributes = {{.name = "kind", .data_type = "String", .value = "drop"}}});
    q.send("none");
    sim.run_until_idle(1'000'000);
    CHECK(s.items == strings{"text", R"({"json":true})"});
    CHECK(p.metrics().filtered_out_event_count == 2);
  }
}

TEST_CASE("§5 filters are ORed: a message matching any filter is kept", "[pollers][filter][spec-5]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  seen s;
  esm::queue_poller p{q, fn, [&](const esm::queue_batch<squeue::message_type>& b) { s.add_bodies(b); },
                      esm::filter_criteria{R"({"body":{"a":[1]}})", R"({"body":{"b":[2]}})"}};
  q.send(R"({"a":1})");
  q.send(R"({"b":2})");
  q.send(R"({"a":2,"b":1})");
  sim.run_until_idle(1'000'000);
  CHECK(s.items == strings{R"({"a":1})", R"({"b":2})"});
  CHECK(p.metrics().filtered_out_event_count == 1);
}

TEST_CASE("§5 SQS metadata: attributes are strings (ApproximateReceiveCount, SentTimestamp) and the record keys "
          "are filterable",
          "[pollers][filter][spec-5][spec-4.3]") {
  esm::simulation sim;
  squeue q{sim, {.name = "q", .visibility_timeout = 30s}};
  esm::function fn{sim, {.name = "f", .timeout = 10s}};
  seen s;
  // Only first deliveries are kept: the redelivery of a failed message is filtered out (deleted).
  esm::queue_poller p{q, fn,
                      [&](const esm::queue_batch<squeue::message_type>& b) {
                        s.add_bodies(b);
                        throw std::runtime_error("fail once");
                      },
                      esm::filter_criteria{R"({"attributes":{"ApproximateReceiveCount":["1"]},)"
                                           R"("eventSource":["aws:sqs"],"awsRegion":["us-east-1"]})"}};
  q.send("m");
  sim.run_until_idle(1'000'000);
  CHECK(s.items == strings{"m"});
  CHECK(p.metrics().filtered_out_event_count == 1);
  CHECK(q.size() == 0);
}

TEST_CASE("§5 SQS FIFO: filtered messages are deleted and do not hold their group", "[pollers][filter][spec-5][spec-3.6]") {
  esm::simulation sim;
  fqueue q{sim, "q.fifo"};
  esm::function fn{sim, {.name = "f"}};
  seen s;
  esm::queue_poller p{q, fn, [&](const esm::queue_batch<fqueue::message_type>& b) { s.add_bodies(b); },
                      esm::filter_criteria{R"({"attributes":{"MessageGroupId":["g1"]}})"}};
  for (int i = 0; i < 3; ++i) {
    q.send("g1-" + std::to_string(i), {.group_id = "g1", .deduplication_id = "a" + std::to_string(i)});
    q.send("g2-" + std::to_string(i), {.group_id = "g2", .deduplication_id = "b" + std::to_string(i)});
  }
  sim.run_until_idle(1'000'000);
  CHECK(s.items == strings{"g1-0", "g1-1", "g1-2"});
  CHECK(p.metrics().filtered_out_event_count == 3);
  CHECK(q.size() == 0);
}

TEST_CASE("§5 a filter that names no key of an SQS record, or a malformed pattern, is a config_error",
          "[pollers][filter][spec-5]") {
  esm::simulation sim;
  squeue q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  const auto h = [](const esm::queue_batch<squeue::message_type>&) {};
  CHECK(esm_test::config_error_of([&] { esm::queue_poller p{q, fn, h, esm::filter_criteria{R"({"data":{"x":[1]}})"}}; }) ==
        "filter_criteria must be patterns on the keys of a sqs record (body, messageId, receiptHandle, md5OfBody, "
        "attributes, messageAttributes, eventSource, eventSourceARN, awsRegion) for a sqs_queue event source "
        "mapping, got a pattern on 'data'");
  CHECK_THROWS_AS(esm::filter_criteria{R"({"body":{"x":[{"numeric":[">"]}]}})"}, esm::config_error);
  // An empty FilterCriteria keeps everything.
  CHECK_NOTHROW(esm::queue_poller{q, fn, h, esm::filter_criteria{}});
}

TEST_CASE("§5 a body that is not text cannot be matched by a body pattern: config_error; metadata patterns work",
          "[pollers][filter][spec-5]") {
  struct order {
    int id = 0;
  };
  esm::simulation sim;
  esm::sqs_queue<order> q{sim, "q"};
  esm::function fn{sim, {.name = "f"}};
  int invoked = 0;
  const auto h = [&](const esm::queue_batch<esm::sqs_message<order>>& b) { invoked += static_cast<int>(b.size()); };
  CHECK_THROWS_WITH(esm::queue_poller(q, fn, h, esm::filter_criteria{R"({"body":{"id":[1]}})"}),
                    Catch::Matchers::Contains("patterns on body only for a text payload"));
  esm::queue_poller p{q, fn, h, esm::filter_criteria{R"({"messageId":[{"exists":true}]})"}};
  q.send(order{1});
  sim.run_until_idle(1'000'000);
  CHECK(invoked == 1);
}

// --- Kinesis ---------------------------------------------------------------------------------

TEST_CASE("§5 Kinesis: data is matched as JSON; filtered records are skipped and the checkpoint moves past them",
          "[pollers][filter][spec-5][spec-2.1]") {
  esm::simulation sim;
  kstream st{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f"}};
  seen s;
  esm::stream_poller p{st, fn, [&](const esm::stream_batch<kstream::record_type>& b) { s.add_data(b); },
                       esm::filter_criteria{R"({"data":{"temp":[{"numeric":[">",30]}]}})"},
                       esm::starting_position::trim_horizon()};
  st.put("k", R"({"temp":25})");
  st.put("k", R"({"temp":31})");
  st.put("k", R"({"temp":"35"})"); // a string is not a number
  st.put("k", "temp=40");          // not JSON: dropped
  st.put("k", R"({"temp":40.5})");
  sim.run_until(esm::time_point{} + 10s);
  CHECK(s.items == strings{R"({"temp":31})", R"({"temp":40.5})"});
  CHECK(s.invocations == 1);
  CHECK(p.metrics().polled_event_count == 5);
  CHECK(p.metrics().filtered_out_event_count == 3);
  CHECK(p.metrics().invoked_event_count == 2);
  CHECK(p.checkpoint(0) == st.shard_at(0).end_position()); // every record consumed
}

TEST_CASE("§5 Kinesis: a poll whose records are all filtered out invokes nothing and checkpoints past them",
          "[pollers][filter][spec-5]") {
  esm::simulation sim;
  kstream st{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f"}};
  seen s;
  esm::stream_poller p{st, fn, [&](const esm::stream_batch<kstream::record_type>& b) { s.add_data(b); },
                       esm::filter_criteria{R"({"partitionKey":["keep"]})"}, esm::starting_position::trim_horizon()};
  for (int i = 0; i < 50; ++i) st.put("drop", std::to_string(i));
  sim.run_until(esm::time_point{} + 5s);
  CHECK(s.invocations == 0);
  CHECK(fn.metrics().invocations == 0);
  CHECK(p.metrics().filtered_out_event_count == 50);
  CHECK(p.checkpoint(0) == st.shard_at(0).end_position());
  st.put("keep", "x");
  sim.run_until(esm::time_point{} + 10s);
  CHECK(s.items == strings{"x"});
}

TEST_CASE("§5 Kinesis: a plain-value pattern on data is rejected at create; unknown keys are rejected",
          "[pollers][filter][spec-5]") {
  esm::simulation sim;
  kstream st{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f"}};
  const auto h = [](const esm::stream_batch<kstream::record_type>&) {};
  CHECK(esm_test::config_error_of([&] {
          esm::stream_poller p{st, fn, h, esm::filter_criteria{R"({"data":["x"]})"},
                               esm::starting_position::trim_horizon()};
        }) ==
        "filter_criteria must be a JSON object pattern on 'data' (kinesis filters need JSON records) for a kinesis "
        "event source mapping, got a pattern of plain values on 'data'");
  CHECK_THROWS_WITH(esm::stream_poller(st, fn, h, esm::filter_criteria{R"({"body":{"x":[1]}})"},
                                       esm::starting_position::trim_horizon()),
                    Catch::Matchers::Contains("got a pattern on 'body'"));
  CHECK_NOTHROW(esm::stream_poller(st, fn, h,
                                   esm::filter_criteria{R"({"eventName":["aws:kinesis:record"],)"
                                                        R"("sequenceNumber":[{"prefix":"49"}]})"},
                                   esm::starting_position::trim_horizon()));
}

TEST_CASE("§5 Kinesis metadata: eventID is <shardId>:<sequenceNumber>, approximateArrivalTimestamp a number",
          "[pollers][filter][spec-5][spec-4.1]") {
  esm::simulation sim{{.epoch = esm::wall_epoch::at(2018, 12, 17, 21h + 30min + 50s + 987ms)}};
  kstream st{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f"}};
  seen s;
  // 2018-12-17T21:30:50.987Z is 1545082250.987.
  esm::stream_poller p{st, fn, [&](const esm::stream_batch<kstream::record_type>& b) { s.add_data(b); },
                       esm::filter_criteria{R"({"approximateArrivalTimestamp":[{"numeric":["<",1545082251]}]})",
                                            R"({"eventID":[{"suffix":"000000000000000000000000000000000000000003"}]})"},
                       esm::starting_position::trim_horizon()};
  st.put("k", "first");  // at .987: kept by the first filter
  sim.run_until(esm::time_point{} + 2s);
  st.put("k", "second"); // later: dropped
  st.put("k", "third");  // sequence 3: kept by the second filter
  sim.run_until(esm::time_point{} + 10s);
  CHECK(s.items == strings{"first", "third"});
}

TEST_CASE("§5 a predicate filter works on streams too (record_filter)", "[pollers][filter][spec-5]") {
  esm::simulation sim;
  kstream st{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f"}};
  seen s;
  esm::stream_poller p{st, fn, [&](const esm::stream_batch<kstream::record_type>& b) { s.add_data(b); },
                       esm::record_filter{[](const kstream::record_type& r) { return r.data != "skip"; }},
                       esm::starting_position::trim_horizon()};
  st.put("k", "a");
  st.put("k", "skip");
  st.put("k", "b");
  sim.run_until(esm::time_point{} + 5s);
  CHECK(s.items == strings{"a", "b"});
  CHECK(p.metrics().filtered_out_event_count == 1);
}

// --- DynamoDB --------------------------------------------------------------------------------

TEST_CASE("§5 DynamoDB: eventName and the dynamodb object (Keys, NewImage in AttributeValue form) are matched",
          "[pollers][filter][spec-5][spec-4.2]") {
  esm::simulation sim;
  dstream t{sim, {.name = "orders", .key_schema = {.partition_key = "Id", .partition_key_type = esm::key_attribute_type::number}}};
  esm::function fn{sim, {.name = "f"}};
  std::vector<std::string> names;
  const auto h = [&](const esm::stream_batch<dstream::record_type>& b) {
    for (const auto& r : b) names.push_back(std::string{esm::to_string(r.event_name)} + ":" + r.keys.partition_key);
  };
  SECTION("eventName") {
    esm::stream_poller p{t, fn, h, esm::filter_criteria{R"({"eventName":["INSERT"]})"},
                         esm::starting_position::trim_horizon()};
    t.insert({"1"}, ddb_item{R"({"Id":{"N":"1"}})"});
    t.modify({"1"}, ddb_item{R"({"Id":{"N":"1"}})"}, ddb_item{R"({"Id":{"N":"1"},"x":{"S":"y"}})"});
    t.remove({"1"}, ddb_item{R"({"Id":{"N":"1"},"x":{"S":"y"}})"});
    sim.run_until(esm::time_point{} + 5s);
    CHECK(names == strings{"INSERT:1"});
    CHECK(p.metrics().filtered_out_event_count == 2);
  }
  SECTION("NewImage values are AttributeValue-encoded: numbers are strings, so numeric does not apply") {
    esm::stream_poller p{t, fn, h,
                         esm::filter_criteria{R"({"dynamodb":{"NewImage":{"Status":{"S":["paid"]}}}})",
                                              R"({"dynamodb":{"NewImage":{"Total":{"N":[{"numeric":[">",10]}]}}}})"},
                         esm::starting_position::trim_horizon()};
    t.insert({"1"}, ddb_item{R"({"Id":{"N":"1"},"Status":{"S":"paid"},"Total":{"N":"5"}})"});
    t.insert({"2"}, ddb_item{R"({"Id":{"N":"2"},"Status":{"S":"new"},"Total":{"N":"50"}})"});
    sim.run_until(esm::time_point{} + 5s);
    CHECK(names == strings{"INSERT:1"});
  }
  SECTION("Keys are rendered with the table's key schema") {
    esm::stream_poller p{t, fn, h, esm::filter_criteria{R"({"dynamodb":{"Keys":{"Id":{"N":["2"]}}}})"},
                         esm::starting_position::trim_horizon()};
    t.insert({"1"}, ddb_item{"{}"});
    t.insert({"2"}, ddb_item{"{}"});
    sim.run_until(esm::time_point{} + 5s);
    CHECK(names == strings{"INSERT:2"});
  }
  SECTION("eventID is the record's event_id() (32 hex digits)") {
    dstream::record_type second;
    second.sequence = 2; // the stream's second write
    esm::stream_poller p{t, fn, h, esm::filter_criteria{R"({"eventID":[")" + second.event_id() + R"("]})"},
                         esm::starting_position::trim_horizon()};
    t.insert({"1"}, ddb_item{"{}"});
    t.insert({"2"}, ddb_item{"{}"});
    t.insert({"3"}, ddb_item{"{}"});
    sim.run_until(esm::time_point{} + 5s);
    CHECK(names == strings{"INSERT:2"});
  }
  SECTION("images exist only as the view type keeps them; exists:false matches their absence") {
    esm::stream_poller p{t, fn, h, esm::filter_criteria{R"({"dynamodb":{"OldImage":{"Id":{"N":[{"exists":false}]}}}})"},
                         esm::starting_position::trim_horizon()};
    t.insert({"1"}, ddb_item{R"({"Id":{"N":"1"}})"});
    t.modify({"1"}, ddb_item{R"({"Id":{"N":"1"}})"}, ddb_item{R"({"Id":{"N":"1"}})"});
    sim.run_until(esm::time_point{} + 5s);
    CHECK(names == strings{"INSERT:1"});
  }
}

TEST_CASE("§5 DynamoDB: a dynamodb pattern needs items that render as AttributeValue JSON; a plain pattern on "
          "dynamodb is rejected",
          "[pollers][filter][spec-5]") {
  esm::simulation sim;
  esm::dynamodb_stream<std::string> plain{sim, {.name = "plain"}};
  dstream t{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "f"}};
  CHECK_THROWS_WITH(esm::stream_poller(
                        plain, fn, [](const esm::stream_batch<esm::dynamodb_record<std::string>>&) {},
                        esm::filter_criteria{R"({"dynamodb":{"Keys":{"pk":{"S":["a"]}}}})"},
                        esm::starting_position::trim_horizon()),
                    Catch::Matchers::Contains("AttributeValue JSON"));
  // Metadata filters work whatever the item type.
  CHECK_NOTHROW(esm::stream_poller(
      plain, fn, [](const esm::stream_batch<esm::dynamodb_record<std::string>>&) {},
      esm::filter_criteria{R"({"eventName":["REMOVE"]})"}, esm::starting_position::trim_horizon()));
  CHECK_THROWS_WITH(esm::stream_poller(
                        t, fn, [](const esm::stream_batch<dstream::record_type>&) {},
                        esm::filter_criteria{R"({"dynamodb":["x"]})"}, esm::starting_position::trim_horizon()),
                    Catch::Matchers::Contains("a JSON object pattern on 'dynamodb'"));
}
