// Tests of esm/aws/failure_records.hpp: the on-failure invocation record as AWS's JSON, compared
// with the samples of aws-esm-semantics.md §4.6 (Kinesis) and of the AWS Lambda developer guide
// (DynamoDB), and delivered to an SQS queue by a real stream poller (§2.6).
#include <esm/aws/failure_records.hpp>
#include <esm/sources/s3_bucket.hpp>
#include <esm/sources/sns_topic.hpp>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "aws/golden.hpp"
#include "support/catch.hpp"

using namespace std::chrono_literals;
using esm_test::ojson;

namespace {

esm::time_point at(esm::duration d) { return esm::time_point{} + d; }

// §4.6, verbatim (its sequence numbers are abbreviated in the spec: "4960...4722").
constexpr const char* kinesis_record_sample = R"({"requestContext":{"requestId":"c9b8fa9f-5a7f-xmpl-af9c-0c604cde93a5",
   "functionArn":"arn:aws:lambda:us-east-2:123456789012:function:myfunction",
   "condition":"RetryAttemptsExhausted","approximateInvokeCount":1},
 "responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},
 "version":"1.0","timestamp":"2019-11-14T00:38:06.021Z",
 "KinesisBatchInfo":{"shardId":"shardId-000000000001",
   "startSequenceNumber":"4960...4722","endSequenceNumber":"4960...5186",
   "approximateArrivalOfFirstRecord":"2019-11-14T00:38:04.835Z",
   "approximateArrivalOfLastRecord":"2019-11-14T00:38:05.580Z",
   "batchSize":500,"streamArn":"arn:aws:kinesis:us-east-2:123456789012:stream/mystream"}})";

// The DynamoDB example of the AWS Lambda developer guide (services-dynamodb-errors), which §4.6
// describes as "DDBStreamBatchInfo with the same sub-fields (example timestamps without ms)".
constexpr const char* dynamodb_record_sample = R"({
    "requestContext": {
        "requestId": "316aa6d0-8154-xmpl-9af7-85d5f4a6bc81",
        "functionArn": "arn:aws:lambda:us-east-2:123456789012:function:myfunction",
        "condition": "RetryAttemptsExhausted",
        "approximateInvokeCount": 1
    },
    "responseContext": {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled"
    },
    "version": "1.0",
    "timestamp": "2019-11-14T00:13:49.717Z",
    "DDBStreamBatchInfo": {
        "shardId": "shardId-00000001573689847184-864758bb",
        "startSequenceNumber": "800000000003126276362",
        "endSequenceNumber": "800000000003126276362",
        "approximateArrivalOfFirstRecord": "2019-11-14T00:13:19Z",
        "approximateArrivalOfLastRecord": "2019-11-14T00:13:19Z",
        "batchSize": 1,
        "streamArn": "arn:aws:dynamodb:us-east-2:123456789012:table/mytable/stream/2019-11-14T00:04:06.388"
    }
})";

bool uuid_shaped(const std::string& id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (id[i] == '-')) return false;
  }
  return true;
}

} // namespace

TEST_CASE("§4.6 Kinesis on-failure record: every field, its type and order match the sample",
          "[aws][failure_records][spec-4.6]") {
  // The record the sample describes, with times relative to its timestamp.
  const esm::wall_epoch epoch = esm::wall_epoch::at(2019, 11, 14, 38min + 6s + 21ms);
  const esm::stream_failure_record r{at(0s),
                                     esm::discard_condition::retry_attempts_exhausted,
                                     1,
                                     "c9b8fa9f-5a7f-xmpl-af9c-0c604cde93a5",
                                     "myfunction",
                                     esm::failure_response_context{200, "$LATEST", "Unhandled"},
                                     esm::source_kind::kinesis,
                                     esm::stream_batch_info{"shardId-000000000001", "4960...4722", "4960...5186",
                                                            at(-1186ms), at(-441ms), 500,
                                                            "arn:aws:kinesis:us-east-2:123456789012:stream/mystream"},
                                     ""};
  const std::string text = esm::aws::to_json(r, epoch);
  CHECK(esm_test::golden{}.diff(ojson::parse(kinesis_record_sample), ojson::parse(text)) == std::vector<std::string>{});
  CHECK(esm::aws::function_arn(r) == "arn:aws:lambda:us-east-2:123456789012:function:myfunction");
}

