#pragma once
/// \file esm/pollers/metrics.hpp
/// The metrics of an event source mapping (spec §6): the `EventCount` group, `IteratorAge` for
/// streams, and concurrency, plus counters the model can add (batches, retries, bisections).

#include <cstdint>

#include <esm/core/time.hpp>

namespace esm {

/// Cumulative metrics of one event source mapping.
struct esm_metrics {
  std::uint64_t polled_event_count = 0;        ///< `PolledEventCount`: records read from the source
  std::uint64_t filtered_out_event_count = 0;  ///< `FilteredOutEventCount`: removed by filter criteria
  std::uint64_t invoked_event_count = 0;       ///< `InvokedEventCount`: records sent to the function; retries count again
  std::uint64_t failed_invoke_event_count = 0; ///< `FailedInvokeEventCount`: records of failed or throttled invocations, and partial-response failures
  std::uint64_t dropped_event_count = 0;       ///< `DroppedEventCount`: discarded by age or retries, not delivered to a destination
  std::uint64_t on_failure_destination_delivered_event_count = 0; ///< `OnFailureDestinationDeliveredEventCount`
  std::uint64_t destination_delivery_failures = 0; ///< `DestinationDeliveryFailures` (function metric in AWS)
  std::uint64_t deleted_event_count = 0;       ///< `DeletedEventCount` (SQS): messages deleted after processing
  std::uint64_t expired_event_count = 0;       ///< read, then removed by retention before processing (AWS counts them nowhere)
  std::uint64_t processed_event_count = 0;     ///< records whose processing succeeded (checkpointed / deleted)
  std::uint64_t batches = 0;                   ///< invocations attempted (throttled ones included)
  std::uint64_t retries = 0;                   ///< re-invocations of the same records after a function error
  std::uint64_t bisections = 0;                ///< batches split in two
  std::uint64_t throttles = 0;                 ///< invocations throttled
  duration iterator_age{};                     ///< `IteratorAge` of the last invocation (last record's age at invoke)
  duration max_iterator_age{};                 ///< largest `IteratorAge` seen
  std::uint64_t stale_receipts = 0;            ///< SQS: messages left out of a batch before its invoke (received again elsewhere, deleted or expired meanwhile)
  std::uint64_t failed_deletes = 0;            ///< SQS: deletes refused for a stale receipt handle (the message was received again meanwhile)
  int target_concurrency = 0;                  ///< SQS: concurrent batches the scaling policy allows now
  int max_target_concurrency = 0;              ///< SQS: largest target so far
  int concurrency = 0;                         ///< invocations in flight now
  int max_concurrency = 0;                     ///< most invocations in flight at once
};

} // namespace esm
