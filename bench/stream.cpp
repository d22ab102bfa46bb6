// Stream benchmark: 1 shard, 1 M records (100-byte std::string payload, 12-character partition
// key), batch 100, empty handler, from put to checkpoint.
//
// BM_stream_poller puts the records into an esm::kinesis_stream and lets an esm::stream_poller
// deliver them to the handler through an esm::function, until every record is checkpointed.
// BM_stream_poller_baseline pushes the same records into a std::vector, cuts it in batches of
// 100 and hands each to the handler. Items: records delivered.
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace {

constexpr int records = 1'000'000;
constexpr std::size_t batch = 100;

const std::string& payload() {
  static const std::string p(100, 'p');
  return p;
}
const std::string& key() {
  static const std::string k = "customer-042"; // 12 characters
  return k;
}

void BM_stream_poller(benchmark::State& state) {
  std::uint64_t delivered = 0;
  for (auto _ : state) {
    esm::simulation sim;
    esm::kinesis_stream<std::string> stream{sim, {.retention = esm::retention::until_consumed()}};
    esm::function fn{sim, {.name = "bench"}};
    std::uint64_t seen = 0;
    esm::stream_poller poller{
        stream, fn, [&seen](const esm::stream_batch<esm::kinesis_record<std::string>>& b) { seen += b.size(); },
        esm::batching{.batch_size = static_cast<int>(batch)}, esm::starting_position::trim_horizon()};
    for (int i = 0; i < records; ++i) stream.put(key(), payload());
    sim.run_until_idle();
    if (poller.checkpoint(0) != static_cast<std::uint64_t>(records)) state.SkipWithError("not all checkpointed");
    delivered += seen;
    benchmark::DoNotOptimize(seen);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(delivered));
}

struct baseline_record {
  std::uint64_t sequence;
  std::int64_t arrival;
  std::string partition_key;
  std::string data;
};

void BM_stream_poller_baseline(benchmark::State& state) {
  std::uint64_t delivered = 0;
  for (auto _ : state) {
    std::vector<baseline_record> log;
    std::uint64_t seen = 0;
    auto handler = [&seen](std::span<const baseline_record> b) { seen += b.size(); };
    for (int i = 0; i < records; ++i) log.push_back({static_cast<std::uint64_t>(i), 0, key(), payload()});
    for (std::size_t i = 0; i < log.size(); i += batch) {
      handler(std::span<const baseline_record>{log}.subspan(i, std::min(batch, log.size() - i)));
    }
    delivered += seen;
    benchmark::DoNotOptimize(seen);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(delivered));
}

} // namespace

BENCHMARK(BM_stream_poller)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_stream_poller_baseline)->Unit(benchmark::kMillisecond);
