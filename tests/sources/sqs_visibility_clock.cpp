// Tests of esm/sources/detail/sqs_visibility_clock.hpp: expiries come out in (time, sequence)
// order whether they sit in the ring (the queue's own timeout) or the heap (delays, changed
// timeouts), invalid ones are skipped, nothing is popped before its time, and the wake-up timer is
// one event that can be moved and cancelled. Spec: aws-esm-semantics.md §3.3 (visibility timeout),
// §8 (DelaySeconds, ChangeMessageVisibility).
#include <esm/sources/detail/sqs_visibility_clock.hpp>

#include <cstdint>
#include <set>
#include <vector>

#include "support/catch.hpp"

using namespace std::chrono_literals;
using esm::time_point;
using esm::detail::sqs_expiry;

namespace {
time_point at(esm::duration d) { return time_point{} + d; }

struct validity {
  std::set<std::uint32_t> void_slots; // slots whose expiry was voided (deleted, re-scheduled)
  bool operator()(const sqs_expiry& e) const { return !void_slots.contains(e.slot); }
};
} // namespace

TEST_CASE("§3.3 expiries leave the visibility clock in time order, ties in sending order, from ring and heap alike",
          "[sources][sqs_visibility_clock][spec-3.3]") {
  esm::detail::sqs_visibility_clock clock;
  const validity valid;
  clock.push({at(30s), 1, 1, 1}, true);
  clock.push({at(31s), 2, 2, 1}, true);
  clock.push({at(10s), 3, 3, 1}, false); // a delay: earlier than the ring's front
  clock.push({at(30s), 0, 4, 1}, false); // same time as slot 1, sent earlier
  clock.push({at(20s), 5, 5, 1}, true);  // out of order for the ring: goes to the heap
  CHECK(clock.earliest_time(valid) == at(10s));
  std::vector<std::uint32_t> order;
  while (const auto e = clock.pop_due(at(1h), valid)) order.push_back(e->slot);
  CHECK(order == std::vector<std::uint32_t>{3, 5, 4, 1, 2});
  CHECK(clock.earliest_time(valid) == time_point::max());
  CHECK_FALSE(clock.pop_due(at(1h), valid));
}

TEST_CASE("§3.3 nothing is released before its time; voided expiries are skipped",
          "[sources][sqs_visibility_clock][spec-3.3]") {
  esm::detail::sqs_visibility_clock clock;
  validity valid;
  clock.push({at(5s), 1, 1, 1}, true);
  clock.push({at(6s), 2, 2, 1}, true);
  clock.push({at(7s), 3, 3, 1}, false);
  CHECK_FALSE(clock.pop_due(at(4s), valid));
  valid.void_slots = {1, 3}; // slot 1 deleted, slot 3 re-scheduled
  CHECK(clock.earliest_time(valid) == at(6s));
  CHECK_FALSE(clock.pop_due(at(5s), valid));
  const auto e = clock.pop_due(at(6s), valid);
  REQUIRE(e);
  CHECK(e->slot == 2);
  CHECK(clock.earliest_time(valid) == time_point::max()); // slot 3's entry is void too
}

TEST_CASE("the visibility clock keeps one wake-up event: re-arming moves it, disarming cancels it",
          "[sources][sqs_visibility_clock]") {
  esm::simulation sim;
  esm::detail::sqs_visibility_clock clock;
  std::vector<time_point> woke;
  const auto wake = [&] { woke.push_back(sim.now()); };
  CHECK(clock.armed_at() == time_point::max());
  clock.arm(sim, at(10s), wake);
  clock.arm(sim, at(4s), wake); // replaces the 10 s event
  CHECK(clock.armed_at() == at(4s));
  CHECK(sim.pending_events() == 1);
  sim.run_until_idle();
  CHECK(woke == std::vector<time_point>{at(4s)});
  CHECK(clock.armed_at() == time_point::max()); // marked fired before wake() ran
  clock.arm(sim, at(20s), wake);
  clock.disarm(sim);
  CHECK(clock.armed_at() == time_point::max());
  sim.run_until_idle();
  CHECK(woke.size() == 1);
  clock.arm(sim, time_point::max(), wake); // "never": no event
  CHECK(sim.pending_events() == 0);
}
