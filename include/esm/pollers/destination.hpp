#pragma once
/// \file esm/pollers/destination.hpp
/// The on-failure destination of a stream event source mapping (spec §2.6, shape §4.6): when
/// retries or record age run out, Lambda discards the batch and sends an invocation record,
/// metadata only, to the destination, then moves on.

#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <esm/core/outcome.hpp>
#include <esm/core/source_kind.hpp>
#include <esm/core/time.hpp>
#include <esm/policies/roles.hpp>
#include <esm/pollers/stream_batch.hpp>

namespace esm {

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
  std::string function_error;           ///< `functionError`: `Unhandled` for errors and timeouts; empty (JSON `null`) when the function returned
};

/// The invocation record sent to an on-failure destination (spec §4.6).
struct stream_failure_record {
  time_point timestamp;                        ///< `timestamp`: when the records were discarded
  discard_condition condition;                 ///< `requestContext.condition`
  /// `requestContext.approximateInvokeCount`: invocations of the discarded records; at least 1
  /// for `RecordAgeExceeded`, also for records too old when read (as AWS recorded).
  int approximate_invoke_count = 0;
  std::string request_id;                      ///< `requestContext.requestId` (of the last invocation, or empty)
  std::string function_name;                   ///< function the mapping invokes (for `functionArn`)
  /// `responseContext` of the last invocation; absent (no JSON key) for `RecordAgeExceeded` and
  /// when no invocation reached the function, as AWS recorded.
  std::optional<failure_response_context> response_context;
  source_kind kind = source_kind::kinesis;     ///< which `*BatchInfo` key the JSON uses
  stream_batch_info batch_info;                ///< the discarded records
  /// The mapping's `UUID` (not in AWS's JSON; an S3 destination names its objects with it).
  std::string mapping_uuid;
};

/// An on-failure destination: a callable receiving `const stream_failure_record&` and returning
/// `void` (delivered) or `bool` (false: delivery failed, counted in `DestinationDeliveryFailures`
/// and the records in `DroppedEventCount`).
/// ```cpp
/// esm::on_failure{[&](const esm::stream_failure_record& r) { failures.push_back(r); }}
/// ```
template <class F>
struct on_failure {
  using esm_role = destination_role; ///< plays the destination role
  F deliver;                         ///< the callable

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

namespace detail {
/// Sends the invocation record itself as the message body.
struct record_as_body {
  const stream_failure_record& operator()(const stream_failure_record& r) const noexcept { return r; }
};
} // namespace detail

/// An SQS queue as the on-failure destination (`DestinationConfig.OnFailure` with a queue ARN):
/// each invocation record becomes one message, `convert(record)` as its body (by default the
/// record itself, for an `esm::sqs_queue<esm::stream_failure_record>`). A send the queue rejects
/// (`esm::input_error`, e.g. a body over the queue's maximum size) is a failed delivery. A FIFO
/// queue is not a valid OnFailure target in AWS: every delivery to one fails
/// (`DestinationDeliveryFailures`, spec §6) and the records count as dropped.
/// ```cpp
/// esm::sqs_queue<esm::stream_failure_record> failures{sim, "failures"};
/// esm::stream_poller poller{stream, fn, handler, esm::starting_position::trim_horizon(),
///                           esm::on_failure_queue{failures}};
/// ```
template <class Queue, class Convert = detail::record_as_body>
struct on_failure_queue {
  using esm_role = destination_role; ///< plays the destination role
  Queue& queue;      ///< the destination queue; must outlive the poller
  Convert convert{}; ///< record → message body

  /// Sends the record as a message; false when the queue cannot take it.
  bool send(const stream_failure_record& r) {
    if constexpr (Queue::is_fifo) {
      return false; // AWS rejects FIFO queues as OnFailure destinations
    } else {
      queue.send(typename Queue::body_type(convert(r))); // throws on a rejected send: a failed delivery
      return true;
    }
  }
};
template <class Queue>
on_failure_queue(Queue&) -> on_failure_queue<Queue>;
template <class Queue, class Convert>
on_failure_queue(Queue&, Convert) -> on_failure_queue<Queue, Convert>;

/// An SNS topic as the on-failure destination (`DestinationConfig.OnFailure` with a topic ARN,
/// spec §2.6): each invocation record is published as one message, `convert(record)` as its text
/// (`esm::aws::failure_record_json{sim.epoch()}` for AWS's JSON), which reaches the topic's
/// subscribers as the envelope's `Message`. A publish the topic rejects (over 256 KiB) is a
/// failed delivery; a FIFO topic is not a valid OnFailure target in AWS: every delivery fails.
/// ```cpp
/// esm::sns_topic failures{sim, "failures"};
/// esm::stream_poller poller{stream, fn, handler, esm::starting_position::trim_horizon(),
///                           esm::on_failure_topic{failures, esm::aws::failure_record_json{sim.epoch()}}};
/// ```
template <class Topic, class Convert>
struct on_failure_topic {
  using esm_role = destination_role; ///< plays the destination role
  Topic& topic;                      ///< the destination topic; must outlive the poller
  Convert convert;                   ///< record → message text

