#pragma once
/// \file esm/aws/failure_records.hpp
/// The invocation record a stream event source mapping sends to its on-failure destination,
/// as AWS's JSON (spec §2.6, §4.6):
/// ```json
/// {"requestContext":{"requestId":..,"functionArn":"arn:aws:lambda:<region>:<account>:function:<name>",
///    "condition":"RetryAttemptsExhausted","approximateInvokeCount":1},
///  "responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},
///  "version":"1.0","timestamp":"2019-11-14T00:38:06.021Z",
///  "KinesisBatchInfo":{"shardId":..,"startSequenceNumber":..,"endSequenceNumber":..,
///    "approximateArrivalOfFirstRecord":..,"approximateArrivalOfLastRecord":..,"batchSize":500,"streamArn":..}}
/// ```
/// With an SQS queue as the destination, `failure_record_json` makes that text the message body:
/// ```cpp
/// esm::sqs_queue<std::string> failures{sim, "failures"};
/// esm::stream_poller poller{stream, fn, handler, esm::starting_position::trim_horizon(),
///                           esm::stream_retry{.max_attempts = 2},
///                           esm::on_failure_queue{failures, esm::aws::failure_record_json{sim.epoch()}}};
/// ```

#include <string>
#include <string_view>

#include <esm/aws/detail/json_text.hpp>
#include <esm/aws/events.hpp>
#include <esm/core/source_kind.hpp>
#include <esm/core/time.hpp>
#include <esm/pollers/destination.hpp>

