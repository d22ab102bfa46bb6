// esm demo: a Lambda function with reserved concurrency 2 receives 10 invocations.
//
//   caller (one order every 100 ms)          esm::function "orders"
//   ─────────────────────────────────         ─────────────────────────────────────
//   invoke(order #n) ──────────────────────▶  2 concurrent executions at most
//        ▲                                    cold start 300 ms for a new environment
//        │ throttled: retry 400 ms later      handler models 250 ms of work
//        └─────────────────────────────────   order #7 throws: a function error
//
// Everything runs in virtual time on one esm::simulation: the whole scenario takes
// microseconds of real time and prints the same timeline on every run.

#include <esm/esm.hpp>
#include <esm/fmt.hpp>

#include <fmt/core.h>

#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct order {
  int number;
};

std::string clock(esm::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return fmt::format("{:>2}.{:03}s", ms / 1000, ms % 1000);
}

} // namespace

int main() {
  esm::simulation sim{{.seed = 2026}};
  esm::function fn{sim,
                   {.name = "orders",
                    .timeout = 1s,
                    .reserved_concurrency = 2,
                    .cold_start = esm::cold_start_model{.init = esm::duration_model::fixed(300ms)}}};

  // The handler: what a user writes. It states how long it works with ctx.elapse.
  auto handler = [](const order& o, esm::invocation_context& ctx) {
    ctx.elapse(250ms);
    if (o.number == 7) throw std::runtime_error("order 7: payment service rejected the card");
  };

  fmt::print("esm demo: function 'orders' (timeout 1s, reserved concurrency 2, cold start 300ms)\n");
  fmt::print("10 invocations, one every 100ms; the handler works 250ms; order #7 throws;\n");
  fmt::print("a throttled invocation is retried 400ms later.\n\n");
  fmt::print("  {:>7}  {:<8}  {:<6}  {}\n", "time", "order", "event", "detail");

  std::vector<order> orders;
  for (int i = 1; i <= 10; ++i) orders.push_back(order{i});

  // invoke_order is called by scheduled events: at arrival and at each retry after a throttle.
  std::function<void(order&, int)> invoke_order = [&](order& o, int attempt) {
    const auto cold_before = fn.metrics().cold_starts;
    const bool started =
        fn.invoke(o, handler,
                  [&, attempt](const esm::invocation_result& r) {
                    const std::string who = fmt::format("#{}", o.number);
                    switch (r.kind) {
                    case esm::outcome::throttled:
                      fmt::print("  {}  {:<8}  {:<6}  throttled ({}), retry at {}\n", clock(sim.now()), who, "429",
                                 r.error_type, clock(sim.now() + 400ms));
                      sim.schedule_after(400ms, [&, attempt] { invoke_order(o, attempt + 1); });
                      break;
                    case esm::outcome::success:
                      fmt::print("  {}  {:<8}  {:<6}  success after {} (request {})\n", clock(sim.now()), who, "done",
                                 esm::pretty(r.run_time), r.request_id().substr(0, 8));
                      break;
                    default:
                      fmt::print("  {}  {:<8}  {:<6}  {}: {}: {}\n", clock(sim.now()), who, "ERROR", r.kind,
                                 r.error_type, r.error_message);
                      break;
                    }
                  },
                  {.attempt = attempt});
    if (started) {
      const bool cold = fn.metrics().cold_starts > cold_before;
      fmt::print("  {}  {:<8}  {:<6}  running {}/2{}\n", clock(sim.now()), fmt::format("#{}", o.number), "start",
                 fn.concurrent_executions(), cold ? ", cold start: 300ms init before the handler" : ", warm");
    }
  };

  for (auto& o : orders) {
    sim.schedule_at(esm::time_point{} + (o.number - 1) * 100ms, [&] { invoke_order(o, 1); });
  }
  sim.run_until_idle();

  const auto& m = fn.metrics();
  fmt::print("\nall done at {} of virtual time ({} events)\n", clock(sim.now()), sim.events_run());
  fmt::print("metrics: Invocations={} Errors={} Throttles={} ConcurrentExecutions(max)={} ColdStarts={} "
             "Duration(mean)={}\n",
             m.invocations, m.errors, m.throttles, m.max_concurrent_executions, m.cold_starts,
             esm::pretty(m.duration.mean()));
  // The invariant a reader can check: every order was invoked until it ran once.
  return m.invocations == 10 && m.errors == 1 ? 0 : 1;
}
