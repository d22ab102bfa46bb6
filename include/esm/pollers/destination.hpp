#pragma once
/// \file esm/pollers/destination.hpp
/// The on-failure destination of a stream event source mapping (spec §2.6, shape §4.6): when
/// retries or record age run out, Lambda discards the batch and sends an invocation record,
/// metadata only, to the destination, then moves on.

#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <esm/core/source_kind.hpp>
#include <esm/core/time.hpp>

namespace esm {

/// Why a batch was discarded (`requestContext.condition`).
enum class discard_condition : std::uint8_t {
  retry_attempts_exhausted, ///< `RetryAttemptsExhausted`: MaximumRetryAttempts used up
  record_age_exceeded,      ///< `RecordAgeExceeded`: older than MaximumRecordAgeInSeconds
};

/// The AWS spelling of a condition.
[[nodiscard]] constexpr const char* to_string(discard_condition c) noexcept {
  return c == discard_condition::retry_attempts_exhausted ? "RetryAttemptsExhausted" : "RecordAgeExceeded";
}

/// `KinesisBatchInfo` / `DDBStreamBatchInfo`: which records were discarded.
struct stream_batch_info {
  std::string shard_id;                           ///< `shardId`
  std::string start_sequence_number;              ///< `startSequenceNumber`
  std::string end_sequence_number;                ///< `endSequenceNumber`
  time_point approximate_arrival_of_first_record; ///< `approximateArrivalOfFirstRecord`
  time_point approximate_arrival_of_last_record;  ///< `approximateArrivalOfLastRecord`
  std::size_t batch_size = 0;                     ///< `batchSize`
  std::string stream_arn;                         ///< `streamArn`
};

/// `responseContext` of the last invocation of the discarded records.
struct failure_response_context {
  int status_code = 200;                ///< `statusCode`
  std::string executed_version = "$LATEST"; ///< `executedVersion`
  std::string function_error;           ///< `functionError`: `Unhandled` for errors and timeouts, else empty
};

/// The invocation record sent to an on-failure destination (spec §4.6).
struct stream_failure_record {
  time_point timestamp;                        ///< `timestamp`: when the records were discarded
  discard_condition condition;                 ///< `requestContext.condition`
  int approximate_invoke_count = 0;            ///< `requestContext.approximateInvokeCount`
  std::string request_id;                      ///< `requestContext.requestId` (of the last invocation, or empty)
  std::string function_name;                   ///< function the mapping invokes (for `functionArn`)
  std::optional<failure_response_context> response_context; ///< absent when no invocation reached the function
  source_kind kind = source_kind::kinesis;     ///< which `*BatchInfo` key the JSON uses
  stream_batch_info batch_info;                ///< the discarded records
};

/// An on-failure destination: a callable receiving `const stream_failure_record&` and returning
/// `void` (delivered) or `bool` (false: delivery failed, counted in `DestinationDeliveryFailures`
/// and the records in `DroppedEventCount`).
/// ```cpp
/// esm::on_failure{[&](const esm::stream_failure_record& r) { failures.push_back(r); }}
/// ```
template <class F>
struct on_failure {
  F deliver; ///< the callable

  /// Sends a record; true when delivered.
  bool send(const stream_failure_record& r) {
    if constexpr (std::is_same_v<std::invoke_result_t<F&, const stream_failure_record&>, void>) {
      deliver(r);
      return true;
    } else {
      return static_cast<bool>(deliver(r));
    }
  }
};
template <class F>
on_failure(F) -> on_failure<F>;

/// The default: no destination. Discarded records are counted in `DroppedEventCount`.
struct no_destination {
  /// Never called.
  static bool send(const stream_failure_record&) noexcept { return false; }
};

/// Something that can receive on-failure records.
template <class D>
concept failure_destination = requires(D& d, const stream_failure_record& r) {
  { d.send(r) } -> std::convertible_to<bool>;
};

} // namespace esm