TEST_CASE("§4.6 DynamoDB on-failure record: DDBStreamBatchInfo, arrival times in whole seconds",
          "[aws][failure_records][spec-4.6]") {
  const esm::wall_epoch epoch = esm::wall_epoch::at(2019, 11, 14, 13min + 49s + 717ms);
  const esm::stream_failure_record r{
      at(0s),
      esm::discard_condition::retry_attempts_exhausted,
      1,
      "316aa6d0-8154-xmpl-9af7-85d5f4a6bc81",
      "myfunction",
      esm::failure_response_context{200, "$LATEST", "Unhandled"},
      esm::source_kind::dynamodb,
      esm::stream_batch_info{"shardId-00000001573689847184-864758bb", "800000000003126276362", "800000000003126276362",
                             at(-30s - 717ms + 400ms), // 00:13:19.400: the milliseconds are not rendered
                             at(-30s - 717ms), 1,
                             "arn:aws:dynamodb:us-east-2:123456789012:table/mytable/stream/2019-11-14T00:04:06.388"},
      ""};
  const std::string text = esm::aws::to_json(r, epoch);
  CHECK(esm_test::golden{}.diff(ojson::parse(dynamodb_record_sample), ojson::parse(text)) == std::vector<std::string>{});
}

TEST_CASE("§4.6 AWS recorded: a record without a response context has no responseContext key; a function that "
          "returned has functionError null",
          "[aws][failure_records][spec-4.6][recorded]") {
  esm::stream_failure_record r{};
  r.condition = esm::discard_condition::record_age_exceeded;
  r.approximate_invoke_count = 1;
  r.function_name = "f";
  r.batch_info.stream_arn = "arn:aws:kinesis:us-east-1:123456789012:stream/s";
  r.batch_info.batch_size = 3;
  const ojson e = ojson::parse(esm::aws::to_json(r, esm::wall_epoch{}));
  std::vector<std::string> keys;
  for (const auto& [k, v] : e.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"requestContext", "version", "timestamp", "KinesisBatchInfo"});
  CHECK(e["requestContext"]["condition"] == "RecordAgeExceeded");
  CHECK(e["requestContext"]["approximateInvokeCount"] == 1);
  CHECK(e["requestContext"]["requestId"] == "");
  CHECK(e["timestamp"] == "2026-01-01T00:00:00.000Z");
  CHECK(e["KinesisBatchInfo"]["batchSize"] == 3);

  // A function that returned (partial-batch failures): functionError is present and null.
  r.condition = esm::discard_condition::retry_attempts_exhausted;
  r.response_context = esm::failure_response_context{200, "$LATEST", ""};
  const ojson f = ojson::parse(esm::aws::to_json(r, esm::wall_epoch{}));
  CHECK(esm_test::golden{}.diff(ojson::parse(R"({"statusCode":200,"executedVersion":"$LATEST","functionError":null})"),
                                f["responseContext"]) == std::vector<std::string>{});
}