namespace esm::aws {

/// `requestContext.functionArn` of a record: `arn:aws:lambda:<region>:<account>:function:<name>`
/// with the region and account of the stream's ARN (the mapping and its function live where
/// the stream does).
[[nodiscard]] inline std::string function_arn(const stream_failure_record& r) {
  const auto parts = parse_arn(r.batch_info.stream_arn);
  std::string out = "arn:aws:lambda:";
  if (parts) out.append(parts->region);
  out.push_back(':');
  if (parts) out.append(parts->account);
  out.append(":function:");
  out.append(r.function_name);
  return out;
}

/// Appends the AWS JSON of an on-failure invocation record (spec §4.6) to `out`, with times
/// rendered through `epoch` (the simulation's `sim.epoch()`):
/// - `requestContext`: `requestId` (of the last invocation; empty when none reached the
///   function), `functionArn` (see `function_arn`), `condition` (`RetryAttemptsExhausted` or
///   `RecordAgeExceeded`), `approximateInvokeCount`;
/// - `responseContext`: `statusCode`, `executedVersion` and `functionError` (`Unhandled` for a
///   function error or timeout, `null` when the function returned, e.g. partial-batch failures);
///   the key is absent when the record has no response context (`RecordAgeExceeded`, or no
///   invocation reached the function), as in AWS's recordings;
/// - `version` `1.0`, `timestamp` (ISO-8601 with milliseconds);
/// - `KinesisBatchInfo` (Kinesis) or `DDBStreamBatchInfo` (DynamoDB) with `shardId`,
///   `startSequenceNumber`, `endSequenceNumber`, `approximateArrivalOfFirstRecord`,
///   `approximateArrivalOfLastRecord` (ISO-8601: with milliseconds for Kinesis, whole seconds
///   for DynamoDB, as in AWS's samples), `batchSize` and `streamArn`.
inline void write_failure_record_json(std::string& out, const stream_failure_record& r, const wall_epoch& epoch) {
  using namespace detail;
  out.append(R"({"requestContext":{"requestId":)");
  append_json_string(out, r.request_id);
  out.append(R"(,"functionArn":)");
  append_json_string(out, function_arn(r));
  out.append(R"(,"condition":")");
  out.append(esm::to_string(r.condition));
  out.append(R"(","approximateInvokeCount":)");
  append_int(out, r.approximate_invoke_count);
  out.push_back('}');
  if (r.response_context) {
    out.append(R"(,"responseContext":{"statusCode":)");
    append_int(out, r.response_context->status_code);
    out.append(R"(,"executedVersion":)");
    append_json_string(out, r.response_context->executed_version);
    out.append(R"(,"functionError":)");
    if (r.response_context->function_error.empty()) {
      out.append("null");
    } else {
      append_json_string(out, r.response_context->function_error);
    }
    out.push_back('}');
  }
  out.append(R"(,"version":"1.0","timestamp":")");
  out.append(epoch.iso8601(r.timestamp));
  const bool dynamodb = r.kind == source_kind::dynamodb;
  out.append(dynamodb ? R"(","DDBStreamBatchInfo":{"shardId":)" : R"(","KinesisBatchInfo":{"shardId":)");
  const auto& b = r.batch_info;
  append_json_string(out, b.shard_id);
  out.append(R"(,"startSequenceNumber":)");
  append_json_string(out, b.start_sequence_number);
  out.append(R"(,"endSequenceNumber":)");
  append_json_string(out, b.end_sequence_number);
  out.append(R"(,"approximateArrivalOfFirstRecord":")");
  out.append(dynamodb ? iso8601_seconds(epoch, b.approximate_arrival_of_first_record)
                      : epoch.iso8601(b.approximate_arrival_of_first_record));
  out.append(R"(","approximateArrivalOfLastRecord":")");
  out.append(dynamodb ? iso8601_seconds(epoch, b.approximate_arrival_of_last_record)
                      : epoch.iso8601(b.approximate_arrival_of_last_record));
  out.append(R"(","batchSize":)");
  append_uint(out, b.batch_size);
  out.append(R"(,"streamArn":)");
  append_json_string(out, b.stream_arn);
  out.append("}}");
}

/// The AWS JSON of an on-failure invocation record (see `write_failure_record_json`).
[[nodiscard]] inline std::string to_json(const stream_failure_record& r, const wall_epoch& epoch) {
  std::string out;
  write_failure_record_json(out, r, epoch);
  return out;
}

/// A converter for `esm::on_failure_queue` that makes the record's AWS JSON the message body,
/// as an SQS on-failure destination receives it:
/// `esm::on_failure_queue{dlq, esm::aws::failure_record_json{sim.epoch()}}` with a queue of
/// `std::string`.
struct failure_record_json {
  wall_epoch epoch{}; ///< the simulation's wall epoch (`sim.epoch()`), for the timestamps

  /// The record's JSON (`to_json(r, epoch)`).
  [[nodiscard]] std::string operator()(const stream_failure_record& r) const { return to_json(r, epoch); }
};

/// Appends the body of an on-failure object in an S3 bucket (spec §2.6, §4.6) to `out`: the
/// invocation record's JSON with one more key, `payload`, the event the function received for
/// the discarded records (`{"Records":[...]}`, rendered by `write_event_json` with `o`) as an
/// escaped JSON string.
template <class Stream, class Record>
void write_s3_failure_object(std::string& out, const stream_failure_record& r, const Stream& stream,
                             const stream_batch<Record>& records, const wall_epoch& epoch,
                             const event_options& o = {}) {
  write_failure_record_json(out, r, epoch);
  out.pop_back(); // the record's closing brace
  std::string event;
  write_event_json(event, stream, records, o);
  out.append(R"(,"payload":)");
  detail::append_json_string(out, event);
  out.push_back('}');
}

/// A converter for `esm::on_failure_bucket` that makes each object AWS's: the invocation record
/// plus `payload` (`write_s3_failure_object`):
/// `esm::on_failure_bucket{bucket, esm::aws::s3_failure_object{sim.epoch()}}`.
struct s3_failure_object {
  wall_epoch epoch{};      ///< the simulation's wall epoch (`sim.epoch()`), for the timestamps
  event_options options{}; ///< how the payload's event is rendered

  /// The object's body.
  template <class Stream, class Record>
  [[nodiscard]] std::string operator()(const stream_failure_record& r, const Stream& stream,
                                       const stream_batch<Record>& records) const {
    std::string out;
    write_s3_failure_object(out, r, stream, records, epoch, options);
    return out;
  }
};

} // namespace esm::aws
