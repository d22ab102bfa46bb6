// esm example: ParallelizationFactor, when one batch per shard is not enough.
//
//   producers: 1,000 records/s per shard        Kinesis "clicks" (4 shards)       function "aggregate"
//   100 partition keys, 25 routed to each shard ───────────────────────────       ────────────────────
//   put every 10 ms: 10 records per shard ──────▶ shard 0 ──▶ lanes 0..N-1 ──────▶ 200 ms per batch,
//                                                 shard 1 ──▶ lanes 0..N-1 ──────▶ up to 100 records
//                                                 shard 2 ──▶ ...                   (one lane = one batch
//                                                 shard 3 ──▶ ...                    in flight at a time)
//
// With ParallelizationFactor N each shard has N lanes; a partition key always uses the same lane,
// so records of a key stay in order. One lane moves at most 100 records / 200 ms = 500 records/s:
// with N = 1 every shard falls behind by 500 records/s and IteratorAge grows without bound; with
// N = 5 the shard's 1,000 records/s spread over 5 lanes and IteratorAge stays below a second.
// Each run is five minutes of virtual time and 1.2 million records (a few seconds of a Debug build,
// most of it the MD5 of each partition key).

#include <esm/esm.hpp>
#include <esm/fmt.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct click {
  std::uint32_t user;
  std::size_t payload_bytes() const { return 200; } // a small JSON document
};

using stream_type = esm::kinesis_stream<click>;
using batch_type = esm::stream_batch<stream_type::record_type>;

constexpr int shards = 4;
constexpr int keys_per_shard = 25;
constexpr auto run_time = 5min;
constexpr auto tick = 10ms;       // 100 ticks per second
constexpr int records_per_tick = 10; // per shard: 1,000 records/s, the shard's write limit

struct run_result {
  esm::esm_metrics metrics;
  std::uint64_t put = 0;
  std::size_t retained = 0; // records still in the stream at the end (the backlog)
  std::vector<std::array<int, 10>> keys_per_lane; // per shard
};

// 100 partition keys, 25 of which MD5 routes to each of the 4 shards.
std::vector<std::vector<std::string>> keys_by_shard(stream_type& s) {
  std::vector<std::vector<std::string>> out(shards);
  int filled = 0;
  for (int i = 0; filled < shards; ++i) {
    std::string key = "user-" + std::to_string(i);
    const auto h = esm::hash_key::of_partition_key(key);
    for (std::uint32_t o = 0; o < shards; ++o) {
      if (s.shard_at(o).range().contains(h) && out[o].size() < keys_per_shard) {
        out[o].push_back(std::move(key));
        if (out[o].size() == keys_per_shard) ++filled;
        break;
      }
    }
  }
  return out;
}

run_result run(int factor) {
  esm::simulation sim{{.seed = 5}};
  // until_consumed: records are dropped once the mapping has processed them, so memory follows
  // the backlog, not the 1.2 million records put. write_limits: 1,000 records/s per shard, checked.
  stream_type clicks{sim, {.name = "clicks", .shard_count = shards, .retention = esm::retention::until_consumed(),
                           .write_limits = true}};
  esm::function fn{sim, {.name = "aggregate", .timeout = 10s}};
  const auto keys = keys_by_shard(clicks);

  auto handler = [](const batch_type&, esm::invocation_context& ctx) { ctx.elapse(200ms); };
  const esm::parallelization par{.factor = factor};
  esm::stream_poller poller{
      clicks,
      fn,
      handler,
      esm::batching{.batch_size = 100},
      par,
      esm::stream_options{.start = esm::starting_position::trim_horizon(), .name = "clicks-" + std::to_string(factor)}};

  run_result out;
  // The producers: a scheduled event every 10 ms puts 10 records on each shard, cycling through
  // the shard's 25 keys.
  std::uint64_t n = 0;
  std::function<void()> produce = [&] {
    for (int s = 0; s < shards; ++s) {
      for (int i = 0; i < records_per_tick; ++i, ++n) {
        const auto& key = keys[static_cast<std::size_t>(s)][n % keys_per_shard];
        clicks.put(key, click{static_cast<std::uint32_t>(n % keys_per_shard)});
      }
    }
    if (sim.now() + tick < esm::time_point{} + run_time) sim.schedule_after(tick, produce);
  };
  sim.schedule_at(esm::time_point{}, produce);
  sim.run_until(esm::time_point{} + run_time);

  out.metrics = poller.metrics();
  out.put = clicks.metrics().records_put;
  for (std::uint32_t o = 0; o < clicks.shard_count(); ++o) out.retained += clicks.shard_at(o).size();
  for (int s = 0; s < shards; ++s) {
    std::array<int, 10> lanes{};
    for (const auto& k : keys[static_cast<std::size_t>(s)]) ++lanes[par.lane_of(k)];
    out.keys_per_lane.push_back(lanes);
  }
  return out;
}

