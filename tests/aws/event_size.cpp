// Tests of esm/sources/event_size.hpp: the size a poller cuts batches on is the byte length of the
// event esm::aws::event_json renders for the same batch (spec §1: the 6 MB limit of a synchronous
// invoke is on its payload, the JSON event), for every source, for awkward contents (escapes,
// base64 padding, binary keys and attributes, FIFO ids, redeliveries) and at the limit itself.
#include <esm/aws/events.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "support/catch.hpp"

using namespace std::chrono_literals;
using kstream = esm::kinesis_stream<std::string>;
using bstream = esm::kinesis_stream<std::vector<std::byte>>;
using dstream = esm::dynamodb_stream<esm::attribute_map_json>;
using squeue = esm::sqs_queue<std::string>;
using fqueue = esm::sqs_fifo_queue<std::string>;

namespace {

/// Batches of at most `max_records` records and `max_bytes` bytes of event JSON, cut at once.
struct byte_limit {
  using esm_role = esm::batching_role;
  std::size_t max_bytes = esm::max_invoke_payload_bytes;
  std::size_t max_records = 10;
  esm::batch_limits limits(esm::source_kind) const { return {.max_records = max_records, .max_bytes = max_bytes}; }
  esm::batch_decision decide(const esm::batch_candidate&) const { return esm::batch_decision::cut(); }
  void validate(esm::source_kind) const {}
};

/// What a handler saw of one batch: its records' sizes by esm::event_size, the size the poller
/// cut on (envelope, records and separators), and the length of the rendered event.
struct seen {
  std::vector<std::size_t> records;
  std::size_t counted = 0;
  std::size_t rendered = 0;
};

template <class Source, class Batch>
seen measure(const Source& source, const Batch& batch) {
  const esm::event_size<Source> size{source};
  seen s;
  s.counted = size.envelope;
  for (const auto& r : batch) {
    const std::size_t b = [&] {
      if constexpr (esm::is_stream(Source::kind)) {
        return size.record(r, batch.shard_id());
      } else {
        return size.record(r);
      }
    }();
    s.counted += (s.records.empty() ? 0 : size.separator) + b;
    s.records.push_back(b);
  }
  s.rendered = esm::aws::event_json(source, batch).size();
  return s;
}

/// Checks each batch's counted size against its rendered event; returns the records seen.
std::size_t checked_records(const std::vector<seen>& batches) {
  std::size_t records = 0;
  for (const auto& b : batches) {
    CHECK(b.counted == b.rendered);
    records += b.records.size();
  }
  return records;
}

esm::simulation_options at_unix_millis(std::int64_t unix_ms) {
  return {.epoch = esm::wall_epoch{esm::wall_time{std::chrono::milliseconds{unix_ms}}}};
}

/// Keys and texts that need every kind of JSON escape, and multi-byte UTF-8.
const std::vector<std::string> awkward = {"plain",
                                          "q\"uote",
                                          "back\\slash",
                                          "tab\tnew\nline\r",
                                          std::string{"\x01\x1f", 2},
                                          "caf\xc3\xa9 \xe2\x82\xac",
                                          "/slash/",
                                          std::string(300, 'k'),
                                          "\b\f",
                                          "x"};

} // namespace

