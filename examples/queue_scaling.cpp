// esm example: how fast the SQS pollers scale up to drain a backlog (spec §3.1, §3.2).
//
//   SQS "jobs": 100,000 messages     esm::queue_poller (BatchSize 10)       function "work"
//   waiting at t = 0                 ────────────────────────────────       ───────────────
//                           ───────▶ 5 concurrent batches at start, ──────▶ 1 s per batch
//                                    one more per scaling step while       (10 messages/s per
//                                    messages remain                        concurrent batch)
//
// Three mappings drain the same backlog:
//   esm::sqs_scaling        AWS since Nov 6, 2023: +300 concurrent batches per minute, up to 1,250
//   esm::sqs_scaling_2022   AWS until Nov 5, 2023: +60 per minute, up to 1,000
//   MaximumConcurrency 100  today's scaling, capped: the mapping stops reading at 100 batches
// The account's concurrency limit is raised to 2,000 so that no invocation is throttled (a
// throttle would lower the target and blur the curve); the function has no reserved concurrency.

#include <esm/esm.hpp>
#include <esm/fmt.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/sources/sqs_queue.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

using queue_type = esm::sqs_queue<int>;
using batch_type = esm::queue_batch<queue_type::message_type>;

constexpr int backlog = 100'000;
constexpr auto step = 30s;

struct sample {
  int target = 0;       // concurrent batches the scaling policy allows
  int in_flight = 0;    // invocations running
  std::size_t left = 0; // messages still in the queue
};
struct run_result {
  std::vector<sample> samples; // every 30 s, from t = 30 s until the queue is empty
  esm::duration drain{};       // when the last batch completed
  int max_concurrency = 0;
  std::uint64_t deleted = 0;
  std::uint64_t throttles = 0;
};

template <class Scaling>
run_result run(Scaling scaling) {
  esm::simulation sim{{.seed = 3}};
  esm::account::configure(sim, {.concurrency_limit = 2000});
  queue_type q{sim, "jobs"};
  esm::function fn{sim, {.name = "work", .timeout = 5s}};
  for (int i = 0; i < backlog; ++i) q.send(i);

  run_result out;
  esm::time_point last_done{};
  auto handler = [&](const batch_type&, esm::invocation_context& ctx) {
    ctx.elapse(1s);
    last_done = std::max(last_done, ctx.now());
  };
  esm::queue_poller poller{q, fn, handler, scaling};
  for (esm::time_point t = esm::time_point{} + step; q.size() > 0; t += step) {
    sim.advance_to(t);
    out.samples.push_back({poller.target_concurrency(), poller.metrics().concurrency, q.size()});
  }
  out.drain = last_done - esm::time_point{};
  out.max_concurrency = poller.metrics().max_concurrency;
  out.deleted = q.metrics().deleted;
  out.throttles = fn.metrics().throttles;
  return out;
}

std::string cell(const run_result& r, std::size_t i) {
  // Once the queue is empty the curve ends (the mapping then scales back down, as it goes idle).
  if (i >= r.samples.size() || r.samples[i].left == 0) return fmt::format("{:>22}", "drained");
  const auto& s = r.samples[i];
  return fmt::format("{:>5} {:>6} {:>9}", s.target, s.in_flight, s.left);
}

} // namespace

int main() {
  fmt::print("SQS 'jobs': a backlog of 100,000 messages, BatchSize 10, 1 s per batch; account concurrency\n");
  fmt::print("limit raised to 2,000 so that no invocation is throttled.\n\n");

  const auto now = run(esm::sqs_scaling{});
  const auto old = run(esm::sqs_scaling_2022{});
  const auto capped = run(esm::sqs_scaling{.maximum_concurrency = 100});

  fmt::print("          {:^22}   {:^22}   {:^22}\n", "sqs_scaling (2023)", "sqs_scaling_2022",
             "MaximumConcurrency 100");
  fmt::print("   time   {0:>5} {1:>6} {2:>9}   {0:>5} {1:>6} {2:>9}   {0:>5} {1:>6} {2:>9}\n", "target", "in-flt",
             "left");
  const std::size_t rows = std::max({now.samples.size(), old.samples.size(), capped.samples.size()});
  for (std::size_t i = 0; i < rows; ++i) {
    fmt::print("  {:>4}s   {}   {}   {}\n", (i + 1) * 30, cell(now, i), cell(old, i), cell(capped, i));
  }
  auto secs = [](esm::duration d) { return std::chrono::duration<double>(d).count(); };
  fmt::print("\n  time to drain:   {:>7.1f}s {:>24.1f}s {:>24.1f}s\n", secs(now.drain), secs(old.drain),
             secs(capped.drain));
  fmt::print("  max concurrency: {:>7} {:>25} {:>25}\n", now.max_concurrency, old.max_concurrency,
             capped.max_concurrency);
  fmt::print("  throttles:       {:>7} {:>25} {:>25}\n", now.throttles, old.throttles, capped.throttles);
  fmt::print("\nOne more concurrent batch per step while messages remain: a step is 200 ms since Nov 2023\n");
  fmt::print("(+300/min) and 1 s before (+60/min). Each batch moves 10 messages/s, so the backlog falls\n");
  fmt::print("quadratically; with MaximumConcurrency 100 the ramp stops at 100 batches = 1,000 messages/s.\n");

  // What the AWS documentation predicts (§3.1, §3.2): +300 per minute gives a target of
  // 5 + 150 = 155 after 30 s, +60 per minute 5 + 30 = 35; the old rate drains far later; the cap
  // holds concurrency at 100. Every message is deleted once, and nothing is throttled.
  const bool ok = now.samples.size() >= 2 && !old.samples.empty() && !capped.samples.empty() &&
                  now.samples[0].target == 155 && old.samples[0].target == 35 && capped.samples[0].target == 100 &&
                  capped.max_concurrency == 100 && now.drain < old.drain && now.drain < capped.drain &&
                  now.deleted == backlog && old.deleted == backlog && capped.deleted == backlog &&
                  now.throttles + old.throttles + capped.throttles == 0;
  if (!ok) fmt::print("\nUNEXPECTED: the outcome differs from what the AWS documentation predicts\n");
  return ok ? 0 : 1;
}
