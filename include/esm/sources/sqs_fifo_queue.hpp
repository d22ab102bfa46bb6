#pragma once
/// \file esm/sources/sqs_fifo_queue.hpp
/// An SQS FIFO queue (spec §3.6, §8): each message group is delivered in order; a group is
/// locked while any of its messages is in flight (received, not deleted, not visible again); a
/// deduplication id (given, or the SHA-256 of the body with content-based deduplication) is
/// remembered for 5 minutes; messages carry sequence numbers; at most 20,000 are in flight; a
/// receive looks through the first 20,000 stored messages for available groups; the dead-letter
/// queue of a FIFO queue is a FIFO queue.
///
/// ```cpp
/// esm::sqs_fifo_queue<std::string> q{sim, "orders.fifo"};
/// q.send("a", {.group_id = "customer-1", .deduplication_id = "a-1"});
/// ```

#include <esm/sources/sqs_queue.hpp>

namespace esm {

/// An SQS FIFO queue of messages carrying `Body`.
template <class Body>
using sqs_fifo_queue = basic_sqs_queue<Body, true>;

} // namespace esm
