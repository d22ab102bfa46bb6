// Tests of esm/sources/kinesis_stream.hpp (with esm/sources/shard.hpp, stream_record.hpp and
// sources/retention.hpp): routing, sequence numbers, resharding, retention, iterators, limits.
// Spec: aws-esm-semantics.md §8 (Kinesis stream limits), §2.8 (resharding, retention).
#include <esm/sources/kinesis_stream.hpp>

#include <set>
#include <string>

#include "support/catch.hpp"
#include "support/errors.hpp"

using namespace std::chrono_literals;
using stream = esm::kinesis_stream<std::string>;

TEST_CASE("stream config: shard_count in [1, 100000], retention in [24h, 8760h], name", "[sources][kinesis][config]") {
  esm::simulation sim;
  CHECK_NOTHROW(stream(sim, {.name = "a", .shard_count = 1}));
  CHECK_NOTHROW(stream(sim, {.name = "b", .shard_count = 100'000}));
  CHECK(esm_test::error_of([&] { stream(sim, {.name = "c", .shard_count = 0}); }) ==
        "shard_count must be in [1, 100000] for kinesis_stream 'c', got 0");
  CHECK_THROWS_AS(stream(sim, {.name = "d", .shard_count = 100'001}), esm::config_error);
  CHECK_NOTHROW(stream(sim, {.name = "e", .retention = esm::retention::period(24h)}));
  CHECK_NOTHROW(stream(sim, {.name = "f", .retention = esm::retention::period(8760h)}));
  CHECK(esm_test::error_of([&] { stream(sim, {.name = "g", .retention = esm::retention::period(24h - 1ns)}); }) ==
        "retention must be in [86400s, 31536000s] for kinesis_stream 'g', got 86399999999999ns");
  CHECK_THROWS_AS(stream(sim, {.name = "h", .retention = esm::retention::period(8760h + 1s)}), esm::config_error);
  CHECK_NOTHROW(stream(sim, {.name = "i", .retention = esm::retention::until_consumed()}));
  CHECK_NOTHROW(stream(sim, {.name = std::string(128, 'n')}));
  CHECK_THROWS_AS(stream(sim, {.name = std::string(129, 'n')}), esm::config_error);
  CHECK_THROWS_AS(stream(sim, {.name = ""}), esm::config_error);
  CHECK_THROWS_AS(stream(sim, {.name = "bad name"}), esm::config_error);
}

TEST_CASE("initial shards split the hash-key space evenly and cover it (§8)", "[sources][kinesis][spec-8]") {
  esm::simulation sim;
  stream s{sim, {.shard_count = 3}};
  REQUIRE(s.shard_count() == 3);
  CHECK(s.shard_at(0).id() == "shardId-000000000000");
  CHECK(s.shard_at(2).id() == "shardId-000000000002");
  CHECK(s.shard_at(0).range().starting == esm::hash_key::min());
  CHECK(s.shard_at(2).range().ending == esm::hash_key::max());
  for (std::uint32_t i = 0; i + 1 < 3; ++i) CHECK(s.shard_at(i).range().ending.next() == s.shard_at(i + 1).range().starting);
  CHECK(s.shard_at(1).range().starting.to_string() == "113427455640312821154458202477256070485");
}

TEST_CASE("a partition key always goes to the shard whose range holds its MD5 (§8)", "[sources][kinesis][spec-8]") {
  esm::simulation sim;
  stream s{sim, {.shard_count = 4}};
  for (int i = 0; i < 200; ++i) {
    const std::string key = "key-" + std::to_string(i);
    const auto r = s.put(key, "x");
    CHECK(s.shard_at(r.shard_ordinal).range().contains(esm::hash_key::of_partition_key(key)));
    CHECK(s.put(key, "y").shard_ordinal == r.shard_ordinal);
  }
  std::set<std::uint32_t> used;
  for (std::uint32_t i = 0; i < 4; ++i)
    if (s.shard_at(i).size() > 0) used.insert(i);
  CHECK(used.size() == 4);
}

TEST_CASE("an explicit hash key overrides the partition key's hash (§8)", "[sources][kinesis][spec-8]") {
  esm::simulation sim;
  stream s{sim, {.shard_count = 2}};
  CHECK(s.put("k", "a", "0").shard_ordinal == 0);
  CHECK(s.put("k", "b", "340282366920938463463374607431768211455").shard_ordinal == 1);
  CHECK(esm_test::error_of([&] { s.put("k", "c", "not-a-number"); }) ==
        "kinesis_stream 'stream': explicit hash key must be a decimal integer in [0, 2^128 - 1], got 'not-a-number'");
  CHECK_THROWS_AS(s.put("k", "c", "340282366920938463463374607431768211456"), esm::input_error);
}

TEST_CASE("sequence numbers increase per shard and render as 56 decimal digits (§8)", "[sources][kinesis][spec-8]") {
  esm::simulation sim;
  stream s{sim, {.shard_count = 1}};
  const auto a = s.put("k", "a");
  sim.advance_to(esm::time_point{} + 1500ms);
  const auto b = s.put("k", "b");
  CHECK(b.sequence > a.sequence);
  const auto& rec = s.shard_at(0).at(1);
  CHECK(rec.sequence == b.sequence);
  CHECK(rec.arrival == esm::time_point{} + 1500ms);
  CHECK(rec.partition_key == "k");
  CHECK(rec.data == "b");
  const std::string text = rec.sequence_number();
  CHECK(text.size() == 56);
  CHECK(text.starts_with("49"));
  CHECK(esm::parse_kinesis_sequence_number(text) == b.sequence);
  CHECK_FALSE(esm::parse_kinesis_sequence_number("49").has_value());
  CHECK_FALSE(esm::parse_kinesis_sequence_number(std::string(56, '9')).has_value());
}

TEST_CASE("bad records are rejected with a clear message (§8)", "[sources][kinesis][spec-8]") {
  esm::simulation sim;
  stream s{sim, {}};
  CHECK(esm_test::error_of([&] { s.put("", "x"); }) == "kinesis_stream 'stream': partition key must be 1-256 characters, got 0");
  CHECK_NOTHROW(s.put(std::string(256, 'k'), "x"));
  CHECK_THROWS_AS(s.put(std::string(257, 'k'), "x"), esm::input_error);
  CHECK_NOTHROW(s.put("k", std::string(1'048'576, 'd')));
  CHECK(esm_test::error_of([&] { s.put("k", std::string(1'048'577, 'd')); }) ==
        "kinesis_stream 'stream': record data must be at most 1048576 bytes (1 MiB), got 1048577");
  CHECK(esm_test::error_of([&] { (void)s.shard("shardId-000000000009"); }) ==
        "kinesis_stream 'stream': unknown shard id 'shardId-000000000009'");
  CHECK(s.metrics().records_put == 2);
}

TEST_CASE("split_shard: two children take the halves; the parent closes and stays readable (§8, §2.8)",
          "[sources][kinesis][spec-8][spec-2.8]") {
  esm::simulation sim;
  stream s{sim, {.shard_count = 1}};
  s.put("before", "1");
  const auto [a, b] = s.split_shard("shardId-000000000000");
  const auto& parent = s.shard_at(0);
  CHECK(parent.closed());
  CHECK(parent.children() == std::vector<std::uint32_t>{a, b});
  CHECK(s.shard_at(a).parents() == std::vector<std::uint32_t>{0});
  CHECK(s.shard_at(a).range().starting == esm::hash_key::min());
  CHECK(s.shard_at(a).range().ending.next() == s.shard_at(b).range().starting);
  CHECK(s.shard_at(b).range().ending == esm::hash_key::max());
  CHECK(s.open_shards() == std::vector<std::uint32_t>{a, b});
  // New records go to the children; the parent's record is still readable.
  const auto r = s.put("after", "2");
  CHECK(r.shard_ordinal != 0);
  auto it = s.iterator_at("shardId-000000000000", esm::starting_position::trim_horizon());
  const auto got = it.next();
  REQUIRE(got.size() == 1);
  CHECK(got[0]->data == "1");
  CHECK(it.at_end());
  CHECK_THROWS_AS(s.split_shard("shardId-000000000000"), esm::input_error); // closed
  CHECK_THROWS_AS(s.split_shard(s.shard_at(a).id(), esm::hash_key::min()), esm::input_error); // not inside
}

TEST_CASE("merge_shards: adjacent shards merge into one child with both as parents (§8)", "[sources][kinesis][spec-8]") {
  esm::simulation sim;
  stream s{sim, {.shard_count = 3}};
  CHECK_THROWS_AS(s.merge_shards("shardId-000000000000", "shardId-000000000002"), esm::input_error); // not adjacent
  const auto child = s.merge_shards("shardId-000000000001", "shardId-000000000000");
  CHECK(s.shard_at(child).parents() == std::vector<std::uint32_t>{1, 0});
  CHECK(s.shard_at(child).range().starting == esm::hash_key::min());
  CHECK(s.shard_at(child).range().ending == s.shard_at(1).range().ending);
  CHECK(s.shard_at(0).closed());
  CHECK(s.shard_at(1).closed());
  CHECK(s.open_shards() == std::vector<std::uint32_t>{child, 2});
  CHECK_THROWS_AS(s.merge_shards(s.shard_at(child).id(), s.shard_at(child).id()), esm::input_error);
}

TEST_CASE("iterators read from every starting position", "[sources][kinesis][iterator]") {
  esm::simulation sim;
  stream s{sim, {}};
  std::vector<std::uint64_t> seqs;
  for (int i = 0; i < 5; ++i) {
    seqs.push_back(s.put("k", std::to_string(i)).sequence);
    sim.run_for(1s);
  }
  auto read_all = [&](esm::starting_position p) {
    auto it = s.iterator_at("shardId-000000000000", p);
    std::string out;
    for (const auto* r : it.next()) out += r->data;
    return out;
  };
  CHECK(read_all(esm::starting_position::trim_horizon()) == "01234");
  CHECK(read_all(esm::starting_position::latest()).empty());
  CHECK(read_all(esm::starting_position::at_timestamp(esm::time_point{} + 2s)) == "234");
  CHECK(read_all(esm::starting_position::at_timestamp(esm::time_point{} + 1500ms)) == "234");
  CHECK(read_all(esm::starting_position::at_sequence_number(seqs[3])) == "34");
  CHECK(read_all(esm::starting_position::after_sequence_number(seqs[3])) == "4");
  auto latest = s.iterator_at("shardId-000000000000", esm::starting_position::latest());
  s.put("k", "5");
  const auto fresh = latest.next();
  REQUIRE(fresh.size() == 1);
  CHECK(fresh[0]->data == "5");
  auto limited = s.iterator_at("shardId-000000000000", esm::starting_position::trim_horizon());
  CHECK(limited.next(2).size() == 2);
  CHECK(limited.next(100).size() == 4);
  CHECK_FALSE(limited.at_end()); // an open shard never ends
}

TEST_CASE("retention trims records older than the period (§2.8)", "[sources][kinesis][retention][spec-2.8]") {
  esm::simulation sim;
  stream s{sim, {.retention = esm::retention::period(24h)}};
  s.put("k", "old");
  sim.advance_to(esm::time_point{} + 12h);
  s.put("k", "mid");
  sim.advance_to(esm::time_point{} + 24h); // "old" is exactly 24 h old: kept
  auto it = s.iterator_at("shardId-000000000000", esm::starting_position::trim_horizon());
  CHECK(it.next().size() == 2);
  sim.advance_to(esm::time_point{} + 24h + 1ns);
  auto again = s.iterator_at("shardId-000000000000", esm::starting_position::trim_horizon());
  const auto left = again.next();
  REQUIRE(left.size() == 1);
  CHECK(left[0]->data == "mid");
  CHECK(s.metrics().records_expired == 1);
  CHECK(s.shard_at(0).trimmed() == 1);
}

TEST_CASE("an iterator overtaken by retention resumes at the oldest retained record", "[sources][kinesis][retention]") {
  esm::simulation sim;
  stream s{sim, {}};
  s.put("k", "a");
  auto it = s.iterator_at("shardId-000000000000", esm::starting_position::trim_horizon());
  sim.advance_to(esm::time_point{} + 25h);
  s.put("k", "b");
  const auto got = it.next();
  REQUIRE(got.size() == 1);
  CHECK(got[0]->data == "b");
}

TEST_CASE("until_consumed drops records once every registered reader is past them", "[sources][kinesis][retention]") {
  esm::simulation sim;
  stream s{sim, {.retention = esm::retention::until_consumed()}};
  for (int i = 0; i < 10; ++i) s.put("k", std::to_string(i));
  s.trim(s.shard_at(0));
  CHECK(s.shard_at(0).size() == 10); // nobody registered: nothing is consumed
  const auto r1 = s.register_reader();
  const auto r2 = s.register_reader();
  s.checkpoint(r1, 0, 6);
  CHECK(s.shard_at(0).size() == 10); // r2 has not read anything
  s.checkpoint(r2, 0, 4);
  CHECK(s.shard_at(0).begin_position() == 4);
  s.unregister_reader(r2);
  s.trim(s.shard_at(0));
  CHECK(s.shard_at(0).begin_position() == 6);
  CHECK(s.metrics().records_expired == 6);
  sim.advance_to(esm::time_point{} + 1000h); // time alone never trims in this mode
  s.trim(s.shard_at(0));
  CHECK(s.shard_at(0).size() == 4);
}

TEST_CASE("write limits: 1,000 records/s and 1 MiB/s per shard when modelled (§8)", "[sources][kinesis][spec-8]") {
  esm::simulation sim;
  stream limited{sim, {.name = "limited", .write_limits = true}};
  for (int i = 0; i < 1000; ++i) limited.put("k", "x");
  CHECK_THROWS_AS(limited.put("k", "x"), esm::throughput_exceeded);
  sim.advance_to(esm::time_point{} + 1s);
  CHECK_NOTHROW(limited.put("k", "x"));
  CHECK_NOTHROW(limited.put("k", std::string(1'048'575, 'b')));
  CHECK_THROWS_WITH(limited.put("k", "xx"), Catch::Contains("ProvisionedThroughputExceededException"));
  CHECK(limited.metrics().throughput_exceeded == 2);
  CHECK(limited.metrics().records_put == 1002);

  stream unlimited{sim, {.name = "unlimited"}};
  for (int i = 0; i < 5000; ++i) unlimited.put("k", "x");
  CHECK(unlimited.metrics().records_put == 5000);
}

TEST_CASE("payload_traits counts bytes of byte containers and sizeof otherwise", "[sources][kinesis]") {
  struct pod {
    int a[4];
  };
  struct sized {
    std::size_t payload_bytes() const { return 99; }
  };
  CHECK(esm::payload_traits<std::string>::size(std::string(10, 'x')) == 10);
  CHECK(esm::payload_traits<std::vector<std::byte>>::size(std::vector<std::byte>(7)) == 7);
  CHECK(esm::payload_traits<pod>::size(pod{}) == sizeof(pod));
  CHECK(esm::payload_traits<sized>::size(sized{}) == 99);
  CHECK(esm::payload_traits<std::vector<int>>::size(std::vector<int>(3)) == sizeof(std::vector<int>));
}

TEST_CASE("routing stays exact through the key memo: many keys, long keys, resharding (§8)",
          "[sources][kinesis][spec-8]") {
  esm::simulation sim;
  stream s{sim, {.shard_count = 7}};
  auto check_all = [&](int n, const std::string& prefix) {
    for (int i = 0; i < n; ++i) {
      const std::string key = prefix + std::to_string(i);
      const auto r = s.put(key, "x");
      REQUIRE(s.shard_at(r.shard_ordinal).range().contains(esm::hash_key::of_partition_key(key)));
      REQUIRE_FALSE(s.shard_at(r.shard_ordinal).closed());
    }
  };
  check_all(20'000, "k");                              // the memo grows several times
  check_all(20'000, "k");                              // and answers from memory
  check_all(500, std::string(40, 'L'));                // keys too long to memoize
  check_all(500, "exactly-24-characters---");          // 24 + digits: some memoized, some not
  s.split_shard(s.shard_at(3).id());                   // routes change: the memo is dropped
  check_all(20'000, "k");
}