  /// Publishes the record; false for a FIFO topic.
  bool send(const stream_failure_record& r) {
    if (topic.fifo()) return false; // AWS rejects FIFO topics as OnFailure destinations
    const auto text = convert(r);
    topic.publish(text); // throws on a rejected publish: a failed delivery
    return true;
  }
};
template <class Topic, class Convert>
on_failure_topic(Topic&, Convert) -> on_failure_topic<Topic, Convert>;

/// The object key of an on-failure record in an S3 bucket, as AWS names it (spec §2.6):
/// `aws/lambda/<ESM-UUID>/<shardId>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<random UUID>`, the date and time
/// (UTC) those of the record's `timestamp` through `epoch`.
[[nodiscard]] inline std::string s3_failure_key(const stream_failure_record& r, const wall_epoch& epoch,
                                                std::string_view random_uuid) {
  const std::string t = epoch.iso8601(r.timestamp); // 2026-01-01T00:00:01.250Z
  std::string key;
  key.reserve(64 + r.mapping_uuid.size() + r.batch_info.shard_id.size() + random_uuid.size());
  key.append("aws/lambda/").append(r.mapping_uuid).append("/").append(r.batch_info.shard_id).append("/");
  key.append(t, 0, 4).append("/").append(t, 5, 2).append("/").append(t, 8, 2).append("/");
  for (std::size_t i = 0; i < 19; ++i) key.push_back(t[i] == ':' ? '.' : t[i]);
  key.append("-").append(random_uuid);
  return key;
}

/// An S3 bucket as the on-failure destination (`DestinationConfig.OnFailure` with a bucket ARN,
/// spec §2.6): each invocation record becomes one object under `esm::s3_failure_key` (the
/// mapping's UUID, the shard, the record's time, a seeded random UUID from the bucket), its body
/// `convert(record, stream, records)`: `esm::aws::s3_failure_object{sim.epoch()}` gives AWS's
/// JSON, the invocation record plus `payload`, the whole event the function received as an
/// escaped JSON string. A `convert` taking only the record is also accepted. A put the bucket
/// rejects is a failed delivery.
/// ```cpp
/// esm::s3_bucket failures{sim, "failures"};
/// esm::stream_poller poller{stream, fn, handler, esm::starting_position::trim_horizon(),
///                           esm::on_failure_bucket{failures, esm::aws::s3_failure_object{sim.epoch()}}};
/// ```
template <class Bucket, class Convert>
struct on_failure_bucket {
  using esm_role = destination_role; ///< plays the destination role
  Bucket& bucket;                    ///< the destination bucket; must outlive the poller
  Convert convert;                   ///< (record, stream, records) or (record) → object body

  /// Puts the record (and the discarded records, through `convert`) as one object.
  template <class Stream, class Record>
  bool send(const stream_failure_record& r, const Stream& stream, const stream_batch<Record>& records) {
    std::string key = s3_failure_key(r, bucket.sim().epoch(), bucket.unique_id());
    if constexpr (std::is_invocable_v<Convert&, const stream_failure_record&, const Stream&,
                                      const stream_batch<Record>&>) {
      bucket.put(key, convert(r, stream, records)); // throws on a rejected put: a failed delivery
    } else {
      bucket.put(key, convert(r));
    }
    return true;
  }
};
template <class Bucket, class Convert>
on_failure_bucket(Bucket&, Convert) -> on_failure_bucket<Bucket, Convert>;

/// The default: no destination. Discarded records are counted in `DroppedEventCount`.
struct no_destination {
  using esm_role = destination_role; ///< plays the destination role
  /// Never called.
  static bool send(const stream_failure_record&) noexcept { return false; }
};

/// Something that can receive on-failure records: `d.send(record)` returns true when delivered.
/// A destination may also have `bool configured() const`: when it returns false at the poller's
/// construction the mapping has no destination (as with `esm::no_destination`: discarded
/// records are dropped, `configuration().on_failure_destination` is false), so a program that
/// decides at run time whether to send failures away needs one poller type, not two.
/// ```cpp
/// struct maybe_destination {
///   using esm_role = esm::destination_role;
///   std::vector<esm::stream_failure_record>* sink = nullptr; // null: no OnFailure destination
///   bool configured() const { return sink != nullptr; }
///   bool send(const esm::stream_failure_record& r) { sink->push_back(r); return true; }
/// };
/// ```
template <class D>
concept failure_destination = requires(D& d, const stream_failure_record& r) {
  { d.send(r) } -> std::convertible_to<bool>;
};

/// A destination that also receives the discarded records of a `Stream`:
/// `d.send(record, stream, records)` with the records as a `stream_batch` (valid during the call),
/// e.g. to render the event the function received (`esm::on_failure_bucket`). A type with this
/// form and no `send(record)` must declare `using esm_role = esm::destination_role;`.
template <class D, class Stream>
concept records_destination = requires(D& d, const stream_failure_record& r, const Stream& s,
                                       const stream_batch<typename Stream::record_type>& b) {
  { d.send(r, s, b) } -> std::convertible_to<bool>;
};

namespace detail {
/// True for an on-failure destination.
template <class P>
struct is_destination : std::bool_constant<plays_role<P, destination_role, failure_destination<P>>> {};
} // namespace detail

} // namespace esm
