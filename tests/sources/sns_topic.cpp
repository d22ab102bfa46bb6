// Tests of esm/sources/sns_topic.hpp: an in-model SNS topic (spec §2.6): publish, fan-out to
// SQS queues (Notification envelope or raw delivery) and to callables, limits, FIFO topics, and
// as the on-failure destination of a stream mapping.
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sns_topic.hpp>
#include <esm/sources/sqs_fifo_queue.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "support/errors.hpp"

using namespace std::chrono_literals;
using squeue = esm::sqs_queue<std::string>;

TEST_CASE("§2.6 an SQS subscriber receives the SNS Notification envelope with the message as Message",
          "[sources][sns_topic][spec-2.6]") {
  esm::simulation sim;
  esm::sns_topic t{sim, "alerts"};
  squeue q{sim, "inbox"};
  t.subscribe(q);
  sim.advance_to(esm::time_point{} + 1500ms);
  const std::string id = t.publish("disk \"full\"", {.subject = "ops", .attributes = {{"level", "String", "high"}}});
  REQUIRE(q.size() == 1);
  const auto m = q.receive(1);
  REQUIRE(m.size() == 1);
  CHECK(
      m[0].body ==
      R"({"Type":"Notification","MessageId":")" + id +
          R"(","TopicArn":"arn:aws:sns:us-east-1:123456789012:alerts","Subject":"ops","Message":"disk \"full\"",)"
          R"("Timestamp":"2026-01-01T00:00:01.500Z","SignatureVersion":"1","Signature":"RVNNLVNJTVVMQVRFRC1TSUdOQVRVUkU=",)"
          R"("SigningCertURL":"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-esm.pem",)"
          R"("UnsubscribeURL":"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=)"
          R"(arn:aws:sns:us-east-1:123456789012:alerts:)" +
          m[0].body.substr(m[0].body.find(":alerts:") + 8, 36) +
          R"(","MessageAttributes":{"level":{"Type":"String","Value":"high"}}})");
  CHECK(id.size() == 36);
  CHECK(t.published() == 1);
}

TEST_CASE("§2.6 raw message delivery sends the message itself, its attributes as SQS message attributes",
          "[sources][sns_topic][spec-2.6]") {
  esm::simulation sim;
  esm::sns_topic t{sim, "alerts"};
  squeue raw{sim, "raw"};
  squeue wrapped{sim, "wrapped"};
  t.subscribe(raw, {.raw_message_delivery = true});
  t.subscribe(wrapped);
  std::vector<std::string> seen;
  const auto sub = t.subscribe([&](const esm::sns_notification& n) { seen.emplace_back(n.message); });
  t.publish("m1", {.attributes = {{"b", "Binary", std::string("\x00\xff", 2)}}});
  const auto r = raw.receive(1);
  REQUIRE(r.size() == 1);
  CHECK(r[0].body == "m1");
  CHECK(r[0].attributes == std::vector<esm::message_attribute>{{"b", "Binary", std::string("\x00\xff", 2)}});
  const auto w = wrapped.receive(1);
  REQUIRE(w.size() == 1);
  CHECK(w[0].body.find(R"("MessageAttributes":{"b":{"Type":"Binary","Value":"AP8="}})") != std::string::npos);
  CHECK(w[0].body.find(R"("Subject")") == std::string::npos); // no subject: no key
  CHECK(seen == std::vector<std::string>{"m1"});
  CHECK(t.unsubscribe(sub));
  CHECK_FALSE(t.unsubscribe(sub));
  t.publish("m2");
  CHECK(seen.size() == 1);
  CHECK(t.subscription_count() == 2);
}

TEST_CASE("§2.6 SNS limits: 256 KiB per message, names, FIFO topics need a group id and FIFO queues a FIFO topic",
          "[sources][sns_topic][spec-2.6]") {
  esm::simulation sim;
  esm::sns_topic t{sim, "alerts"};
  CHECK_NOTHROW(t.publish(std::string(esm::sns_topic::max_message_bytes, 'x')));
  CHECK_THROWS_AS(t.publish(std::string(esm::sns_topic::max_message_bytes + 1, 'x')), esm::input_error);
  CHECK_THROWS_AS(t.publish("m", {.subject = std::string(101, 's')}), esm::input_error);
  CHECK(esm_test::config_error_of([&] {
          esm::sns_topic bad{sim, "bad name"};
        }) == "name must be 1-256 characters of [a-zA-Z0-9_-] for sns topic, got 'bad name'");
  CHECK_THROWS_AS(esm::sns_topic(sim, esm::sns_topic_config{.name = "orders", .fifo = true}), esm::config_error);
  esm::sns_topic f{sim, esm::sns_topic_config{.name = "orders.fifo", .fifo = true}};
  CHECK(f.fifo());
  CHECK_THROWS_AS(f.publish("m"), esm::input_error);
  esm::sqs_fifo_queue<std::string> fq{sim, {.name = "orders.fifo"}};
  CHECK_THROWS_AS(t.subscribe(fq), esm::config_error);
  f.subscribe(fq);
  f.publish("a", {.group_id = "g"});
  f.publish("a", {.group_id = "g", .deduplication_id = "d"});
  f.publish("a", {.group_id = "g", .deduplication_id = "d"}); // deduplicated by the queue
  CHECK(fq.size() == 2);
}

TEST_CASE("message ids are seeded: the same for a seed, different across seeds", "[sources][sns_topic]") {
  auto ids = [](std::uint64_t seed) {
    esm::simulation sim{{.seed = seed}};
    esm::sns_topic t{sim, "t"};
    return std::vector<std::string>{t.publish("a"), t.publish("b")};
  };
  CHECK(ids(1) == ids(1));
  CHECK(ids(1) != ids(2));
  CHECK(ids(1)[0] != ids(1)[1]);
}

TEST_CASE("§2.6 an SNS topic as a stream mapping's on-failure destination; a FIFO topic fails every delivery",
          "[sources][sns_topic][pollers][spec-2.6]") {
  using kstream = esm::kinesis_stream<std::string>;
  for (const bool fifo : {false, true}) {
    INFO("FIFO topic " << fifo);
    esm::simulation sim;
    kstream s{sim, {}};
    esm::function fn{sim, {.name = "f"}};
    esm::sns_topic topic{sim, esm::sns_topic_config{.name = fifo ? "failures.fifo" : "failures", .fifo = fifo}};
    std::vector<std::string> got;
    topic.subscribe([&](const esm::sns_notification& n) { got.emplace_back(n.message); });
    s.put("k", "poison");
    esm::stream_poller p{s,
                         fn,
                         [](const esm::stream_batch<kstream::record_type>&) { throw std::runtime_error("x"); },
                         esm::starting_position::trim_horizon(),
                         esm::stream_retry{.max_attempts = 0},
                         esm::on_failure_topic{topic, [](const esm::stream_failure_record& r) {
                                                 return r.batch_info.start_sequence_number;
                                               }}};
    sim.run_until_idle();
    if (fifo) {
      CHECK(got.empty());
      CHECK(p.metrics().destination_delivery_failures == 1);
      CHECK(p.metrics().dropped_event_count == 1);
    } else {
      CHECK(got == std::vector<std::string>{s.shard_at(0).at(0).sequence_number()});
      CHECK(p.metrics().on_failure_destination_delivered_event_count == 1);
    }
  }
}
