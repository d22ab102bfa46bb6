// Tests of esm/testing/rigs.hpp: each rig is a working setup in one line — a queue with its
// DLQ (spec §3.4), a FIFO queue (§3.6), a Kinesis stream with n shards and a DynamoDB stream
// (§2.1, §2.6) — with its recorder, and for streams the discard log as the default destination.
#include <esm/testing/rigs.hpp>
#include <esm/testing/scripted.hpp>

#include <string>

#include "support/catch.hpp"

using namespace std::chrono_literals;
namespace et = esm::testing;

TEST_CASE("queue_rig: a queue and its DLQ; a poison message is received maxReceiveCount times, then moved (§3.4)",
          "[testing][rigs][spec-3.4]") {
  et::queue_rig<> rig{{.visibility_timeout = 10s, .max_receive_count = 3}};
  const auto id = rig.queue.send("bad").message_id.str();
  rig.queue.send("good");
  auto& p =
      rig.map(et::poison([](const auto& m) { return m.body == "bad"; }, [](const et::queue_rig<>::batch_type&) {}),
              esm::batching{.batch_size = 1});
  rig.run();
  CHECK(rig.rec.deliveries(id) == 3);
  CHECK(rig.dlq.size() == 1);
  CHECK(rig.queue.size() == 0);
  CHECK(p.metrics().deleted_event_count == 1);
  const auto report = rig.check();
  INFO(report);
  CHECK(report.ok());
}

TEST_CASE("fifo_rig: groups in order, content-based deduplication by default (§3.6)", "[testing][rigs][spec-3.6]") {
  et::fifo_rig<> rig;
  CHECK(rig.queue.name() == "queue.fifo");
  CHECK(rig.dlq.name() == "queue-dlq.fifo");
  rig.queue.send("a", {.group_id = "g"});
  rig.queue.send("a", {.group_id = "g"}); // deduplicated
  rig.queue.send("b", {.group_id = "g"});
  rig.map([](const et::fifo_rig<>::batch_type&) {});
  rig.run();
  CHECK(rig.rec.order_of("g").size() == 2);
  CHECK(rig.queue.metrics().deduplicated == 1);
}

TEST_CASE("stream_rig: n shards, TRIM_HORIZON and the discard log unless given (§2.1, §2.6)",
          "[testing][rigs][spec-2.6]") {
  et::stream_rig<esm::kinesis_stream<std::string>> rig{{.shards = 4}};
  CHECK(rig.stream.shard_count() == 4);
  for (int i = 0; i < 20; ++i) rig.stream.put("k" + std::to_string(i), i == 7 ? "bad" : "ok");
  auto& p = rig.map(et::poison([](const auto& r) { return r.data == "bad"; },
                               [](const et::stream_rig<esm::kinesis_stream<std::string>>::batch_type&) {}),
                    esm::stream_retry{.max_attempts = 1, .bisect_on_error = true});
  rig.run();
  REQUIRE(rig.discards.records() == 1);
  CHECK(rig.discards.batches()[0].items[0].key == "k7");
  CHECK(p.metrics().processed_event_count == 19);
  CHECK(rig.rec.distinct_items() == 20);

  SECTION("a starting position and a destination given are used instead") {
    et::stream_rig<esm::kinesis_stream<std::string>> r2;
    r2.stream.put("k", "before");
    int sent = 0;
    auto& p2 =
        r2.map([](const et::stream_rig<esm::kinesis_stream<std::string>>::batch_type&) {},
               esm::starting_position::latest(), esm::on_failure{[&](const esm::stream_failure_record&) { ++sent; }});
    r2.run();
    CHECK(r2.rec.size() == 0); // LATEST: the record put before the mapping is not read
    CHECK(p2.metrics().polled_event_count == 0);
    CHECK(sent == 0);
  }
}

TEST_CASE("stream_rig on DynamoDB: partitions, the recorder keyed by item", "[testing][rigs][spec-2.1]") {
  et::stream_rig<esm::dynamodb_stream<std::string>> rig{{.shards = 2}};
  rig.stream.insert({"a"}, "1");
  rig.stream.modify({"a"}, "1", "2");
  rig.stream.insert({"b"}, "1");
  rig.map([](const et::stream_rig<esm::dynamodb_stream<std::string>>::batch_type&) {});
  rig.run();
  CHECK(rig.rec.distinct_items() == 3);
  CHECK(rig.discards.records() == 0);
}

TEST_CASE("rigs reject settings outside AWS's range with config_error", "[testing][rigs]") {
  CHECK_THROWS_AS(et::queue_rig<>({.max_receive_count = 1001}), esm::config_error);
  CHECK_THROWS_AS(et::stream_rig<esm::kinesis_stream<std::string>>({.shards = 0}), esm::config_error);
}
