// Tests of esm/sources/dynamodb_stream.hpp, alone and read by esm::stream_poller: config ranges,
// view types, event names, item-key routing, sequence numbers, shard roll-over and lineage,
// retention, iterators. Spec: aws-esm-semantics.md §8 (DynamoDB Streams limits), §2.1 (polling,
// order per item), §2.8 (lineage, 24 h retention), §4.2 (record fields), §4.6 (OnFailure record).
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/dynamodb_stream.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/alloc_counter.hpp"
#include "support/catch.hpp"
#include "support/errors.hpp"

using namespace std::chrono_literals;
using esm::time_point;
using dstream = esm::dynamodb_stream<std::string>;
using dbatch = esm::stream_batch<dstream::record_type>;

namespace {

time_point at(esm::duration d) { return time_point{} + d; }

/// What a handler saw: one entry per invocation.
struct invocation {
  time_point time;
  std::string shard;
  std::vector<std::string> images; // new image, else old image
  int attempt;
};

struct journal {
  std::vector<invocation> calls;
  std::vector<esm::stream_failure_record> failures;

  void record(const dbatch& b, esm::invocation_context& ctx) {
    invocation inv{ctx.start_time(), b.shard_id(), {}, ctx.attempt()};
    for (const auto& r : b) inv.images.push_back(r.new_image ? *r.new_image : r.old_image.value_or(""));
    calls.push_back(std::move(inv));
  }
  std::vector<std::string> all_images() const {
    std::vector<std::string> out;
    for (const auto& c : calls) out.insert(out.end(), c.images.begin(), c.images.end());
    return out;
  }
  auto destination() {
    return esm::on_failure{[this](const esm::stream_failure_record& r) { failures.push_back(r); }};
  }
};

} // namespace

// --- the stream alone -------------------------------------------------------------------------

TEST_CASE("dynamodb stream config: every knob at both ends and one step outside (§8, §2.8)",
          "[sources][dynamodb][config][spec-8][spec-2.8]") {
  esm::simulation sim;
  // TableName: 3-255 characters of [a-zA-Z0-9_.-].
  CHECK_NOTHROW(dstream(sim, {.name = "abc"}));
  CHECK_NOTHROW(dstream(sim, {.name = std::string(255, 't')}));
  CHECK_NOTHROW(dstream(sim, {.name = "My_Table.v2-x"}));
  CHECK(esm_test::error_of([&] { dstream(sim, {.name = "ab"}); }) ==
        "name must be 3-255 characters of [a-zA-Z0-9_.-] for dynamodb_stream, got 'ab'");
  CHECK_THROWS_AS(dstream(sim, {.name = std::string(256, 't')}), esm::config_error);
  CHECK_THROWS_AS(dstream(sim, {.name = "bad name"}), esm::config_error);
  CHECK_THROWS_AS(dstream(sim, {.name = "tab/le"}), esm::config_error);
  // partitions: [1, 1000].
  CHECK_NOTHROW(dstream(sim, {.partitions = 1}));
  CHECK_NOTHROW(dstream(sim, {.partitions = 1000}));
  CHECK(esm_test::error_of([&] { dstream(sim, {.partitions = 0}); }) ==
        "partitions must be in [1, 1000] for dynamodb_stream 'table', got 0");
  CHECK_THROWS_AS(dstream(sim, {.partitions = 1001}), esm::config_error);
  // rollover: [1 min, 24 h].
  CHECK_NOTHROW(dstream(sim, {.rollover = 1min}));
  CHECK_NOTHROW(dstream(sim, {.rollover = 24h}));
  CHECK(esm_test::error_of([&] { dstream(sim, {.rollover = 59s}); }) ==
        "rollover must be in [60s, 86400s] for dynamodb_stream 'table', got 59s");
  CHECK_THROWS_AS(dstream(sim, {.rollover = 1min - 1ns}), esm::config_error);
  CHECK_THROWS_AS(dstream(sim, {.rollover = 24h + 1ns}), esm::config_error);
  // retention: 24 h fixed, or until_consumed.
  CHECK_NOTHROW(dstream(sim, {.retention = esm::retention::period(24h)}));
  CHECK_NOTHROW(dstream(sim, {.retention = esm::retention::until_consumed()}));
  CHECK(esm_test::error_of([&] { dstream(sim, {.retention = esm::retention::period(48h)}); }) ==
        "retention must be 86400s (24 h, fixed by DynamoDB Streams) or until_consumed() for dynamodb_stream 'table', "
        "got 172800s");
  CHECK_THROWS_AS(dstream(sim, {.retention = esm::retention::period(24h - 1ns)}), esm::config_error);
  CHECK_THROWS_AS(dstream(sim, {.retention = esm::retention::period(24h + 1ns)}), esm::config_error);
  // view_type: the four enumerators only.
  CHECK_THROWS_AS(dstream(sim, {.view_type = static_cast<esm::stream_view_type>(4)}), esm::config_error);
  // key_schema: attribute names of 1-255 bytes, types S, N or B.
  CHECK_NOTHROW(dstream(sim, {.key_schema = {.partition_key = "Id", .partition_key_type = esm::key_attribute_type::number}}));
  CHECK_NOTHROW(dstream(sim, {.key_schema = {.partition_key = std::string(255, 'k'), .sort_key = "s"}}));
  CHECK(esm_test::error_of([&] { dstream(sim, {.key_schema = {.partition_key = ""}}); }) ==
        "key_schema.partition_key must be 1-255 bytes for dynamodb_stream 'table', got 0 bytes");
  CHECK(esm_test::error_of([&] { dstream(sim, {.key_schema = {.sort_key = std::string(256, 's')}}); }) ==
        "key_schema.sort_key must be 1-255 bytes for dynamodb_stream 'table', got 256 bytes");
  CHECK_THROWS_AS(dstream(sim, {.key_schema = {.sort_key_type = static_cast<esm::key_attribute_type>(3)}}),
                  esm::config_error);
  // Defaults.
  const dstream d{sim, {}};
  CHECK(d.config().name == "table");
  CHECK(d.config().view_type == esm::stream_view_type::new_and_old_images);
  CHECK(d.config().partitions == 1);
  CHECK(d.config().rollover == 4h);
  CHECK(d.config().key_schema.partition_key == "pk");
  CHECK(d.config().key_schema.sort_key == "sk");
  CHECK(std::string_view{esm::to_string(d.config().key_schema.partition_key_type)} == "S");
  CHECK(d.config().retention == esm::retention::period(24h));
  CHECK(d.shard_count() == 1);
  STATIC_REQUIRE(dstream::kind == esm::source_kind::dynamodb);
  STATIC_REQUIRE(dstream::poll_interval == 250ms);
}

