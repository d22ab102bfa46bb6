// Tests of esm/sources/detail/basic_stream.hpp through both streams built on it (Kinesis and
// DynamoDB): shard ids and lookup, listeners, readers holding records under until_consumed
// retention, and retention counted in each stream's metrics. Spec: aws-esm-semantics.md §2.8
// (shard lineage, retention), §8 (shard ids).
#include <esm/sources/dynamodb_stream.hpp>
#include <esm/sources/kinesis_stream.hpp>

#include <string>
#include <utility>
#include <vector>

#include "support/catch.hpp"
#include "support/errors.hpp"

using namespace std::chrono_literals;

namespace {

struct kinesis {
  using stream = esm::kinesis_stream<std::string>;
  static stream make(esm::simulation& sim, esm::retention r) { return stream{sim, {.name = "s", .retention = r}}; }
  static void write(stream& s, const std::string& v) { s.put("k", v); }
  static void close_first(stream& s) { (void)s.split_shard(s.shard_at(0).id()); }
  static std::uint64_t expired(const stream& s) { return s.metrics().records_expired; }
  static constexpr const char* type = "kinesis_stream 's'";
};

struct dynamodb {
  using stream = esm::dynamodb_stream<std::string>;
  static stream make(esm::simulation& sim, esm::retention r) { return stream{sim, {.name = "sss", .retention = r}}; }
  static void write(stream& s, const std::string& v) { s.insert({"k"}, v); }
  static void close_first(stream& s) { s.roll_over(); }
  static std::uint64_t expired(const stream& s) { return s.metrics().records_expired; }
  static constexpr const char* type = "dynamodb_stream 'sss'";
};

struct recorder final : esm::stream_listener {
  std::vector<std::pair<char, std::uint32_t>> events; // ('r', shard) for records, ('c', shard) for closed
  void on_records(std::uint32_t s) override { events.emplace_back('r', s); }
  void on_shard_closed(std::uint32_t s) override { events.emplace_back('c', s); }
};

} // namespace

TEMPLATE_TEST_CASE("shard ids are shardId- and 12 digits; anything else is an unknown shard (§8)",
                   "[sources][basic_stream][spec-8]", kinesis, dynamodb) {
  esm::simulation sim;
  auto s = TestType::make(sim, esm::retention::period(24h));
  CHECK(s.shard_at(0).id() == "shardId-000000000000");
  CHECK(&s.shard("shardId-000000000000") == &s.shard_at(0));
  for (const std::string bad : {"shardId-000000000001", "shardId-00000000000x", "shardId-0", "shardid-000000000000", ""}) {
    CHECK(esm_test::error_of([&] { (void)s.shard(bad); }) ==
          std::string{TestType::type} + ": unknown shard id '" + bad + "'");
  }
}

TEMPLATE_TEST_CASE("listeners hear of records and closed shards until removed (§2.8)",
                   "[sources][basic_stream][spec-2.8]", kinesis, dynamodb) {
  esm::simulation sim;
  auto s = TestType::make(sim, esm::retention::period(24h));
  recorder r;
  s.add_listener(&r);
  TestType::write(s, "a");
  TestType::close_first(s);
  CHECK(r.events == std::vector<std::pair<char, std::uint32_t>>{{'r', 0}, {'c', 0}});
  CHECK(s.shard_at(0).closed());
  CHECK(s.shard_count() >= 2);
  s.remove_listener(&r);
  TestType::write(s, "b");
  CHECK(r.events.size() == 2);
}

TEMPLATE_TEST_CASE("until_consumed: records go once every active reader checkpointed past them (§2.8)",
                   "[sources][basic_stream][spec-2.8]", kinesis, dynamodb) {
  esm::simulation sim;
  auto s = TestType::make(sim, esm::retention::until_consumed());
  const auto a = s.register_reader();
  const auto b = s.register_reader();
  for (const char* v : {"1", "2", "3"}) TestType::write(s, v);
  s.checkpoint(a, 0, 3);
  CHECK(s.shard_at(0).begin_position() == 0); // b holds them
  s.checkpoint(b, 0, 2);
  CHECK(s.shard_at(0).begin_position() == 2);
  CHECK(TestType::expired(s) == 2);
  s.unregister_reader(b); // only a's checkpoint counts now
  s.trim(s.shard_at(0));
  CHECK(s.shard_at(0).begin_position() == 3);
  CHECK(TestType::expired(s) == 3);
}

TEMPLATE_TEST_CASE("a retention period trims records older than it, counted in records_expired (§2.8)",
                   "[sources][basic_stream][spec-2.8]", kinesis, dynamodb) {
  esm::simulation sim;
  auto s = TestType::make(sim, esm::retention::period(24h));
  TestType::write(s, "old");
  sim.run_until(esm::time_point{} + 24h + 1s);
  s.trim(s.shard_at(0));
  CHECK(s.shard_at(0).begin_position() == 1);
  CHECK(TestType::expired(s) == 1);
}

TEMPLATE_TEST_CASE("a closed shard's records expire with the retention period though nobody reads it or writes to it "
                   "any more (§2.8)",
                   "[sources][basic_stream][spec-2.8]", kinesis, dynamodb) {
  esm::simulation sim;
  auto s = TestType::make(sim, esm::retention::period(24h));
  TestType::write(s, "a");
  TestType::write(s, "b");
  TestType::close_first(s);
  REQUIRE(s.shard_count() > 1);
  REQUIRE(s.shard_at(0).closed());
  sim.run_until(esm::time_point{} + 24h - 1s);
  TestType::write(s, "c"); // into an open child: the closed shard keeps its records until 24 h
  CHECK(s.shard_at(0).begin_position() == 0);
  CHECK(TestType::expired(s) == 0);
  sim.run_until(esm::time_point{} + 25h);
  TestType::write(s, "d"); // the first write of a later hour sweeps every shard
  CHECK(s.shard_at(0).begin_position() == s.shard_at(0).end_position());
  CHECK(TestType::expired(s) == 2);
}