TEST_CASE("§2.6 an SQS on-failure destination receives the AWS JSON as the message body",
          "[aws][failure_records][spec-2.6][spec-4.6]") {
  esm::simulation sim;
  esm::kinesis_stream<std::string> s{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "process"}};
  esm::sqs_queue<std::string> dlq{sim, "failures"};
  s.put("k", "a");
  sim.advance_to(at(250ms));
  s.put("k", "b");
  esm::stream_poller poller{
      s,
      fn,
      [](const esm::stream_batch<esm::kinesis_record<std::string>>&) { throw std::runtime_error("poison"); },
      esm::stream_retry{.max_attempts = 1},
      esm::on_failure_queue{dlq, esm::aws::failure_record_json{sim.epoch()}},
      esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  REQUIRE(dlq.size() == 1);
  const auto msg = dlq.receive(1);
  REQUIRE(msg.size() == 1);
  const ojson e = ojson::parse(msg[0].body);
  std::vector<std::string> keys;
  for (const auto& [k, v] : e.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"requestContext", "responseContext", "version", "timestamp", "KinesisBatchInfo"});
  CHECK(uuid_shaped(e["requestContext"]["requestId"]));
  CHECK(e["requestContext"]["functionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:process");
  CHECK(e["requestContext"]["condition"] == "RetryAttemptsExhausted");
  CHECK(e["requestContext"]["approximateInvokeCount"] == 2);
  CHECK(e["responseContext"] == ojson::parse(R"({"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"})"));
  const auto& info = e["KinesisBatchInfo"];
  CHECK(info["shardId"] == "shardId-000000000000");
  CHECK(info["startSequenceNumber"] == s.shard_at(0).at(0).sequence_number());
  CHECK(info["endSequenceNumber"] == s.shard_at(0).at(1).sequence_number());
  CHECK(info["batchSize"] == 2);
  CHECK(info["streamArn"] == s.arn());
  CHECK(info["approximateArrivalOfFirstRecord"] == "2026-01-01T00:00:00.000Z");
  CHECK(info["approximateArrivalOfLastRecord"] == "2026-01-01T00:00:00.250Z");
  CHECK(e["timestamp"].get<std::string>().size() == 24); // ISO-8601 with milliseconds
}

TEST_CASE("§2.6 a DynamoDB mapping's SQS destination receives DDBStreamBatchInfo",
          "[aws][failure_records][spec-2.6][spec-4.6]") {
  esm::simulation sim;
  esm::dynamodb_stream<esm::attribute_map_json> t{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "process"}};
  esm::sqs_queue<std::string> dlq{sim, "failures"};
  t.insert({"a"}, {R"({"pk":{"S":"a"}})"});
  esm::stream_poller poller{t,
                            fn,
                            [](const esm::stream_batch<esm::dynamodb_record<esm::attribute_map_json>>&) {
                              throw std::runtime_error("poison");
                            },
                            esm::stream_retry{.max_attempts = 0},
                            esm::on_failure_queue{dlq, esm::aws::failure_record_json{sim.epoch()}},
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  REQUIRE(dlq.size() == 1);
  const ojson e = ojson::parse(dlq.receive(1)[0].body);
  REQUIRE(e.contains("DDBStreamBatchInfo"));
  CHECK_FALSE(e.contains("KinesisBatchInfo"));
  CHECK(e["DDBStreamBatchInfo"]["streamArn"] == t.arn());
  CHECK(e["DDBStreamBatchInfo"]["startSequenceNumber"] == t.shard_at(0).at(0).sequence_number());
  CHECK(e["DDBStreamBatchInfo"]["approximateArrivalOfFirstRecord"] == "2026-01-01T00:00:00Z");
  CHECK(e["requestContext"]["approximateInvokeCount"] == 1);
}

namespace {

using kstream = esm::kinesis_stream<std::string>;
using kbatch = esm::stream_batch<kstream::record_type>;

/// The shape AWS recorded for a RecordAgeExceeded record (values that differ per run are
/// compared by type only): no responseContext key, approximateInvokeCount 1.
constexpr const char* aws_recorded_age_exceeded = R"({"requestContext":{"requestId":"<uuid>",
   "functionArn":"arn:aws:lambda:us-east-1:123456789012:function:process",
   "condition":"RecordAgeExceeded","approximateInvokeCount":1},
 "version":"1.0","timestamp":"<time>",
 "KinesisBatchInfo":{"shardId":"shardId-000000000000","startSequenceNumber":"<seq>","endSequenceNumber":"<seq>",
   "approximateArrivalOfFirstRecord":"2026-01-01T00:00:00.000Z","approximateArrivalOfLastRecord":"2026-01-01T00:00:00.000Z",
   "batchSize":1,"streamArn":"arn:aws:kinesis:us-east-1:123456789012:stream/orders"}})";

const esm_test::golden per_run{{{"requestContext.requestId", "a request id"},
                                {"timestamp", "the discard time"},
                                {"KinesisBatchInfo.startSequenceNumber", "sequence numbers of the run"},
                                {"KinesisBatchInfo.endSequenceNumber", "sequence numbers of the run"}},
                               {}};

