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
//
// BM_queue_poller_filtered: the same with FilterCriteria (spec §5) on ~200-byte JSON bodies, a
// 3-condition pattern that keeps half of them; filtered messages are deleted by the mapping.
// BM_queue_poller_filtered_baseline adds to the baseline a hand-written filter: nlohmann::json
// parse of each received body and the same three comparisons; a dropped message is erased at
// once. Items: messages deleted (processed or filtered).
#include <esm/filter/criteria.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <limits>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace {


const std::string& body() {
  static const std::string b(100, 'b');
  return b;
}

// ~200-byte JSON bodies for the filtered cases: the first keeps (order, price > 100, eu-), the
// second fails on its type.
const std::string& json_body(int i) {
  static const std::string keep =
      R"({"id":"ord-482913","type":"order","price":249.5,"region":"eu-west-1","customer":{"name":"Ada )"
      R"(Lovelace","tier":"gold"},"items":[{"sku":"SKU-1201","qty":2},{"sku":"SKU-77","qty":1}]})";
  static const std::string drop =
      R"({"id":"ord-482914","type":"quote","price":249.5,"region":"eu-west-1","customer":{"name":"Ada )"
      R"(Lovelace","tier":"gold"},"items":[{"sku":"SKU-1201","qty":2},{"sku":"SKU-77","qty":1}]})";
  return i % 2 == 0 ? keep : drop;
}
constexpr const char* filter_pattern =
    R"({"body":{"type":["order"],"price":[{"numeric":[">",100]}],"region":[{"prefix":"eu-"}]}})";

// Both cases make one untimed pass before timing: the first pass of either in the process pays
// the kernel's first touch of every page it allocates (hundreds of MiB here, slow in a VM), the
// later ones reuse what the allocator kept. Without it, whichever case runs first is charged
// for it and a single-iteration figure is several times too slow. Debug builds (the test
// suite's bench.smoke, whose figures mean nothing) skip it.
#ifdef NDEBUG
constexpr bool warm_up = true;
constexpr int messages = 1'000'000;
#else
constexpr bool warm_up = false;
constexpr int messages = 50'000; // debug builds only smoke-test the cases
#endif
constexpr std::size_t batch = 10;

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

// One filtered pass through esm; returns the messages deleted or filtered (0 if anything is off).
std::uint64_t esm_filtered_pass(benchmark::State* state) {
  esm::simulation sim;
  esm::sqs_queue<std::string> queue{sim, esm::sqs_queue_config{.name = "bench"}};
  esm::function fn{sim, {.name = "bench"}};
  esm::queue_poller poller{queue, fn, [](const auto&) {}, esm::batching{.batch_size = static_cast<int>(batch)},
                           esm::filter_criteria{filter_pattern}};
  for (int i = 0; i < messages; ++i) queue.send(json_body(i));
  sim.run_until_idle(std::numeric_limits<std::uint64_t>::max());

  if (state != nullptr) state->PauseTiming();
  const auto& m = poller.metrics();
  const std::uint64_t n = m.deleted_event_count + m.filtered_out_event_count;
  const bool ok = n == static_cast<std::uint64_t>(messages) && m.filtered_out_event_count == messages / 2 &&
                  queue.metrics().deleted == n && queue.size() == 0;
  if (state != nullptr) state->ResumeTiming();
  return ok ? n : 0;
}

struct baseline_message {
  std::uint64_t id;
  std::string body;
};

// The hand-written filter of the filtered baseline: parse, then the pattern's three conditions.
bool baseline_keeps(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  const auto type = j.find("type");
  const auto price = j.find("price");
  const auto region = j.find("region");
  return type != j.end() && type->is_string() && type->get_ref<const std::string&>() == "order" &&
         price != j.end() && price->is_number() && price->get<double>() > 100 && region != j.end() &&
         region->is_string() && region->get_ref<const std::string&>().starts_with("eu-");
}

// One pass through the standard library; returns the messages deleted (0 if anything is off).
template <bool Filtered = false>
std::uint64_t baseline_pass(benchmark::State* state) {
  std::deque<baseline_message> queue;
  std::unordered_map<std::uint64_t, baseline_message> in_flight;
  std::uint64_t next_id = 0;
  std::uint64_t seen = 0;
  auto handler = [](const auto&) {};
  std::vector<const baseline_message*> received;
  received.reserve(batch);
  for (int i = 0; i < messages; ++i) queue.push_back({++next_id, Filtered ? json_body(i) : body()}); // send
  while (!queue.empty()) {
    received.clear();
    for (std::size_t k = 0; k < batch && !queue.empty(); ++k) { // receive
      const auto [it, inserted] = in_flight.emplace(queue.front().id, std::move(queue.front()));
      queue.pop_front();
      if constexpr (Filtered) {
        if (!baseline_keeps(it->second.body)) { // filtered: deleted at once
          in_flight.erase(it);
          ++seen;
          continue;
        }
      }
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

// Times `pass` (a warm-up pass first in release builds); items: messages deleted. A pass returns
// 0 when its outcome was not the expected one, which stops the case with an error.
template <std::uint64_t (*Pass)(benchmark::State*)>
void run_passes(benchmark::State& state) {
  if (warm_up && Pass(nullptr) == 0) state.SkipWithError("warm-up: not every message was deleted");
  std::uint64_t deleted = 0;
  for (auto _ : state) {
    const std::uint64_t n = Pass(&state);
    if (n == 0) {
      state.SkipWithError("not every message was deleted");
      break;
    }
    deleted += n;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(deleted));
}

void BM_queue_poller(benchmark::State& state) { run_passes<esm_pass>(state); }
void BM_queue_poller_baseline(benchmark::State& state) { run_passes<baseline_pass<false>>(state); }
void BM_queue_poller_filtered(benchmark::State& state) { run_passes<esm_filtered_pass>(state); }
void BM_queue_poller_filtered_baseline(benchmark::State& state) { run_passes<baseline_pass<true>>(state); }

} // namespace

BENCHMARK(BM_queue_poller)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_queue_poller_baseline)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_queue_poller_filtered)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_queue_poller_filtered_baseline)->Unit(benchmark::kMillisecond);
