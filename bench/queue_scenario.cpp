// A large SQS scenario, timed end to end: a backlog of 1,000,000 messages (all in the queue at
// t = 0) drained by an esm::queue_poller with AWS's on-demand scaling (esm::sqs_scaling: 5
// concurrent batches, +300 per minute while a backlog remains, up to 1,250), a handler of 100 ms,
// batch 10, and an account whose concurrency is raised to 2,000 so the function never throttles.
// Prints the wall time, the peak RSS and what the mapping did. The body is a 32-byte order (a
// value type: no allocation per message).
//
// With `fixed`, a user-written scaling policy keeps 1,250 concurrent batches from the start (the
// ceiling, as if the mapping had already scaled up): the backlog is drained by 1,250 concurrent
// batches, which AWS's ramp reaches only with a backlog of about 15.6 M messages.
//
//   build/release/bench/esm_queue_scenario [messages] [fixed]
//
// (Bench code may read the wall clock; the simulation never does.)
#include <esm/pollers/queue_poller.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <malloc.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <type_traits>

using namespace std::chrono_literals;

namespace {

struct order {
  std::uint64_t id;
  std::int64_t placed_at_ns;
  double amount;
  double tax;
};

// Looks at the scaling target once per scaling interval, just after the poller's tick (ticks
// fall on multiples of the interval from t = 0 while the backlog lasts), until every message is
// deleted; remembers when the target first reached the ceiling.
template <class Poller>
struct target_probe { // four words: stored in the event without an allocation
  esm::simulation* sim;
  const Poller* poller;
  std::optional<esm::time_point>* ceiling_at;
  std::uint64_t total;
  void operator()() const {
    if (!*ceiling_at && poller->target_concurrency() >= esm::sqs_scaling::ceiling) *ceiling_at = sim->now();
    if (poller->metrics().deleted_event_count < total) sim->schedule_after(esm::sqs_scaling{}.interval(), *this);
  }
};

// A scaling policy of our own (the extension point of esm::scaling_policy): always n batches.
struct fixed_scaling {
  int n = esm::sqs_scaling::ceiling;
  int initial_concurrency() const { return n; }
  esm::duration interval() const { return 1s; }
  int next_target(const esm::scaling_observation&) const { return n; }
  std::optional<int> concurrency_cap() const { return std::nullopt; }
  void validate(esm::source_kind) const {}
};
static_assert(esm::scaling_policy<fixed_scaling>);

double seconds_of(esm::duration d) { return std::chrono::duration<double>(d).count(); }

} // namespace

int main(int argc, char** argv) {
  const long long arg = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const std::uint64_t total = arg > 0 ? static_cast<std::uint64_t>(arg) : 0;
  const bool fixed = argc > 2 && std::string_view{argv[2]} == "fixed";
  const auto wall_start = std::chrono::steady_clock::now();

  esm::simulation sim{{.seed = 1}};
  esm::account::configure(sim, {.concurrency_limit = 2000});
  esm::sqs_queue<order> queue{sim, esm::sqs_queue_config{.name = "orders"}}; // visibility timeout 30 s
  esm::function fn{sim, {.name = "consumer", .timeout = 30s}};

  // The backlog, in the queue at t = 0.
  const auto heap_before = mallinfo2().uordblks;
  for (std::uint64_t i = 0; i < total; ++i) queue.send(order{i, 0, static_cast<double>(i % 1000), 0.2});
  const auto heap_after = mallinfo2().uordblks;

  esm::time_point drained{}; // when the last batch completed (handler start + 100 ms)
  auto handler = [&drained](const auto& batch, esm::invocation_context& ctx) {
    (void)batch;
    ctx.elapse(100ms);
    if (ctx.now() > drained) drained = ctx.now();
  };
  std::optional<esm::time_point> ceiling_at;
  esm::esm_metrics m;
  auto run = [&](auto& poller) {
    sim.schedule_at(esm::time_point{} + esm::sqs_scaling{}.interval() + 1ns,
                    target_probe<std::remove_cvref_t<decltype(poller)>>{&sim, &poller, &ceiling_at, total});
    sim.run_until_idle();
    m = poller.metrics();
  };
  if (fixed) {
    esm::queue_poller poller{queue, fn, handler, esm::batching{.batch_size = 10}, fixed_scaling{}};
    run(poller);
  } else {
    esm::queue_poller poller{queue, fn, handler, esm::batching{.batch_size = 10}, esm::sqs_scaling{}};
    run(poller);
  }

  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto& q = queue.metrics();
  std::printf("scenario: backlog of %llu messages at t=0, %s, handler 100 ms, batch 10\n",
              static_cast<unsigned long long>(total),
              fixed ? "1,250 concurrent batches from the start (fixed_scaling)"
                    : "sqs_scaling (5 -> +300/min -> 1,250)");
  std::printf("messages deleted %llu (sent %llu, received %llu, returned %llu)\n",
              static_cast<unsigned long long>(m.deleted_event_count), static_cast<unsigned long long>(q.sent),
              static_cast<unsigned long long>(q.received), static_cast<unsigned long long>(q.returned));
  std::printf("invocations      %llu (function: %llu, throttles %llu)\n", static_cast<unsigned long long>(m.batches),
              static_cast<unsigned long long>(fn.metrics().invocations),
              static_cast<unsigned long long>(fn.metrics().throttles));
  std::printf("drained at       %.3f s virtual\n", seconds_of(drained.time_since_epoch()));
  std::printf("max concurrency  %d batches (max target %d)\n", m.max_concurrency, m.max_target_concurrency);
  if (ceiling_at) {
    std::printf("target 1,250 at  %.1f s virtual\n", seconds_of(ceiling_at->time_since_epoch()));
  } else {
    std::printf("target 1,250 at  never: the backlog was gone first (max target %d)\n", m.max_target_concurrency);
  }
  std::printf("events run       %llu, virtual time at idle %s\n", static_cast<unsigned long long>(sim.events_run()),
              esm::to_string(sim.now()).c_str());
  std::printf("wall time        %.2f s\n", wall);
  std::printf("peak RSS         %.1f MiB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);
  if (total > 0) {
    std::printf("memory/message   %llu bytes of heap per stored message (body %zu bytes)\n",
                static_cast<unsigned long long>((heap_after - heap_before) / total), sizeof(order));
  }
  return m.deleted_event_count == total && q.deleted == total && queue.size() == 0 ? 0 : 1;
}
