// Tests of esm/sources/detail/sqs_waiters.hpp: a long poll times out after its wait, a served
// one is taken once and its timeout cancelled, a pass serves the oldest waiters first while
// messages remain and never inside the call that asked for it, and a queue going away cancels
// everything. Spec: aws-esm-semantics.md §8 (ReceiveMessage WaitTimeSeconds, long polling).
#include <esm/sources/detail/sqs_waiters.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "support/catch.hpp"

using namespace std::chrono_literals;
using esm::time_point;
using waiters = esm::detail::sqs_waiters<esm::sqs_message<std::string>>;

namespace {
time_point at(esm::duration d) { return time_point{} + d; }
} // namespace

TEST_CASE("§8 a long poll times out after its wait; a served one is taken once and its timeout cancelled",
          "[sources][sqs_waiters][spec-8]") {
  esm::simulation sim;
  waiters w;
  std::vector<std::pair<std::uint64_t, time_point>> timeouts;
  const auto on_timeout = [&](std::uint64_t id, bool timed_out) {
    CHECK(timed_out);
    timeouts.emplace_back(id, sim.now());
    CHECK(w.take(sim, id, true));
  };
  const auto a = w.add(sim, 10, {}, [](auto) {}, 20s, on_timeout);
  const auto b = w.add(sim, 1, {}, [](auto) {}, 5s, on_timeout);
  CHECK(a != b);
  CHECK(w.size() == 2);
  const auto taken = w.take(sim, a, false); // served before its wait ran out
  REQUIRE(taken);
  CHECK(taken->max == 10);
  CHECK_FALSE(w.take(sim, a, false)); // served once only
  sim.run_until_idle();
  CHECK(timeouts == std::vector<std::pair<std::uint64_t, time_point>>{{b, at(5s)}}); // a's timeout was cancelled
  CHECK(w.size() == 0);
}

TEST_CASE("§8 a pass serves the oldest long polls first while messages remain, after the call that asked",
          "[sources][sqs_waiters][spec-8]") {
  esm::simulation sim;
  waiters w;
  int messages = 2;
  std::vector<std::uint64_t> served;
  const auto serve = [&](std::uint64_t id, bool timed_out) {
    auto x = w.take(sim, id, timed_out);
    if (!x) return;
    if (!timed_out) {
      served.push_back(id);
      --messages;
    }
  };
  const auto first = w.add(sim, 1, {}, [](auto) {}, 20s, serve);
  const auto second = w.add(sim, 1, {}, [](auto) {}, 20s, serve);
  (void)w.add(sim, 1, {}, [](auto) {}, 20s, serve);
  const auto receivable = [&] { return messages > 0; };
  w.request_pass(sim, receivable, serve);
  w.request_pass(sim, receivable, serve); // one pass is pending already
  CHECK(served.empty());                  // not inside the call
  sim.advance_to(at(0s));
  CHECK(served == std::vector<std::uint64_t>{first, second});
  CHECK(w.size() == 1); // the third waits on, and times out at 20 s
  sim.run_until_idle();
  CHECK(w.size() == 0);
  CHECK(sim.now() == at(20s));
}

TEST_CASE("a queue going away cancels its long polls: no callback runs", "[sources][sqs_waiters]") {
  esm::simulation sim;
  int calls = 0;
  {
    waiters w;
    const auto serve = [&](std::uint64_t, bool) { ++calls; };
    (void)w.add(sim, 1, {}, [](auto) {}, 3s, serve);
    w.request_pass(sim, [] { return true; }, serve);
    w.cancel_all(sim);
  }
  CHECK(sim.run_until_idle() == 0);
  CHECK(calls == 0);
}
