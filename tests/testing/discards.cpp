// Tests of esm/testing/discards.hpp: the discard log keeps AWS's invocation record and exactly
// the discarded records, also with ParallelizationFactor > 1, where the record's sequence range
// spans other lanes' records (spec §2.1 parallelization, §2.6 and §4.6 on-failure records).
#include <esm/esm.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/testing/discards.hpp>
#include <esm/testing/recorder.hpp>
#include <esm/testing/scripted.hpp>

#include <set>
#include <string>

#include "support/catch.hpp"

using namespace std::chrono_literals;
namespace et = esm::testing;

namespace {
using kinesis = esm::kinesis_stream<std::string>;
using batch = esm::stream_batch<kinesis::record_type>;
} // namespace

TEST_CASE("the discard log names exactly the discarded records inside a range that spans other lanes (§2.1, §4.6)",
          "[testing][discards][spec-2.1][spec-4.6]") {
  esm::simulation sim{{.seed = 4}};
  kinesis s{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f"}};
  for (int i = 0; i < 40; ++i) s.put("key-" + std::to_string(i % 8), i % 8 == 3 ? "bad" : "ok");
  et::discard_log discards;
  esm::stream_poller p{s,
                       fn,
                       et::poison([](const auto& r) { return r.data == "bad"; }, [](const batch&) {}),
                       discards,
                       esm::parallelization{.factor = 4},
                       esm::stream_retry{.max_attempts = 0},
                       esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  REQUIRE(!discards.batches().empty());
  CHECK(discards.records() == p.metrics().on_failure_destination_delivered_event_count);
  std::set<std::string> keys;
  for (const auto& b : discards.batches()) {
    CHECK(b.delivered);
    CHECK(b.record.batch_info.batch_size == b.items.size());
    CHECK(b.record.batch_info.start_sequence_number == b.items.front().id);
    CHECK(b.record.batch_info.end_sequence_number == b.items.back().id);
    for (const auto& it : b.items) keys.insert(it.key);
  }
  // Every record of key-3 (the poison's lane's batches) and nothing of the keys in other lanes.
  for (int i = 0; i < 40; ++i) {
    const auto& r = s.shard_at(0).at(static_cast<std::uint64_t>(i));
    if (r.data == "bad") CHECK(discards.discarded(r.sequence_number()));
  }
  const esm::parallelization par{.factor = 4};
  for (const auto& k : keys) CHECK(par.lane_of(k) % 4 == par.lane_of("key-3") % 4);
  // The range of a discard holds records of other lanes that were not discarded.
  const auto& first = discards.batches().front();
  std::size_t in_range = 0;
  for (int i = 0; i < 40; ++i) {
    const auto seq = s.shard_at(0).at(static_cast<std::uint64_t>(i)).sequence_number();
    if (seq >= first.record.batch_info.start_sequence_number && seq <= first.record.batch_info.end_sequence_number)
      ++in_range;
  }
  CHECK(in_range > first.items.size());
  CHECK(discards.discarded_ids().size() == discards.records());
}

TEST_CASE("the discard log forwards to a destination whose failure drops the records (§6)",
          "[testing][discards][spec-6]") {
  esm::simulation sim;
  kinesis s{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f"}};
  s.put("k", "x");
  int forwarded = 0;
  et::discard_log discards{[&](const esm::stream_failure_record&) { return ++forwarded > 1; }};
  esm::stream_poller p{s,
                       fn,
                       et::fail_always([](const batch&) {}),
                       discards,
                       esm::stream_retry{.max_attempts = 0},
                       esm::starting_position::trim_horizon()};
  sim.run_until_idle();
  REQUIRE(discards.batches().size() == 1);
  CHECK_FALSE(discards.batches()[0].delivered);
  CHECK(p.metrics().dropped_event_count == 1);
  CHECK(p.metrics().destination_delivery_failures == 1);
  CHECK(forwarded == 1);
}
