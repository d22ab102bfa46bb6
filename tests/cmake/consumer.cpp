// A program a user of esm would write: one simulation, one function, fmt output.
#include <esm/esm.hpp>
#include <esm/fmt.hpp>

#include <fmt/core.h>

int main() {
  using namespace std::chrono_literals;
  esm::simulation sim{{.seed = 7}};
  esm::function fn{sim, {.name = "consumer", .reserved_concurrency = 1}};
  int event = 0;
  auto handler = [](const int&, esm::invocation_context& ctx) { ctx.elapse(100ms); };
  int successes = 0, throttles = 0;
  auto done = [&](const esm::invocation_result& r) {
    successes += r.kind == esm::outcome::success;
    throttles += r.kind == esm::outcome::throttled;
  };
  fn.invoke(event, handler, done);
  fn.invoke(event, handler, done);
  sim.run_until_idle();
  fmt::print("esm {}.{}.{}: {} success, {} throttle at {}\n", esm::version.major, esm::version.minor,
             esm::version.patch, successes, throttles, sim.now());
  return successes == 1 && throttles == 1 && sim.now() == esm::time_point{} + 100ms ? 0 : 1;
}