/// The JSON bodies a destination queue holds.
std::vector<ojson> bodies(esm::sqs_queue<std::string>& q) {
  std::vector<ojson> out;
  for (auto& m : q.receive(10)) out.push_back(ojson::parse(m.body));
  return out;
}

} // namespace

TEST_CASE("§2.3 §4.6 AWS recorded: a lone record already too old when read is discarded with approximateInvokeCount 1 "
          "and no responseContext",
          "[aws][failure_records][spec-2.3][spec-4.6][recorded]") {
  esm::simulation sim;
  kstream s{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "process"}};
  esm::sqs_queue<std::string> dlq{sim, "failures"};
  s.put("k", "old");
  sim.advance_to(at(61s)); // older than MaximumRecordAgeInSeconds when the mapping first reads it
  int calls = 0;
  esm::stream_poller poller{s, fn, [&](const kbatch&) { ++calls; },
                            esm::stream_options{.start = esm::starting_position::trim_horizon()},
                            esm::stream_retry{.max_record_age = 60s},
                            esm::on_failure_queue{dlq, esm::aws::failure_record_json{sim.epoch()}}};
  sim.run_until_idle();
  CHECK(calls == 0);
  const auto got = bodies(dlq);
  REQUIRE(got.size() == 1);
  CHECK(per_run.diff(ojson::parse(aws_recorded_age_exceeded), got[0]) == std::vector<std::string>{});
  CHECK(poller.checkpoint(0) == 1);
}

TEST_CASE("§2.3 §4.6 AWS recorded: an expired record split out of a batch is discarded with approximateInvokeCount 1; "
          "the fresh records are delivered",
          "[aws][failure_records][spec-2.3][spec-4.6][recorded]") {
  esm::simulation sim;
  kstream s{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "process"}};
  esm::sqs_queue<std::string> dlq{sim, "failures"};
  s.put("k", "old");
  sim.advance_to(at(61s));
  s.put("k", "fresh-1");
  s.put("k", "fresh-2");
  std::vector<std::string> seen;
  esm::stream_poller poller{s, fn,
                            [&](const kbatch& b) {
                              for (const auto& r : b) seen.push_back(r.data);
                            },
                            esm::stream_options{.start = esm::starting_position::trim_horizon()},
                            esm::stream_retry{.max_record_age = 60s},
                            esm::on_failure_queue{dlq, esm::aws::failure_record_json{sim.epoch()}}};
  sim.run_until_idle();
  CHECK(seen == std::vector<std::string>{"fresh-1", "fresh-2"});
  const auto got = bodies(dlq);
  REQUIRE(got.size() == 1);
  CHECK(per_run.diff(ojson::parse(aws_recorded_age_exceeded), got[0]) == std::vector<std::string>{});
  CHECK(poller.checkpoint(0) == 3);
  CHECK(poller.metrics().processed_event_count == 2);
}

TEST_CASE("§2.5 §4.6 AWS recorded: records that failed by partial batch response reach the destination with "
          "functionError null",
          "[aws][failure_records][spec-2.5][spec-4.6][recorded]") {
  esm::simulation sim;
  kstream s{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "process"}};
  esm::sqs_queue<std::string> dlq{sim, "failures"};
  s.put("k", "a");
  esm::stream_poller poller{s, fn,
                            [&](const kbatch& b) { return esm::batch_response::failed({b[0].sequence_number()}); },
                            esm::stream_options{.start = esm::starting_position::trim_horizon(),
                                                .report_batch_item_failures = true},
                            esm::stream_retry{.max_attempts = 1},
                            esm::on_failure_queue{dlq, esm::aws::failure_record_json{sim.epoch()}}};
  sim.run_until_idle();
  const auto got = bodies(dlq);
  REQUIRE(got.size() == 1);
  CHECK(got[0]["requestContext"]["condition"] == "RetryAttemptsExhausted");
  CHECK(got[0]["requestContext"]["approximateInvokeCount"] == 2);
  CHECK(esm_test::golden{}.diff(ojson::parse(R"({"statusCode":200,"executedVersion":"$LATEST","functionError":null})"),
                                got[0]["responseContext"]) == std::vector<std::string>{});
}

