// SQS queue benchmark: 1 M messages (100-byte std::string body), batch 10, empty handler, from
// send to delete.
//
// BM_queue_poller sends the messages to an esm::sqs_queue and lets an esm::queue_poller (default
// policies: on-demand scaling from 5 concurrent batches) deliver them to the handler through an
// esm::function (default: 10 ms per invocation, the account's unreserved pool), until every
// message is deleted. BM_queue_poller_baseline pushes the same messages into a std::deque;
// a receive pops up to 10 of them into an in-flight std::unordered_map keyed by message id, the
// handler gets the batch, and a delete erases each from the map. Items: messages deleted.
// Each pass checks, outside the timing, that every message was deleted.
#include <esm/pollers/queue_poller.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <deque>
#include <limits>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

constexpr int messages = 1'000'000;
constexpr std::size_t batch = 10;

const std::string& body() {
  static const std::string b(100, 'b');
  return b;
}

// Both cases make one untimed pass before timing: the first pass of either in the process pays
// the kernel's first touch of every page it allocates (hundreds of MiB here, slow in a VM), the
// later ones reuse what the allocator kept. Without it, whichever case runs first is charged
// for it and a single-iteration figure is several times too slow. Debug builds (the test
// suite's bench.smoke, whose figures mean nothing) skip it.
#ifdef NDEBUG
constexpr bool warm_up = true;
#else
constexpr bool warm_up = false;
#endif

// One pass through esm; returns the messages deleted (0 if anything is off).
std::uint64_t esm_pass(benchmark::State* state) {
  esm::simulation sim;
  esm::sqs_queue<std::string> queue{sim, esm::sqs_queue_config{.name = "bench"}};
  esm::function fn{sim, {.name = "bench"}};
  esm::queue_poller poller{queue, fn, [](const auto&) {}, esm::batching{.batch_size = static_cast<int>(batch)}};
  for (int i = 0; i < messages; ++i) queue.send(body());
  sim.run_until_idle(std::numeric_limits<std::uint64_t>::max());

  // Outside the timing: the run must have deleted every message, or it measured nothing.
  if (state != nullptr) state->PauseTiming();
  const std::uint64_t n = poller.metrics().deleted_event_count;
  const bool ok = n == static_cast<std::uint64_t>(messages) && queue.metrics().deleted == n && queue.size() == 0;
  if (state != nullptr) state->ResumeTiming();
  return ok ? n : 0; // (the queue, function and simulation are destroyed inside the timing)
}

void BM_queue_poller(benchmark::State& state) {
  if (warm_up && esm_pass(nullptr) == 0) state.SkipWithError("warm-up: not every message was deleted");
  std::uint64_t deleted = 0;
  for (auto _ : state) {
    const std::uint64_t n = esm_pass(&state);
    if (n == 0) {
      state.SkipWithError("not every message was deleted");
      break;
    }
    deleted += n;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(deleted));
}

struct baseline_message {
  std::uint64_t id;
  std::string body;
};

// One pass through the standard library; returns the messages deleted (0 if anything is off).
std::uint64_t baseline_pass(benchmark::State* state) {
  std::deque<baseline_message> queue;
  std::unordered_map<std::uint64_t, baseline_message> in_flight;
  std::uint64_t next_id = 0;
  std::uint64_t seen = 0;
  auto handler = [](const auto&) {};
  std::vector<const baseline_message*> received;
  received.reserve(batch);
  for (int i = 0; i < messages; ++i) queue.push_back({++next_id, body()}); // send
  while (!queue.empty()) {
    received.clear();
    for (std::size_t k = 0; k < batch && !queue.empty(); ++k) { // receive
      const auto [it, inserted] = in_flight.emplace(queue.front().id, std::move(queue.front()));
      queue.pop_front();
      received.push_back(&it->second);
    }
    handler(std::span<const baseline_message* const>{received}); // invoke
    for (const baseline_message* m : received) {                 // delete
      const std::uint64_t id = m->id;                            // (erase would free the key it reads)
      seen += in_flight.erase(id);
    }
  }
  benchmark::DoNotOptimize(seen);

  if (state != nullptr) state->PauseTiming();
  const bool ok = seen == static_cast<std::uint64_t>(messages) && in_flight.empty() && queue.empty();
  if (state != nullptr) state->ResumeTiming();
  return ok ? seen : 0;
}

void BM_queue_poller_baseline(benchmark::State& state) {
  if (warm_up && baseline_pass(nullptr) == 0) state.SkipWithError("warm-up: not every message was deleted");
  std::uint64_t deleted = 0;
  for (auto _ : state) {
    const std::uint64_t n = baseline_pass(&state);
    if (n == 0) {
      state.SkipWithError("not every message was deleted");
      break;
    }
    deleted += n;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(deleted));
}

} // namespace

BENCHMARK(BM_queue_poller)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_queue_poller_baseline)->Unit(benchmark::kMillisecond);