TEST_CASE("view types decide which images a record keeps (§4.2)", "[sources][dynamodb][spec-4.2]") {
  struct expect {
    esm::stream_view_type view;
    bool keeps_new;
    bool keeps_old;
  };
  const expect cases[] = {{esm::stream_view_type::keys_only, false, false},
                          {esm::stream_view_type::new_image, true, false},
                          {esm::stream_view_type::old_image, false, true},
                          {esm::stream_view_type::new_and_old_images, true, true}};
  for (const auto& c : cases) {
    CAPTURE(esm::to_string(c.view));
    esm::simulation sim;
    dstream s{sim, {.view_type = c.view}};
    s.insert({"pk", "sk"}, "new-1");      // 4 bytes of keys, 5 of image
    s.modify({"pk", "sk"}, "new-1", "new-22");
    s.remove({"pk", "sk"}, "new-22");
    const auto& sh = s.shard_at(0);
    REQUIRE(sh.size() == 3);
    const auto& ins = sh.at(0);
    const auto& mod = sh.at(1);
    const auto& rem = sh.at(2);
    for (const auto* r : {&ins, &mod, &rem}) {
      CHECK(r->view_type == c.view);
      CHECK(r->keys == esm::dynamodb_key{"pk", "sk"});
    }
    // INSERT has no old image, REMOVE no new one, whatever the view type.
    CHECK(ins.new_image.has_value() == c.keeps_new);
    CHECK_FALSE(ins.old_image.has_value());
    CHECK(mod.new_image.has_value() == c.keeps_new);
    CHECK(mod.old_image.has_value() == c.keeps_old);
    CHECK_FALSE(rem.new_image.has_value());
    CHECK(rem.old_image.has_value() == c.keeps_old);
    if (c.keeps_new) CHECK(*mod.new_image == "new-22");
    if (c.keeps_old) CHECK(*mod.old_image == "new-1");
    // SizeBytes: key lengths plus the images kept.
    CHECK(ins.size_bytes == 4 + (c.keeps_new ? 5u : 0u));
    CHECK(mod.size_bytes == 4 + (c.keeps_new ? 6u : 0u) + (c.keeps_old ? 5u : 0u));
    CHECK(rem.size_bytes == 4 + (c.keeps_old ? 6u : 0u));
    CHECK(rem.bytes() == rem.size_bytes);
    CHECK(s.metrics().bytes_written == ins.size_bytes + mod.size_bytes + rem.size_bytes);
  }
  CHECK(std::string{esm::to_string(esm::stream_view_type::new_and_old_images)} == "NEW_AND_OLD_IMAGES");
  CHECK(std::string{esm::to_string(esm::stream_view_type::keys_only)} == "KEYS_ONLY");
}