TEST_CASE("§2.6 §4.6 an SNS on-failure destination: the record's AWS JSON arrives as the Notification's Message",
          "[aws][failure_records][sns_topic][spec-2.6][spec-4.6]") {
  esm::simulation sim;
  kstream s{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "process"}};
  esm::sns_topic topic{sim, "failures"};
  esm::sqs_queue<std::string> subscriber{sim, "subscriber"};
  topic.subscribe(subscriber);
  s.put("k", "a");
  esm::stream_poller poller{s,
                            fn,
                            [](const kbatch&) { throw std::runtime_error("poison"); },
                            esm::starting_position::trim_horizon(),
                            esm::stream_retry{.max_attempts = 0},
                            esm::on_failure_topic{topic, esm::aws::failure_record_json{sim.epoch()}}};
  sim.run_until_idle();
  const auto got = bodies(subscriber);
  REQUIRE(got.size() == 1);
  std::vector<std::string> keys;
  for (const auto& [k, v] : got[0].items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"Type", "MessageId", "TopicArn", "Message", "Timestamp", "SignatureVersion",
                                         "Signature", "SigningCertURL", "UnsubscribeURL"});
  CHECK(got[0]["Type"] == "Notification");
  CHECK(got[0]["TopicArn"] == topic.arn());
  const ojson record = ojson::parse(got[0]["Message"].get<std::string>());
  CHECK(record["requestContext"]["condition"] == "RetryAttemptsExhausted");
  CHECK(record["requestContext"]["approximateInvokeCount"] == 1);
  CHECK(record["KinesisBatchInfo"]["startSequenceNumber"] == s.shard_at(0).at(0).sequence_number());
  CHECK(record["responseContext"]["functionError"] == "Unhandled");
  CHECK(got[0]["Timestamp"] == record["timestamp"]); // published at the discard instant
  CHECK(poller.metrics().on_failure_destination_delivered_event_count == 1);
}

TEST_CASE("§2.6 §4.6 an S3 on-failure destination: one object under aws/lambda/<ESM-UUID>/<shardId>/YYYY/MM/DD/"
          "YYYY-MM-DDTHH.MM.SS-<uuid>, the record plus payload, the event the function received",
          "[aws][failure_records][s3_bucket][spec-2.6][spec-4.6]") {
  esm::simulation sim;
  kstream s{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "process"}};
  esm::s3_bucket bucket{sim, "failures"};
  s.put("k", "a");
  s.put("k", std::string("\x00\x01 \"quoted\"", 10));
  sim.advance_to(at(3723s + 250ms)); // 01:02:03.250 on the epoch's day
  std::vector<std::string> received;
  esm::stream_poller poller{s,
                            fn,
                            [&](const kbatch& b) {
                              received.push_back(esm::aws::event_json(s, b));
                              throw std::runtime_error("poison");
                            },
                            esm::starting_position::trim_horizon(),
                            esm::stream_retry{.max_attempts = 1},
                            esm::on_failure_bucket{bucket, esm::aws::s3_failure_object{sim.epoch()}}};
  sim.run_until_idle();
  REQUIRE(received.size() == 2);
  const auto objects = bucket.list("aws/lambda/");
  REQUIRE(objects.size() == 1);
  const std::string key{objects[0].key};
  INFO(key);
  CHECK(std::regex_match(key, std::regex{"aws/lambda/" + std::string{poller.identity().uuid()} +
                                         "/shardId-000000000000/2026/01/01/2026-01-01T01\\.02\\.03-"
                                         "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"}));
  const esm::s3_object* o = bucket.get(key);
  REQUIRE(o != nullptr);
  CHECK(objects[0].size == o->body.size());
  CHECK(o->last_modified > at(3723s + 250ms));
  const ojson e = ojson::parse(o->body);
  std::vector<std::string> keys;
  for (const auto& [k, v] : e.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"requestContext", "responseContext", "version", "timestamp",
                                         "KinesisBatchInfo", "payload"});
  CHECK(e["timestamp"] == sim.epoch().iso8601(o->last_modified));               // put at the discard instant
  CHECK(e["timestamp"].get<std::string>().starts_with("2026-01-01T01:02:03.")); // the key's time
  CHECK(e["requestContext"]["approximateInvokeCount"] == 2);
  CHECK(e["KinesisBatchInfo"]["batchSize"] == 2);
  REQUIRE(e["payload"].is_string()); // the whole event as an escaped JSON string
  CHECK(e["payload"].get<std::string>() == received.back());
  // The body is the record's JSON with payload appended: nothing else changes.
  const std::string record = esm::aws::failure_record_json{sim.epoch()}(esm::stream_failure_record{
      o->last_modified, esm::discard_condition::retry_attempts_exhausted, 2,
      e["requestContext"]["requestId"].get<std::string>(), "process",
      esm::failure_response_context{.function_error = "Unhandled"}, esm::source_kind::kinesis,
      esm::stream_batch_info{"shardId-000000000000", s.shard_at(0).at(0).sequence_number(),
                             s.shard_at(0).at(1).sequence_number(), esm::time_point{}, esm::time_point{}, 2, s.arn()},
      std::string{poller.identity().uuid()}});
  CHECK(o->body.substr(0, record.size() - 1) == record.substr(0, record.size() - 1));
  CHECK(poller.metrics().on_failure_destination_delivered_event_count == 2);
}

