// Tests of esm/sources/detail/sqs_fifo_delivery.hpp's message groups (detail::sqs_fifo_groups):
// a group is available while it has a visible message and none in flight, and the count of
// available groups follows every change of state. The FIFO discipline as a whole (ordered scan,
// deduplication, redrive) is tested through the queue in sqs_fifo_queue.cpp, and the standard
// one (esm/sources/detail/sqs_standard_delivery.hpp) in sqs_queue.cpp.
// Spec: aws-esm-semantics.md §3.6 (message groups, group lock).
#include <esm/sources/detail/sqs_fifo_delivery.hpp>

#include "support/catch.hpp"

using esm::detail::sqs_slot_state;

TEST_CASE("§3.6 a message group is available while it has a visible message and none in flight",
          "[sources][sqs_fifo_delivery][spec-3.6]") {
  esm::detail::sqs_fifo_groups groups;
  const auto a = groups.of("a");
  const auto b = groups.of("b");
  CHECK(groups.of("a") == a); // one index per group id
  CHECK(a != b);
  CHECK(groups.size() == 2);
  CHECK(groups.available() == 0);
  CHECK(groups.transition(a, sqs_slot_state::free, sqs_slot_state::visible)); // became available
  CHECK_FALSE(groups.transition(a, sqs_slot_state::free, sqs_slot_state::visible)); // was already
  CHECK_FALSE(groups.transition(b, sqs_slot_state::free, sqs_slot_state::delayed)); // delayed: not available
  CHECK(groups.available() == 1);
  CHECK_FALSE(groups.transition(a, sqs_slot_state::visible, sqs_slot_state::in_flight)); // locked
  CHECK(groups.available() == 0);
  CHECK(groups[a].in_flight == 1);
  CHECK(groups[a].visible == 1);
  CHECK(groups.transition(b, sqs_slot_state::delayed, sqs_slot_state::visible));
  CHECK(groups.available() == 1);
  // The in-flight message is deleted: the group unlocks with its other visible message.
  CHECK(groups.transition(a, sqs_slot_state::in_flight, sqs_slot_state::free));
  CHECK(groups.available() == 2);
  CHECK_FALSE(groups.transition(a, sqs_slot_state::visible, sqs_slot_state::free)); // emptied
  CHECK(groups.available() == 1);
}