TEST_CASE("§1 the 6 MB counts the event JSON: a Kinesis batch's size equals its rendered event's length",
          "[aws][event_size][spec-1][spec-4.1]") {
  // The last epoch's run crosses 10^9 seconds (2001-09-09): approximateArrivalTimestamp gains a digit.
  for (const std::int64_t epoch_ms :
       {std::int64_t{1'767'225'600'000}, std::int64_t{5'000}, std::int64_t{-2'500}, std::int64_t{999'999'990'000}}) {
    esm::simulation sim{at_unix_millis(epoch_ms)};
    kstream s{sim, {.name = "orders-x", .shard_count = 2}};
    esm::function fn{sim, {.name = "f"}};
    for (std::size_t i = 0; i < 40; ++i) {
      sim.run_for(std::chrono::milliseconds{37 * i}); // arrival times of every width
      s.put(awkward[i % awkward.size()].substr(0, 256), std::string(i * 7 % 23, static_cast<char>('\0' + i)));
    }
    std::vector<seen> batches;
    esm::stream_poller poller{
        s, fn, [&](const esm::stream_batch<kstream::record_type>& b) { batches.push_back(measure(s, b)); },
        esm::batching{.batch_size = 7}, esm::starting_position::trim_horizon()};
    sim.run_until_idle();
    const std::size_t records = checked_records(batches);
    CHECK(records == 40);
  }
}

TEST_CASE("§1 the 6 MB counts the event JSON: byte payloads are counted in base64",
          "[aws][event_size][spec-1][spec-4.1]") {
  esm::simulation sim;
  bstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  for (std::size_t n = 0; n < 9; ++n) s.put("k" + std::to_string(n), std::vector<std::byte>(n, std::byte{0xff}));
  std::vector<seen> batches;
  esm::stream_poller poller{s, fn,
                            [&](const esm::stream_batch<bstream::record_type>& b) { batches.push_back(measure(s, b)); },
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  REQUIRE(batches.size() == 1);
  CHECK(batches[0].counted == batches[0].rendered);
  // Data of 0 to 8 bytes: 0, 4, 4, 4, 8, 8, 8, 12, 12 characters of base64; the rest is the same.
  const auto& r = batches[0].records;
  CHECK(r[1] - r[0] == 4);
  CHECK(r[3] - r[0] == 4);
  CHECK(r[4] - r[0] == 8);
  CHECK(r[8] - r[0] == 12);
}

TEST_CASE("§1 the 6 MB counts the event JSON: DynamoDB records of every event, key type and view",
          "[aws][event_size][spec-1][spec-4.2]") {
  using esm::key_attribute_type;
  for (const auto view : {esm::stream_view_type::new_and_old_images, esm::stream_view_type::keys_only,
                          esm::stream_view_type::new_image, esm::stream_view_type::old_image}) {
    for (const auto pk_type : {key_attribute_type::string, key_attribute_type::number, key_attribute_type::binary}) {
      esm::simulation sim{at_unix_millis(999)};
      dstream t{sim,
                {.name = "orders",
                 .view_type = view,
                 .key_schema = {.partition_key = "p\"k",
                                .partition_key_type = pk_type,
                                .sort_key = "sort",
                                .sort_key_type = key_attribute_type::binary}}};
      esm::function fn{sim, {.name = "f"}};
      for (std::size_t i = 0; i < 12; ++i) {
        sim.run_for(std::chrono::milliseconds{911 * i});
        const std::string pk =
            pk_type == key_attribute_type::number ? std::to_string(i * 1013) : awkward[i % awkward.size()];
        esm::dynamodb_key key{pk.substr(0, 256)};
        if (i % 2 == 1) key.sort_key = std::string(i, '\x7f');
        const esm::attribute_map_json item{R"({"Id":{"N":")" + std::to_string(i) + R"("},"Note":{"S":"a\"b"}})"};
        if (i % 3 == 0) t.insert(key, item);
        if (i % 3 == 1) t.modify(key, item, esm::attribute_map_json{"{}"});
        if (i % 3 == 2) t.remove(key, item);
      }
      std::vector<seen> batches;
      esm::stream_poller poller{
          t, fn, [&](const esm::stream_batch<dstream::record_type>& b) { batches.push_back(measure(t, b)); },
          esm::batching{.batch_size = 5}, esm::starting_position::trim_horizon()};
      sim.run_until_idle();
      const std::size_t records = checked_records(batches);
      CHECK(records == 12);
    }
  }
}

TEST_CASE("§1 the 6 MB counts the event JSON: SQS messages with attributes, escapes and redeliveries",
          "[aws][event_size][spec-1][spec-4.3]") {
  esm::simulation sim;
  squeue q{sim, {.name = "jobs", .visibility_timeout = 1s}};
  esm::function fn{sim, {.name = "f", .timeout = 1s}};
  for (std::size_t i = 0; i < 30; ++i) {
    esm::send_options o;
    if (i % 3 == 1) o.attributes = {{.name = "kind", .value = awkward[i % awkward.size()]}};
    if (i % 3 == 2) {
      o.attributes = {{.name = "n\"um", .data_type = "Number", .value = std::to_string(i)},
                      {.name = "blob", .data_type = "Binary", .value = std::string(i, '\xfe')},
                      {.name = "blob2", .data_type = "Binary.gz", .value = "ab"},
                      {.name = "text", .data_type = "String.json", .value = "{\"a\":1}"}};
    }
    q.send(awkward[i % awkward.size()] + std::string(i, '\n'), o);
  }
  std::vector<seen> batches;
  int invocations = 0;
  esm::queue_poller p{q, fn, [&](const esm::queue_batch<squeue::message_type>& b) {
                        batches.push_back(measure(q, b));
                        if (++invocations <= 3) throw std::runtime_error{"retry"}; // receive counts of 2 and more
                      }};
  sim.run_until_idle(1'000'000);
  const std::size_t records = checked_records(batches);
  CHECK(records >= 30);
  CHECK(q.size() == 0);
}

TEST_CASE("§1 the 6 MB counts the event JSON: FIFO messages with group and deduplication ids",
          "[aws][event_size][spec-1][spec-4.3]") {
  esm::simulation sim;
  fqueue q{sim, {.name = "jobs.fifo"}};
  esm::function fn{sim, {.name = "f"}};
  for (std::size_t i = 0; i < 25; ++i) {
    q.send(awkward[i % awkward.size()],
           {.group_id = "g\"" + std::to_string(i % 3), .deduplication_id = "d\\" + std::to_string(i)});
  }
  std::vector<seen> batches;
  esm::queue_poller p{q, fn,
                      [&](const esm::queue_batch<fqueue::message_type>& b) { batches.push_back(measure(q, b)); }};
  sim.run_until_idle(1'000'000);
  const std::size_t records = checked_records(batches);
  CHECK(records == 25);
}

namespace {

/// Runs `scenario` (a fresh simulation each time, the same run for the same limit) and returns the
/// first batch it saw.
seen first_batch(const std::function<std::vector<seen>(const byte_limit&)>& scenario, std::size_t max_bytes) {
  const auto batches = scenario(byte_limit{.max_bytes = max_bytes});
  REQUIRE(!batches.empty());
  return batches.front();
}

/// At the limit: a batch whose event is exactly `max_bytes` long is sent whole; one byte less
/// and its last record starts the next batch.
void check_limit(const std::function<std::vector<seen>(const byte_limit&)>& scenario) {
  const seen all = first_batch(scenario, esm::max_invoke_payload_bytes);
  REQUIRE(all.records.size() == 10);
  REQUIRE(all.counted == all.rendered);
  for (const std::size_t k : {std::size_t{1}, std::size_t{4}, std::size_t{9}}) {
    std::size_t exact = esm::event_envelope_bytes + k - 1;
    for (std::size_t i = 0; i < k; ++i) exact += all.records[i];
    const seen fits = first_batch(scenario, exact);
    CHECK(fits.records.size() == k);
    CHECK(fits.rendered == exact);
    const seen over = first_batch(scenario, exact - 1);
    CHECK(over.records.size() == (k == 1 ? 1 : k - 1)); // a single record over the limit is still sent
    if (k > 1) CHECK(over.rendered < exact - 1);
  }
}

} // namespace

TEST_CASE("§1 AWS documented (6 MB invoke payload): a batch of exactly the limit is sent, one byte more is cut",
          "[aws][event_size][spec-1]") {
  SECTION("Kinesis") {
    check_limit([](const byte_limit& limit) {
      esm::simulation sim;
      kstream s{sim, {}};
      esm::function fn{sim, {.name = "f"}};
      for (std::size_t i = 0; i < 20; ++i) s.put(awkward[i % awkward.size()].substr(0, 256), std::string(100 + i, 'd'));
      std::vector<seen> out;
      esm::stream_poller poller{s, fn,
                                [&](const esm::stream_batch<kstream::record_type>& b) { out.push_back(measure(s, b)); },
                                limit, esm::starting_position::trim_horizon()};
      sim.run_until_idle();
      return out;
    });
  }
  SECTION("DynamoDB") {
    check_limit([](const byte_limit& limit) {
      esm::simulation sim;
      dstream t{sim, {}};
      esm::function fn{sim, {.name = "f"}};
      for (std::size_t i = 0; i < 20; ++i) {
        t.insert({awkward[i % awkward.size()].substr(0, 256)},
                 esm::attribute_map_json{R"({"v":{"S":")" + std::string(i, 'v') + R"("}})"});
      }
      std::vector<seen> out;
      esm::stream_poller poller{t, fn,
                                [&](const esm::stream_batch<dstream::record_type>& b) { out.push_back(measure(t, b)); },
                                limit, esm::starting_position::trim_horizon()};
      sim.run_until_idle();
      return out;
    });
  }
  SECTION("SQS") {
    check_limit([](const byte_limit& limit) {
      esm::simulation sim;
      squeue q{sim, "q"};
      esm::function fn{sim, {.name = "f"}};
      for (std::size_t i = 0; i < 20; ++i) q.send(awkward[i % awkward.size()] + std::string(i, '"'));
      std::vector<seen> out;
      esm::queue_poller p{q, fn, [&](const esm::queue_batch<squeue::message_type>& b) { out.push_back(measure(q, b)); },
                          limit, esm::sqs_scaling{.maximum_concurrency = 2}};
      sim.run_until_idle(1'000'000);
      return out;
    });
  }
}

TEST_CASE("§1 AWS documented (6 MB invoke payload): 1 MiB Kinesis records go 4 to a batch, not 5 or 6",
          "[aws][event_size][spec-1]") {
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  // 1,048,536 data bytes are 1,398,048 characters of base64: four records and their metadata
  // are 5.6 MB, five are 7 MB. Counting data bytes alone, five (5.2 MB) would fit.
  for (int i = 0; i < 6; ++i) s.put("key", std::string(1'048'536, 'x'));
  std::vector<seen> batches;
  esm::stream_poller poller{s, fn,
                            [&](const esm::stream_batch<kstream::record_type>& b) { batches.push_back(measure(s, b)); },
                            esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  REQUIRE(batches.size() == 2);
  CHECK(batches[0].records.size() == 4);
  CHECK(batches[1].records.size() == 2);
  CHECK(batches[0].rendered <= esm::max_invoke_payload_bytes);
  CHECK(batches[0].rendered + batches[0].records[0] + 1 > esm::max_invoke_payload_bytes);
}

TEST_CASE("event_size: a source of one's own counts its records' bytes()", "[aws][event_size]") {
  struct custom_source {};
  struct rec {
    std::size_t bytes() const { return 42; }
  };
  const esm::event_size<custom_source> size{custom_source{}};
  STATIC_REQUIRE(esm::event_size<custom_source>::envelope == 0);
  CHECK(size.record(rec{}) == 42);
  STATIC_REQUIRE(esm::event_size<kstream>::envelope == esm::event_envelope_bytes);
  CHECK(esm::detail::json_string_length("a\"b\\c\n\x01") == 2 + 3 + 2 + 2 + 2 + 6);
  CHECK(esm::detail::int_digits(-1) == 2);
  CHECK(esm::detail::int_digits(0) == 1);
  CHECK(esm::detail::uint_digits(18'446'744'073'709'551'615ULL) == 20);
  std::uint64_t p = 1;
  for (std::size_t k = 1; k < 20; ++k) {
    p *= 10;
    CHECK(esm::detail::uint_digits(p - 1) == k);
    CHECK(esm::detail::uint_digits(p) == k + 1);
  }
}

TEST_CASE("§1 the escaped length of a JSON string is counted exactly, 16 bytes or 8 bytes at a time",
          "[aws][event_size][spec-1]") {
  // Bytes at the edges of every escape class, at every position of strings of every length up to
  // 80 (the 16- and 8-byte steps, their overlapping tails, and the short strings).
  const unsigned char edges[] = {'a',  ' ',  '!',  '"',  '#',  '[',  '\\', ']',
                                 0x00, 0x08, 0x0a, 0x1f, 0x7f, 0x80, 0xc3, 0xff};
  std::mt19937_64 rng{20261207};
  for (std::size_t len = 0; len <= 80; ++len) {
    for (int round = 0; round < 200; ++round) {
      std::string s(len, 'x');
      const int escapes = round % 4; // 0 to 3 special bytes, the rest plain or UTF-8
      for (int e = 0; e < escapes && len > 0; ++e) s[rng() % len] = static_cast<char>(edges[rng() % std::size(edges)]);
      std::string out;
      esm::detail::append_json_string(out, s);
      INFO("length " << len << ", round " << round);
      REQUIRE(esm::detail::json_string_length(s) == out.size());
      REQUIRE(esm::detail::json_string_length_portable(s) == out.size());
    }
  }
}