TEST_CASE("§2.6 §4.6 a DynamoDB mapping's S3 destination: DDBStreamBatchInfo and the DynamoDB event as payload",
          "[aws][failure_records][s3_bucket][spec-2.6][spec-4.6]") {
  esm::simulation sim;
  using table = esm::dynamodb_stream<esm::attribute_map_json>;
  table t{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "process"}};
  esm::s3_bucket bucket{sim, "failures"};
  t.insert({"a"}, {R"({"pk":{"S":"a"}})"});
  std::string received;
  esm::stream_poller poller{t,
                            fn,
                            [&](const esm::stream_batch<table::record_type>& b) {
                              received = esm::aws::event_json(t, b);
                              throw std::runtime_error("poison");
                            },
                            esm::stream_retry{.max_attempts = 0},
                            esm::on_failure_bucket{bucket, esm::aws::s3_failure_object{sim.epoch()}},
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  const auto objects =
      bucket.list("aws/lambda/" + std::string{poller.identity().uuid()} + "/" + t.shard_at(0).id() + "/2026/01/01/");
  REQUIRE(objects.size() == 1);
  const ojson e = ojson::parse(bucket.get(objects[0].key)->body);
  CHECK(e["DDBStreamBatchInfo"]["streamArn"] == t.arn());
  CHECK(e["payload"].get<std::string>() == received);
  CHECK(ojson::parse(e["payload"].get<std::string>())["Records"][0]["eventSource"] == "aws:dynamodb");
}

TEST_CASE("§2.6 an S3 destination with a converter of the record alone; a put that throws is a failed delivery",
          "[aws][failure_records][s3_bucket][spec-2.6][spec-6]") {
  esm::simulation sim;
  kstream s{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "process"}};
  esm::s3_bucket bucket{sim, "failures"};
  s.put("k", "a");
  bool refuse = false;
  esm::stream_poller poller{s,
                            fn,
                            [](const kbatch&) { throw std::runtime_error("poison"); },
                            esm::starting_position::trim_horizon(),
                            esm::stream_retry{.max_attempts = 0},
                            esm::on_failure_bucket{bucket, [&](const esm::stream_failure_record& r) {
                                                     if (refuse) throw std::runtime_error("access denied");
                                                     return r.batch_info.start_sequence_number;
                                                   }}};
  sim.run_until_idle();
  REQUIRE(bucket.size() == 1);
  CHECK(bucket.get(bucket.list()[0].key)->body == s.shard_at(0).at(0).sequence_number());
  refuse = true;
  s.put("k", "b");
  sim.run_until_idle();
  CHECK(bucket.size() == 1);
  CHECK(poller.metrics().destination_delivery_failures == 1);
  CHECK(poller.metrics().dropped_event_count == 1);
  CHECK(poller.metrics().on_failure_destination_delivered_event_count == 1);
}