TEST_CASE("event names INSERT, MODIFY, REMOVE and the record's fields (§4.2, §8)", "[sources][dynamodb][spec-4.2][spec-8]") {
  esm::simulation sim;
  dstream s{sim, {}};
  sim.advance_to(at(1500ms));
  const auto a = s.insert({"user-1"}, "v1");
  sim.advance_to(at(2s));
  const auto b = s.modify({"user-1"}, "v1", "v2");
  const auto c = s.remove({"user-1"}, "v2");
  const auto& sh = s.shard_at(0);
  CHECK(sh.at(0).event_name == esm::dynamodb_event::insert);
  CHECK(sh.at(1).event_name == esm::dynamodb_event::modify);
  CHECK(sh.at(2).event_name == esm::dynamodb_event::remove);
  CHECK(std::string{esm::to_string(esm::dynamodb_event::insert)} == "INSERT");
  CHECK(std::string{esm::to_string(esm::dynamodb_event::modify)} == "MODIFY");
  CHECK(std::string{esm::to_string(esm::dynamodb_event::remove)} == "REMOVE");
  // ApproximateCreationDateTime is the virtual time of the write.
  CHECK(sh.at(0).arrival == at(1500ms));
  CHECK(sh.at(1).arrival == at(2s));
  CHECK(a.sequence == sh.at(0).sequence);
  CHECK(b.shard_id == "shardId-000000000000");
  CHECK(c.shard_ordinal == 0);
  // eventID: 32 hex characters, deterministic from the sequence.
  const std::string id = sh.at(0).event_id();
  CHECK(id.size() == 32);
  CHECK(std::all_of(id.begin(), id.end(), [](char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'); }));
  CHECK(id == sh.at(0).event_id());
  CHECK(id != sh.at(1).event_id());
  // The ordering key identifies the item: partition + sort key, unambiguously.
  CHECK(sh.at(0).ordering_key() == "6:user-1");
  CHECK(esm::dynamodb_item_key({"ab", "c"}) != esm::dynamodb_item_key({"a", "bc"}));
  CHECK(esm::dynamodb_item_key({"ab", "c"}) != esm::dynamodb_item_key({"abc"}));
  CHECK(esm::dynamodb_key{"a", "b"} != esm::dynamodb_key{"a"});
  CHECK(s.metrics().records_written == 3);
  CHECK(s.arn() == "arn:aws:dynamodb:us-east-1:123456789012:table/table/stream/2026-01-01T00:00:00.000");
}

TEST_CASE("an item key always goes to the open shard of its partition (§8)", "[sources][dynamodb][spec-8]") {
  esm::simulation sim;
  dstream s{sim, {.partitions = 4}};
  REQUIRE(s.shard_count() == 4);
  CHECK(s.open_shards() == std::vector<std::uint32_t>{0, 1, 2, 3});
  for (int i = 0; i < 200; ++i) {
    const std::string pk = "key-" + std::to_string(i);
    const auto r = s.insert({pk, "a"}, "x");
    CHECK(r.shard_ordinal == s.open_shard(s.partition_of(pk)));
    CHECK(s.modify({pk, "a"}, "x", "y").shard_ordinal == r.shard_ordinal);
    CHECK(s.insert({pk, "other-sort-key"}, "z").shard_ordinal == r.shard_ordinal); // same partition key
  }
  std::set<std::uint32_t> used;
  for (std::uint32_t i = 0; i < 4; ++i)
    if (s.shard_at(i).size() > 0) used.insert(i);
  CHECK(used.size() == 4);
  // After a roll-over the key reaches its old shard's child: one lineage per partition.
  const auto before = s.insert({"key-7"}, "x").shard_ordinal;
  s.roll_over();
  const auto after = s.insert({"key-7"}, "x").shard_ordinal;
  CHECK(after != before);
  CHECK(s.shard_at(after).parents() == std::vector<std::uint32_t>{before});
  CHECK(s.partition_of("key-7") == dstream{sim, {.partitions = 4}}.partition_of("key-7")); // stable
}

TEST_CASE("sequence numbers increase per shard and round-trip through 21-digit text (§8)",
          "[sources][dynamodb][spec-8]") {
  esm::simulation sim;
  dstream s{sim, {.partitions = 3}};
  std::map<std::uint32_t, std::uint64_t> last;
  std::set<std::uint64_t> all;
  for (int i = 0; i < 300; ++i) {
    const auto r = s.insert({"k" + std::to_string(i % 17)}, "v");
    if (last.count(r.shard_ordinal)) CHECK(r.sequence > last[r.shard_ordinal]);
    last[r.shard_ordinal] = r.sequence;
    all.insert(r.sequence);
    sim.run_for(10ms);
  }
  CHECK(all.size() == 300); // unique in the stream
  const auto& rec = s.shard_at(0).at(0);
  const std::string text = rec.sequence_number();
  CHECK(text.size() == 21);
  CHECK(text.front() == '1');
  CHECK(text == dstream::sequence_text(rec.sequence));
  CHECK(dstream::parse_sequence(text) == rec.sequence);
  CHECK(esm::dynamodb_sequence_number(42) == "100000000000000000042");
  CHECK(esm::parse_dynamodb_sequence_number("100000000000000000042") == 42u);
  CHECK(esm::parse_dynamodb_sequence_number(esm::dynamodb_sequence_number(~std::uint64_t{0})) == ~std::uint64_t{0});
  CHECK_FALSE(esm::parse_dynamodb_sequence_number("10000000000000000042").has_value());   // 20 digits
  CHECK_FALSE(esm::parse_dynamodb_sequence_number("1000000000000000000042").has_value()); // 22 digits
  CHECK_FALSE(esm::parse_dynamodb_sequence_number("200000000000000000042").has_value());  // not 1...
  CHECK_FALSE(esm::parse_dynamodb_sequence_number("10000000000000000004x").has_value());
  CHECK_FALSE(esm::parse_dynamodb_sequence_number("199999999999999999999").has_value()); // over 2^64 - 1
  CHECK_FALSE(esm::parse_dynamodb_sequence_number(esm::kinesis_sequence_number(42)).has_value());
  CHECK_FALSE(esm::parse_dynamodb_sequence_number("").has_value());
}

TEST_CASE("roll-over: a write at or after creation + rollover closes the shard and opens a child (§8, §2.8)",
          "[sources][dynamodb][spec-8][spec-2.8]") {
  esm::simulation sim;
  dstream s{sim, {.partitions = 2}};
  const std::string pk = "item";
  const std::uint32_t p = s.partition_of(pk);
  const std::uint32_t parent = s.open_shard(p);
  s.insert({pk}, "a");
  sim.advance_to(at(4h - 1ns));
  CHECK(s.insert({pk}, "b").shard_ordinal == parent); // not yet
  sim.advance_to(at(4h));
  const auto r = s.insert({pk}, "c");
  REQUIRE(r.shard_ordinal != parent);
  const std::uint32_t child = r.shard_ordinal;
  CHECK(s.shard_count() == 3);
  CHECK(s.shard_at(parent).closed());
  CHECK(s.shard_at(parent).closed_at() == at(4h));
  CHECK(s.shard_at(parent).children() == std::vector<std::uint32_t>{child});
  CHECK(s.shard_at(child).parents() == std::vector<std::uint32_t>{parent});
  CHECK(s.shard_at(child).created() == at(4h));
  CHECK(s.open_shard(p) == child);
  CHECK(s.metrics().rollovers == 1);
  // The other partition's shard is untouched: roll-over is lazy, on a write to the partition.
  CHECK_FALSE(s.shard_at(s.open_shard(1 - p)).closed());
  // The parent stays readable, and ends.
  auto it = s.iterator_at(s.shard_at(parent).id(), esm::starting_position::trim_horizon());
  const auto got = it.next();
  REQUIRE(got.size() == 2);
  CHECK(*got[0]->new_image == "a");
  CHECK(*got[1]->new_image == "b");
  CHECK(it.at_end());
  // The next roll-over counts from the child's creation.
  sim.advance_to(at(8h - 1ns));
  CHECK(s.insert({pk}, "d").shard_ordinal == child);
  // roll_over() forces every partition.
  s.roll_over();
  CHECK(s.shard_count() == 5);
  CHECK(s.metrics().rollovers == 3);
  for (const auto o : s.open_shards()) {
    CHECK_FALSE(s.shard_at(o).closed());
    REQUIRE(s.shard_at(o).parents().size() == 1);
    CHECK(s.shard_at(s.shard_at(o).parents()[0]).closed());
  }
}

TEST_CASE("retention: records are trimmed after 24 h, from closed shards too (§2.8)",
          "[sources][dynamodb][retention][spec-2.8]") {
  esm::simulation sim;
  dstream s{sim, {}};
  s.insert({"k"}, "old");
  sim.advance_to(at(12h));
  s.insert({"k"}, "mid"); // rolls over: "old" stays in the closed parent
  CHECK(s.shard_count() == 2);
  sim.advance_to(at(24h)); // "old" is exactly 24 h old: kept
  auto parent = s.iterator_at("shardId-000000000000", esm::starting_position::trim_horizon());
  CHECK(parent.next().size() == 1);
  sim.advance_to(at(24h + 1ns));
  auto again = s.iterator_at("shardId-000000000000", esm::starting_position::trim_horizon());
  CHECK(again.next().empty());
  CHECK(again.at_end());
  CHECK(s.shard_at(0).trimmed() == 1);
  CHECK(s.metrics().records_expired == 1);
  sim.advance_to(at(36h + 1ns));
  auto child = s.iterator_at("shardId-000000000001", esm::starting_position::trim_horizon());
  CHECK(child.next().empty());
  CHECK(s.metrics().records_expired == 2);
}

TEST_CASE("until_consumed retention keeps records until every reader is past them", "[sources][dynamodb][retention]") {
  esm::simulation sim;
  dstream s{sim, {.retention = esm::retention::until_consumed()}};
  for (int i = 0; i < 10; ++i) s.insert({"k" + std::to_string(i)}, "v");
  sim.advance_to(at(100h));
  s.trim(s.shard_at(0));
  CHECK(s.shard_at(0).size() == 10); // time alone never trims in this mode
  const auto r = s.register_reader();
  s.checkpoint(r, 0, 7);
  CHECK(s.shard_at(0).begin_position() == 7);
  s.unregister_reader(r);
  CHECK(s.metrics().records_expired == 7);
}

TEST_CASE("bad writes are rejected with a clear message (§8)", "[sources][dynamodb][spec-8]") {
  esm::simulation sim;
  dstream s{sim, {}};
  CHECK(esm_test::error_of([&] { s.insert({""}, "x"); }) == "dynamodb_stream 'table': partition key must be 1-2048 bytes, got 0");
  CHECK_NOTHROW(s.insert({std::string(2048, 'p')}, "x"));
  CHECK(esm_test::error_of([&] { s.insert({std::string(2049, 'p')}, "x"); }) ==
        "dynamodb_stream 'table': partition key must be 1-2048 bytes, got 2049");
  CHECK_NOTHROW(s.insert({"p", std::string(1024, 's')}, "x"));
  CHECK(esm_test::error_of([&] { s.insert({"p", std::string(1025, 's')}, "x"); }) ==
        "dynamodb_stream 'table': sort key must be 1-1024 bytes, got 1025");
  CHECK_THROWS_AS(s.insert({"p", std::string{}}, "x"), esm::input_error);
  CHECK_NOTHROW(s.insert({"p"}, std::string(409'600, 'i')));
  CHECK(esm_test::error_of([&] { s.insert({"p"}, std::string(409'601, 'i')); }) ==
        "dynamodb_stream 'table': new item must be at most 409600 bytes (400 KB), got 409601");
  CHECK(esm_test::error_of([&] { s.modify({"p"}, std::string(409'601, 'i'), "x"); }) ==
        "dynamodb_stream 'table': old item must be at most 409600 bytes (400 KB), got 409601");
  CHECK_THROWS_AS(s.remove({"p"}, std::string(409'601, 'i')), esm::input_error);
  // The size limit holds for the item even when the view type does not store it.
  dstream keys{sim, {.name = "keys", .view_type = esm::stream_view_type::keys_only}};
  CHECK_THROWS_AS(keys.insert({"p"}, std::string(409'601, 'i')), esm::input_error);
  CHECK(esm_test::error_of([&] { (void)s.shard("shardId-000000000009"); }) ==
        "dynamodb_stream 'table': unknown shard id 'shardId-000000000009'");
  CHECK_THROWS_AS((void)s.shard("shardId-0000000000x0"), esm::input_error);
  CHECK_THROWS_AS((void)s.shard("nonsense"), esm::input_error);
  CHECK(s.metrics().records_written == 3);
}

TEST_CASE("iterators: TRIM_HORIZON, LATEST, AT/AFTER_SEQUENCE_NUMBER; no AT_TIMESTAMP (§8)",
          "[sources][dynamodb][iterator][spec-8]") {
  esm::simulation sim;
  dstream s{sim, {}};
  std::vector<std::uint64_t> seqs;
  for (int i = 0; i < 5; ++i) {
    seqs.push_back(s.insert({"k" + std::to_string(i)}, std::to_string(i)).sequence);
    sim.run_for(1s);
  }
  auto read_all = [&](esm::starting_position p) {
    auto it = s.iterator_at("shardId-000000000000", p);
    std::string out;
    for (const auto* r : it.next()) out += *r->new_image;
    return out;
  };
  CHECK(read_all(esm::starting_position::trim_horizon()) == "01234");
  CHECK(read_all(esm::starting_position::latest()).empty());
  CHECK(read_all(esm::starting_position::at_sequence_number(seqs[3])) == "34");
  CHECK(read_all(esm::starting_position::after_sequence_number(seqs[3])) == "4");
  CHECK(esm_test::error_of([&] {
          (void)s.iterator_at("shardId-000000000000", esm::starting_position::at_timestamp(at(1s)));
        }) == "dynamodb_stream 'table': AT_TIMESTAMP is not a DynamoDB Streams iterator type (use TRIM_HORIZON, "
              "LATEST, AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER)");
  CHECK_THROWS_AS((void)s.iterator_at("shardId-000000000001", esm::starting_position::trim_horizon()),
                  esm::input_error);
  auto latest = s.iterator_at("shardId-000000000000", esm::starting_position::latest());
  s.insert({"k"}, "5");
  const auto fresh = latest.next();
  REQUIRE(fresh.size() == 1);
  CHECK(*fresh[0]->new_image == "5");
  CHECK_FALSE(latest.at_end()); // an open shard never ends
  // GetRecords returns at most 1,000 records.
  for (int i = 0; i < 1500; ++i) s.insert({"bulk"}, "b");
  auto bulk = s.iterator_at("shardId-000000000000", esm::starting_position::trim_horizon());
  CHECK(bulk.next(5000).size() == 1000);
  CHECK(bulk.next().size() == 506);
}

TEST_CASE("a write allocates nothing beyond the record's own strings and the shard's storage",
          "[sources][dynamodb][alloc]") {
  esm::simulation sim;
  dstream s{sim, {.partitions = 2}};
  const std::string keys[] = {"user-1", "user-2", "user-3"};
  const std::string item = "short item";
  s.insert({keys[0]}, item); // warm up
  esm_test::allocation_scope scope;
  for (int i = 0; i < 1000; ++i) s.modify({keys[i % 3], keys[(i + 1) % 3]}, item, item);
  // Short strings need no allocation; what remains is the shards' storage growing by chunks of
  // 256 records.
  CHECK(scope.count() < 20);
  CHECK(s.metrics().records_written == 1001);
}

// --- read by esm::stream_poller ---------------------------------------------------------------

TEST_CASE("poller: an idle DynamoDB shard is polled 4 times per second (§2.1)",
          "[sources][dynamodb][pollers][spec-2.1]") {
  esm::simulation sim;
  dstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  esm::stream_poller poller{s, fn, [&](const dbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                            esm::starting_position::trim_horizon()};
  sim.advance_to(at(100ms));
  s.insert({"k"}, "a");
  sim.run_until_idle();
  REQUIRE(j.calls.size() == 1);
  CHECK(j.calls[0].time == at(250ms)); // the next of the 250 ms polls
  CHECK(poller.batch_size() == 100);   // AWS default for DynamoDB
  CHECK(sim.now() == at(260ms)); // the batch completed (10 ms): polls continue every 250 ms from here
  sim.advance_to(at(5300ms));
  s.insert({"k"}, "b");
  sim.run_until_idle();
  REQUIRE(j.calls.size() == 2);
  CHECK(j.calls[1].time == at(5510ms)); // 260 ms + 21 × 250 ms, the first poll after 5.3 s
  CHECK(poller.metrics().processed_event_count == 2);
}

TEST_CASE("poller: ParallelizationFactor keeps order per item, partition + sort key (§2.1)",
          "[sources][dynamodb][pollers][spec-2.1]") {
  esm::simulation sim;
  dstream s{sim, {}};
  esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(500ms)}};
  // 20 items: 5 partition keys × 4 sort keys.
  for (int i = 0; i < 400; ++i)
    s.modify({"user-" + std::to_string(i % 5), "order-" + std::to_string(i % 4)}, "", std::to_string(i));
  std::map<std::string, std::vector<int>> per_item;
  esm::stream_poller poller{s,
                            fn,
                            [&](const dbatch& b) {
                              for (const auto& r : b)
                                per_item[std::string{r.ordering_key()}].push_back(std::stoi(*r.new_image));
                            },
                            esm::batching{.batch_size = 10},
                            esm::parallelization{.factor = 4},
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  CHECK(poller.metrics().max_concurrency == 4); // ≤ shards × factor, and reached
  CHECK(per_item.size() == 20);
  for (const auto& [item, values] : per_item) {
    CAPTURE(item);
    CHECK(std::is_sorted(values.begin(), values.end()));
    CHECK(values.size() == 20);
  }
  CHECK(poller.metrics().processed_event_count == 400);
}

TEST_CASE("poller: AT_TIMESTAMP is rejected for a DynamoDB mapping (§1, §2.1)",
          "[sources][dynamodb][pollers][config][spec-1]") {
  esm::simulation sim;
  dstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  auto h = [](const dbatch&) {};
  auto make = [&](auto... p) { // TRIM_HORIZON unless the test gives a position
    if constexpr ((std::is_same_v<decltype(p), esm::starting_position> || ...)) {
      esm::stream_poller poller{s, fn, h, p...};
    } else {
      esm::stream_poller poller{s, fn, h, p..., esm::starting_position::trim_horizon()};
    }
  };
  std::string msg = "no config_error";
  try {
    make(esm::starting_position::at_timestamp(sim.now()));
  } catch (const esm::config_error& e) {
    msg = e.what();
  }
  CHECK(msg == "start must be trim_horizon or latest for a dynamodb event source mapping, got at_timestamp");
  CHECK_NOTHROW(make(esm::starting_position::latest()));
  CHECK_NOTHROW(make(esm::starting_position::trim_horizon()));
  // StartingPosition is required (§1, as AWS recorded): none is a config_error naming it.
  CHECK(esm_test::config_error_of([&] {
          esm::stream_poller poller{s, fn, h};
        }) ==
        "start must be trim_horizon or latest (StartingPosition is required) for a dynamodb event source mapping, "
        "got none");
  CHECK_NOTHROW(make(esm::batching{.batch_size = 10'000}));
  CHECK_THROWS_AS(make(esm::batching{.batch_size = 10'001}), esm::config_error);
}

TEST_CASE("poller: after a roll-over the child's records are invoked only after the parent's (§2.8)",
          "[sources][dynamodb][pollers][spec-2.8]") {
  SECTION("forced roll-over while the parent's first batch is in flight") {
    esm::simulation sim;
    dstream s{sim, {}};
    esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(1s)}};
    journal j;
    for (int i = 0; i < 30; ++i) s.insert({"k" + std::to_string(i)}, "p" + std::to_string(i));
    esm::stream_poller poller{s, fn, [&](const dbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                              esm::batching{.batch_size = 10}, esm::starting_position::trim_horizon()};
    sim.advance_to(at(500ms));
    s.roll_over();
    for (int i = 0; i < 20; ++i) s.insert({"k" + std::to_string(i)}, "c" + std::to_string(i));
    sim.run_until_idle();
    time_point parent_done{}, first_child{time_point::max()};
    for (const auto& c : j.calls) {
      if (c.shard == "shardId-000000000000") parent_done = std::max(parent_done, c.time + 1s);
      else first_child = std::min(first_child, c.time);
    }
    CHECK(parent_done == at(3s));
    CHECK(first_child >= parent_done);
    CHECK(j.all_images().size() == 50);
    CHECK(poller.metrics().processed_event_count == 50);
  }
  SECTION("lazy roll-over on a write while the parent is still backlogged") {
    esm::simulation sim;
    dstream s{sim, {.rollover = 1min}};
    esm::function fn{sim, {.name = "f", .default_duration = esm::duration_model::fixed(2s)}};
    journal j;
    for (int i = 0; i < 100; ++i) s.insert({"item"}, std::to_string(i)); // 50 batches of 2 s: busy until 100 s
    esm::stream_poller poller{s, fn, [&](const dbatch& b, esm::invocation_context& ctx) { j.record(b, ctx); },
                              esm::batching{.batch_size = 2}, esm::starting_position::trim_horizon()};
    sim.advance_to(at(61s));
    for (int i = 100; i < 110; ++i) s.insert({"item"}, std::to_string(i)); // goes to the child
    CHECK(s.shard_count() == 2);
    CHECK(s.shard_at(0).closed());
    sim.run_until_idle();
    std::vector<std::string> expected;
    for (int i = 0; i < 110; ++i) expected.push_back(std::to_string(i));
    CHECK(j.all_images() == expected); // the item's order holds across the roll-over
    REQUIRE(j.calls.size() == 55);
    CHECK(j.calls[49].shard == "shardId-000000000000");
    CHECK(j.calls[50].shard == "shardId-000000000001");
    CHECK(j.calls[49].time == at(98s));
    CHECK(j.calls[50].time >= at(100s)); // after the parent's last batch completed
    CHECK(poller.metrics().retries == 0);
  }
}

TEST_CASE("poller: an on-failure record from a DynamoDB mapping carries its kind and sequence numbers (§2.6, §4.6)",
          "[sources][dynamodb][pollers][spec-2.6][spec-4.6]") {
  esm::simulation sim;
  dstream s{sim, {.name = "orders"}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  for (int i = 0; i < 3; ++i) s.insert({"k"}, std::to_string(i));
  const auto first_seq = s.shard_at(0).at(0).sequence;
  const auto last_seq = s.shard_at(0).at(1).sequence;
  esm::stream_poller poller{s,
                            fn,
                            [&](const dbatch& b, esm::invocation_context& ctx) {
                              j.record(b, ctx);
                              if (*b.front().new_image == "0") throw std::runtime_error("bad");
                            },
                            esm::batching{.batch_size = 2},
                            esm::stream_retry{.max_attempts = 1},
                            j.destination(),
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  REQUIRE(j.failures.size() == 1);
  const auto& f = j.failures[0];
  CHECK(f.kind == esm::source_kind::dynamodb);
  CHECK(f.condition == esm::discard_condition::retry_attempts_exhausted);
  CHECK(f.approximate_invoke_count == 2);
  CHECK(f.batch_info.shard_id == "shardId-000000000000");
  CHECK(f.batch_info.batch_size == 2);
  CHECK(f.batch_info.start_sequence_number == esm::dynamodb_sequence_number(first_seq));
  CHECK(f.batch_info.end_sequence_number == esm::dynamodb_sequence_number(last_seq));
  CHECK(f.batch_info.start_sequence_number.size() == 21);
  CHECK(f.batch_info.stream_arn ==
        "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000");
  CHECK(j.all_images().back() == "2"); // the shard moved on
  CHECK(poller.metrics().on_failure_destination_delivered_event_count == 2);
}

TEST_CASE("poller: a partial batch response names DynamoDB sequence numbers (§2.5)",
          "[sources][dynamodb][pollers][spec-2.5]") {
  esm::simulation sim;
  dstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  journal j;
  for (int i = 0; i < 6; ++i) s.insert({"k" + std::to_string(i)}, std::to_string(i));
  const std::string seq3 = s.shard_at(0).at(3).sequence_number();
  esm::stream_poller poller{
      s, fn,
      [&](const dbatch& b, esm::invocation_context& ctx) {
        j.record(b, ctx);
        if (ctx.attempt() == 1) return esm::batch_response::failed({seq3});
        return esm::batch_response::success();
      },
      esm::stream_options{.start = esm::starting_position::trim_horizon(), .report_batch_item_failures = true}};
  sim.run_until_idle();
  REQUIRE(j.calls.size() == 2);
  CHECK(j.calls[1].images == std::vector<std::string>{"3", "4", "5"});
  CHECK(poller.metrics().processed_event_count == 6);
}

TEST_CASE("eventID is the MD5 of the sequence number text", "[sources][dynamodb]") {
  esm::simulation sim;
  dstream s{sim, {}};
  s.insert({"k"}, "a");
  const auto& r = s.shard_at(0).at(0);
  CHECK(r.event_id() == esm::detail::to_hex(esm::detail::md5(r.sequence_number())));
  CHECK(r.event_id().size() == 32);
}

TEST_CASE("poller: a DynamoDB poll reads at most 1,000 records (GetRecords)", "[sources][dynamodb][pollers]") {
  esm::simulation sim;
  dstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  for (int i = 0; i < 1500; ++i) s.insert({"k" + std::to_string(i)}, "x");
  std::vector<std::size_t> sizes;
  esm::stream_poller poller{s, fn, [&](const dbatch& b) { sizes.push_back(b.size()); },
                            esm::batching{.batch_size = 10'000}, esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  CHECK(sizes == std::vector<std::size_t>{1000, 500});
}