double seconds(esm::duration d) { return std::chrono::duration<double>(d).count(); }

} // namespace

int main() {
  fmt::print("Kinesis 'clicks': 4 shards x 1,000 records/s (100 keys, 25 per shard); handler 200 ms per\n");
  fmt::print("batch; BatchSize 100; 5 minutes of virtual time for each ParallelizationFactor.\n\n");
  fmt::print("  {:<6}  {:>13}  {:>15}  {:>15}  {:>10}  {:>10}  {:>9}\n", "factor", "max IteratorAge",
             "final IteratorAge", "max concurrency", "put", "processed", "backlog");

  const auto one = run(1);
  const auto five = run(5);
  for (const auto* r : {&one, &five}) {
    const auto& m = r->metrics;
    fmt::print("  {:<6}  {:>14.3f}s  {:>16.3f}s  {:>15}  {:>10}  {:>10}  {:>9}\n", r == &one ? 1 : 5,
               seconds(m.max_iterator_age), seconds(m.iterator_age), m.max_concurrency, r->put,
               m.processed_event_count, r->retained);
  }
  fmt::print("\nfactor 1: one lane per shard moves 500 records/s of the 1,000 put: the backlog grows by\n");
  fmt::print("2,000 records/s and IteratorAge by half a second per second.\n");
  fmt::print("factor 5: a lane finishes its batch in 200 ms and the shard is read again (5 GetRecords\n");
  fmt::print("calls per second allow it), so a batch's last record is only milliseconds old.\n");
  int busiest = 0;
  for (const auto& l : five.keys_per_lane)
    for (const int k : l) busiest = std::max(busiest, k);
  fmt::print("\nkeys per lane with factor 5 (a key's lane is fixed by a hash of the key; the busiest lane\n");
  fmt::print("carries {} keys = {} records/s, below the 500 a lane can move):\n", busiest,
             busiest * 1000 / keys_per_shard);
  for (int s = 0; s < shards; ++s) {
    const auto& l = five.keys_per_lane[static_cast<std::size_t>(s)];
    fmt::print("  shard {}: {} {} {} {} {}\n", s, l[0], l[1], l[2], l[3], l[4]);
  }

  // What the AWS documentation predicts (§2.1): with one batch per shard, 500 records/s per shard
  // cannot keep up with 1,000 records/s, so the iterator age grows through the run (here to about
  // half the elapsed time); with factor 5 concurrency rises to up to 4 x 5 = 20 and the mapping
  // keeps up, its iterator age staying small (well under the 3 s checked here).
  const bool ok = one.metrics.max_concurrency == 4 && one.metrics.iterator_age > 60s &&
                  one.metrics.processed_event_count < one.put * 6 / 10 && five.metrics.max_concurrency > 4 &&
                  five.metrics.max_concurrency <= 20 && five.metrics.max_iterator_age < 3s &&
                  five.metrics.processed_event_count > five.put * 99 / 100;
  if (!ok) fmt::print("\nUNEXPECTED: the outcome differs from what the AWS documentation predicts\n");
  return ok ? 0 : 1;
}
