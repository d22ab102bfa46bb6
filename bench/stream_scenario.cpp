// A large stream scenario, timed end to end: 100 shards × 10 simulated minutes × 1,000
// records/s each (60 M records arriving one by one), handler 50 ms, batch 100,
// retention::until_consumed. Prints the wall time, the peak RSS and what the mapping did.
// The payload is a 32-byte sensor reading (a value type: no allocation per record).
//
//   build/release/bench/esm_stream_scenario [minutes]
//
// (Bench code may read the wall clock; the simulation never does.)
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>

#include <malloc.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  const int minutes = argc > 1 ? std::atoi(argv[1]) : 10;
  constexpr int shards = 100;
  constexpr int rate_per_shard = 1000;
  const auto wall_start = std::chrono::steady_clock::now();

  esm::simulation sim{{.seed = 1}};
  struct reading {
    std::uint64_t device;
    std::int64_t taken_at_ns;
    double value;
    double battery;
  };
  esm::kinesis_stream<reading> stream{sim, {.shard_count = shards, .retention = esm::retention::until_consumed()}};
  esm::function fn{sim, {.name = "consumer", .default_duration = esm::duration_model::fixed(50ms)}};
  std::uint64_t handled = 0;
  esm::stream_poller poller{
      stream, fn, [&handled](const esm::stream_batch<esm::kinesis_record<reading>>& b) { handled += b.size(); },
      esm::starting_position::trim_horizon()};

  // Ten partition keys per shard, found by routing, so each shard gets exactly its 1,000/s.
  std::vector<std::string> keys(shards * 10);
  std::vector<int> found(shards, 0);
  for (int i = 0, placed = 0; placed < shards * 10; ++i) {
    std::string k = "device-" + std::to_string(i);
    const auto h = esm::hash_key::of_partition_key(k);
    for (int s = 0; s < shards; ++s) {
      if (stream.shard_at(static_cast<std::uint32_t>(s)).range().contains(h) && found[static_cast<std::size_t>(s)] < 10) {
        keys[static_cast<std::size_t>(s * 10 + found[static_cast<std::size_t>(s)]++)] = std::move(k);
        ++placed;
        break;
      }
    }
  }

  // One producer event per record: 100,000 records/s in all, round-robin over the shards.
  const std::uint64_t total = static_cast<std::uint64_t>(minutes) * 60 * shards * rate_per_shard;
  const esm::duration gap = esm::duration{1s} / (shards * rate_per_shard); // 10 µs
  struct context {
    esm::simulation& sim;
    esm::kinesis_stream<reading>& stream;
    const std::vector<std::string>& keys;
    std::uint64_t next;
    std::uint64_t total;
    esm::duration gap;
  } ctx{sim, stream, keys, 0, total, gap};
  struct producer { // one pointer: stored in the event without an allocation
    context* c;
    void operator()() const {
      const std::uint64_t i = c->next++;
      const std::size_t shard = i % shards;
      const std::size_t key = (i / shards) % 10;
      c->stream.put(c->keys[shard * 10 + key],
                    reading{i, c->sim.now().time_since_epoch().count(), static_cast<double>(i % 1000), 0.9});
      if (c->next < c->total) c->sim.schedule_after(c->gap, *this);
    }
  };
  if (total > 0) sim.schedule_at(esm::time_point{}, producer{&ctx});
  sim.run_until_idle();

  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto& m = poller.metrics();
  std::printf("scenario: %d shards x %d min x %d records/s, handler 50 ms, batch 100, until_consumed\n", shards,
              minutes, rate_per_shard);
  std::printf("records put      %llu\n", static_cast<unsigned long long>(stream.metrics().records_put));
  std::printf("records handled  %llu (processed %llu)\n", static_cast<unsigned long long>(handled),
              static_cast<unsigned long long>(m.processed_event_count));
  std::printf("invocations      %llu, max concurrency %d, max iterator age %s\n",
              static_cast<unsigned long long>(m.batches), m.max_concurrency, esm::to_string(m.max_iterator_age).c_str());
  std::printf("events run       %llu, virtual time %s\n", static_cast<unsigned long long>(sim.events_run()),
              esm::to_string(sim.now()).c_str());
  std::printf("wall time        %.2f s\n", wall);
  std::printf("peak RSS         %.1f MiB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);

  // Memory per retained record: 1 M records (32-byte payload, 12-character key) in a 1-shard
  // stream with 24 h retention; heap bytes in use (mallinfo2) before and after, divided by N.
  const auto before = mallinfo2().uordblks;
  std::size_t per_record = 0;
  {
    esm::simulation mem_sim;
    esm::kinesis_stream<reading> mem_stream{mem_sim, {}};
    const std::size_t n = 1'000'000;
    const auto base = mallinfo2().uordblks;
    const std::string key = "customer-042";
    for (std::size_t i = 0; i < n; ++i) mem_stream.put(key, reading{i, 0, 1.0, 1.0});
    per_record = (mallinfo2().uordblks - base) / n;
  }
  std::printf("memory/record    %zu bytes retained per record (payload %zu bytes + %zu); heap back to %+lld bytes\n",
              per_record, sizeof(reading), per_record - sizeof(reading),
              static_cast<long long>(mallinfo2().uordblks) - static_cast<long long>(before));
  return handled == total && per_record <= sizeof(reading) + 48 ? 0 : 1;
}
