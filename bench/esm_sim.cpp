// esm-sim's engine against a hand-written program that runs the same simulation on the library:
// examples/scenarios/capacity-10-shards.json (10 shards × 1,000 records/s, batch 100,
// ParallelizationFactor 2, a 100 ms handler, until_consumed retention), `minutes` of virtual time,
// sampled every 30 s. The hand-written program has no scenario file, no generality, and does the
// same observable work: one producer event per record, a uniform key among 10,000, the handler
// keeping every invocation's IteratorAge. Prints both wall times and the ratio.
//
//   build/release/bench/esm_sim_bench [minutes]        (default 60: 36 M records)
//
// (Bench code may read the wall clock; the simulation never does.)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <esm/lambda/function.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>

#include "run.hpp"
#include "scenario.hpp"

using namespace std::chrono_literals;
using wall = std::chrono::steady_clock;

namespace {

struct reading {
  std::uint64_t id;
  std::size_t payload_bytes() const noexcept { return 200; }
};

struct hand_written_result {
  std::uint64_t records = 0;
  std::uint64_t processed = 0;
  std::uint64_t invocations = 0;
};

hand_written_result hand_written(int minutes) {
  esm::simulation sim{{.seed = 1}};
  esm::kinesis_stream<reading> stream{sim, {.name = "telemetry", .shard_count = 10, .retention = esm::retention::until_consumed()}};
  esm::function fn{sim, {.name = "telemetry-consumer", .timeout = 30s, .default_duration = esm::duration_model::fixed(100ms)}};
  std::vector<std::int64_t> ages;
  auto handler = [&ages](const esm::stream_batch<esm::kinesis_record<reading>>& b, esm::invocation_context& ctx) {
    ages.push_back((ctx.now() - b.back().arrival).count());
  };
  esm::stream_poller poller{stream,
                            fn,
                            handler,
                            esm::batching{.batch_size = 100},
                            esm::parallelization{.factor = 2},
                            esm::starting_position::trim_horizon()};

  std::vector<std::string> keys;
  for (int k = 0; k < 10'000; ++k) keys.push_back("device-" + std::to_string(k));
  struct context {
    esm::simulation& sim;
    esm::kinesis_stream<reading>& stream;
    const std::vector<std::string>& keys;
    esm::random_stream rng;
    std::uint64_t next;
    std::uint64_t total;
  } ctx{sim, stream, keys, sim.rng("producer"), 0, static_cast<std::uint64_t>(minutes) * 60 * 10'000};
  struct producer {
    context* c;
    void operator()() const {
      const std::uint64_t i = c->next++;
      c->stream.put(c->keys[c->rng.uniform_int(0, 9'999)], reading{i});
      if (c->next < c->total) c->sim.schedule_at(esm::time_point{} + esm::duration{100us} * static_cast<esm::duration::rep>(c->next), *this);
    }
  };
  if (ctx.total > 0) sim.schedule_at(esm::time_point{}, producer{&ctx});
  for (int s = 1; s <= minutes * 2; ++s) {
    sim.run_until(esm::time_point{} + 30s * s);
    (void)poller.metrics(); // a sample, as esm-sim takes one
  }
  return {stream.metrics().records_put, poller.metrics().processed_event_count, fn.metrics().invocations};
}

} // namespace

int main(int argc, char** argv) {
  const int minutes = argc > 1 ? std::atoi(argv[1]) : 60;
  if (minutes < 1) {
    std::fprintf(stderr, "usage: esm_sim_bench [minutes >= 1]\n");
    return 2;
  }
  auto doc = esm_sim::load_json(ESM_SCENARIOS_DIR "/capacity-10-shards.json");
  esm_sim::apply_override(doc, "duration=" + std::to_string(minutes) + "min");
  esm_sim::apply_override(doc, "sample_interval=30s");
  const auto s = esm_sim::parse_scenario(doc);

  const auto t0 = wall::now();
  const auto r = esm_sim::run_scenario(s);
  const auto t1 = wall::now();
  const auto h = hand_written(minutes);
  const auto t2 = wall::now();

  const double sim_s = std::chrono::duration<double>(t1 - t0).count();
  const double hand_s = std::chrono::duration<double>(t2 - t1).count();
  std::printf("capacity-10-shards, %d simulated min: %llu records\n", minutes, static_cast<unsigned long long>(r.records_in));
  std::printf("  esm-sim engine    %6.2f s  (%llu processed, %llu invocations, %.1f M records/s)\n", sim_s,
              static_cast<unsigned long long>(r.processed), static_cast<unsigned long long>(r.invocations),
              static_cast<double>(r.records_in) / sim_s / 1e6);
  std::printf("  hand-written      %6.2f s  (%llu processed, %llu invocations, %.1f M records/s)\n", hand_s,
              static_cast<unsigned long long>(h.processed), static_cast<unsigned long long>(h.invocations),
              static_cast<double>(h.records) / hand_s / 1e6);
  std::printf("  ratio             %6.2f  (esm-sim's throughput / the hand-written program's)\n", hand_s / sim_s);
  return r.records_in == h.records ? 0 : 1;
}
