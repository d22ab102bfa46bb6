#pragma once
/// \file esm/aws/events.hpp
/// The event JSON Lambda sends a function for a batch (spec §4.1 Kinesis, §4.2 DynamoDB Streams,
/// §4.3 SQS, §4.5 tumbling windows), rendered from esm's sources and batches with AWS's field
/// names, nesting, value types and field order.
///
/// ```cpp
/// esm::stream_poller poller{orders, fn, [&](const esm::stream_batch<esm::kinesis_record<std::string>>& b) {
///   const std::string event = esm::aws::event_json(orders, b); // {"Records":[{"kinesis":{...},...}]}
/// }, esm::starting_position::trim_horizon()};
/// ```
/// The text is written directly (no JSON tree), so numbers have exactly AWS's format: Kinesis
/// `approximateArrivalTimestamp` is epoch seconds with three decimals (`1545084650.987`),
/// DynamoDB `ApproximateCreationDateTime` whole epoch seconds, SQS timestamps epoch
/// milliseconds as strings. Timestamps come from the source's simulation epoch
/// (`sim.epoch()`); region and account from the source's ARN (or `event_options`).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include <esm/aws/attribute_value.hpp>
#include <esm/aws/detail/json_read.hpp>
#include <esm/aws/detail/json_text.hpp>
#include <esm/core/time.hpp>
#include <esm/detail/base64.hpp>
#include <esm/detail/md5.hpp>
#include <esm/sources/detail/record_json.hpp>
#include <esm/policies/tumbling_window.hpp>
#include <esm/sources/arn.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/dynamodb_stream.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_fifo_queue.hpp>
#include <esm/sources/sqs_message.hpp>
#include <esm/sources/sqs_queue.hpp>
#include <esm/sources/stream_record.hpp>

namespace esm::aws {

/// Settings of rendered events that esm's sources do not carry.
struct event_options {
  /// Kinesis `invokeIdentityArn`: the mapping's execution role. Default
  /// `arn:aws:iam::123456789012:role/lambda-role` (the role of the AWS documentation's sample).
  std::string invoke_identity_arn = std::string{esm::default_invoke_identity_arn};
  /// `eventSourceARN` (and, parsed from it, `awsRegion`). Empty (the default): the source's own
  /// `arn()` (esm's sources live in `us-east-1`, account `123456789012`). Set it to render events
  /// as another region or account would.
  std::string event_source_arn{};
  /// SQS `attributes.SenderId`: the principal that sent the messages (esm does not model
  /// senders). Default `AIDAIENQZJOLO23YVJ4VO`, the id in the AWS documentation's SQS sample.
  std::string sender_id = std::string{esm::default_sqs_sender_id};
  /// DynamoDB `eventVersion`. Default `1.1`, what real events carry (the documentation's samples
  /// show `1.0`; spec §4.2).
  std::string dynamodb_event_version = std::string{esm::default_dynamodb_event_version};
};

/// ARNs split into their parts (`esm/sources/arn.hpp`), also under `esm::aws`.
using esm::arn_parts;
using esm::parse_arn;

/// How the bytes of a Kinesis record's `data`, or the text of an SQS message's `body`, are
/// obtained from a payload type that is not a contiguous range of 1-byte values (for those,
/// esm uses the bytes as they are; a specialization takes precedence). Provided for
/// `nlohmann::json` (its compact text). Specialize it with
/// `static void write(const T& value, std::string& out)` appending the bytes:
/// ```cpp
/// template <> struct esm::aws::payload_bytes<order> {
///   static void write(const order& o, std::string& out) { out += nlohmann::json(o).dump(); }
/// };
/// ```
template <class T>
struct payload_bytes;

/// A JSON document as a payload: its compact text (what a producer would have put in the record
/// or sent as the message body).
template <>
struct payload_bytes<nlohmann::json> {
  /// Appends `value.dump()`.
  static void write(const nlohmann::json& value, std::string& out) { out += value.dump(); }
};

/// Same as `payload_bytes<nlohmann::json>`, keeping the objects' insertion order.
template <>
struct payload_bytes<nlohmann::ordered_json> {
  /// Appends `value.dump()`.
  static void write(const nlohmann::ordered_json& value, std::string& out) { out += value.dump(); }
};

/// True when `T` is a contiguous range of 1-byte values (`std::string`, `std::string_view`,
/// `std::vector<std::byte>`, `std::vector<std::uint8_t>`, `std::array<char, N>`, ...): its bytes are used as
/// they are.
template <class T>
concept byte_payload = esm::detail::byte_text<T>; // the same rule filters use

/// True when `payload_bytes<T>` is specialized.
template <class T>
concept custom_payload = requires(const T& t, std::string& out) { payload_bytes<T>::write(t, out); };

namespace detail {

template <class>
inline constexpr bool dependent_false = false;

/// The bytes of a payload: a view of the payload itself, or of `scratch` filled by
/// `payload_bytes<T>::write`.
template <class T>
std::string_view bytes_of(const T& value, std::string& scratch) {
  if constexpr (custom_payload<T>) { // a specialization wins over the built-in forms
    scratch.clear();
    payload_bytes<T>::write(value, scratch);
    return scratch;
  } else if constexpr (byte_payload<T>) {
    return esm::detail::as_text(value);
  } else {
    static_assert(dependent_false<T>,
                  "esm::aws: this payload type has no bytes to put in the event (Kinesis `data` or SQS `body`). Use a "
                  "contiguous range of 1-byte values (std::string, std::vector<std::byte>, std::vector<std::uint8_t>, "
                  "std::string_view) or specialize esm::aws::payload_bytes<T> with "
                  "`static void write(const T&, std::string& out)`");
    return {};
  }
}

/// What every record of one source's event shares: `eventSourceARN` and `awsRegion`.
struct event_source {
  std::string arn;    ///< `eventSourceARN`
  std::string region; ///< `awsRegion` (parsed from the ARN)
  wall_epoch epoch;   ///< the source simulation's wall epoch

  /// The metadata of a source: its ARN (or the options' override) and its simulation's epoch.
  template <class Source>
  static event_source of(const Source& source, const event_options& o) {
    event_source s{o.event_source_arn.empty() ? source.arn() : o.event_source_arn, {}, source.sim().epoch()};
    if (const auto parts = parse_arn(s.arn)) s.region = std::string{parts->region};
    return s;
  }
};

// --- Kinesis (§4.1) -------------------------------------------------------------------------------

template <class P>
void write_kinesis_record(std::string& out, const kinesis_record<P>& r, std::string_view shard_id,
                          const event_source& src, const event_options& o, std::string& scratch) {
  out.append(R"({"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":)");
  append_json_string(out, r.partition_key);
  // The sequence number as esm::kinesis_sequence_number renders it, without a temporary string.
  const auto seq = padded_digits<56>("49", r.sequence);
  const std::string_view seq_text{seq.data(), seq.size()};
  out.append(R"(,"sequenceNumber":")");
  out.append(seq_text);
  out.append(R"(","data":")");
  esm::detail::base64_append(out, bytes_of(r.data, scratch));
  out.append(R"(","approximateArrivalTimestamp":)");
  out.append(src.epoch.unix_seconds_text(r.arrival)); // a JSON number with exactly 3 decimals
  out.append(R"(},"eventSource":"aws:kinesis","eventVersion":"1.0","eventID":")");
  out.append(shard_id);
  out.push_back(':');
  out.append(seq_text);
  out.push_back('"');
  out.append(R"(,"eventName":"aws:kinesis:record","invokeIdentityArn":)");
  append_json_string(out, o.invoke_identity_arn);
  out.append(R"(,"awsRegion":)");
  append_json_string(out, src.region);
  out.append(R"(,"eventSourceARN":)");
  append_json_string(out, src.arn);
  out.push_back('}');
}

// --- DynamoDB (§4.2) ------------------------------------------------------------------------------

template <class Item>
void write_dynamodb_record(std::string& out, const dynamodb_record<Item>& r, const dynamodb_key_schema& schema,
                           const event_source& src, const event_options& o) {
  static_assert(dynamodb_json_item<Item>,
                "esm::aws: DynamoDB images render through esm::dynamodb_item_json<Item>, which is not specialized "
                "for this item type. Use esm::attribute_map_json (AttributeValue map text) or nlohmann::json "
                "(an AttributeValue map, see esm::aws::to_attribute_map), or specialize "
                "esm::dynamodb_item_json<Item> with `static void write(const Item&, std::string& out)`");
  const auto seq = padded_digits<21>("1", r.sequence); // = esm::dynamodb_sequence_number
  const std::string_view seq_text{seq.data(), seq.size()};
  out.append(R"({"eventID":")");
  append_md5_hex(out, esm::detail::md5(seq_text)); // = r.event_id()
  out.append(R"(","eventVersion":)");
  append_json_string(out, o.dynamodb_event_version);
  out.append(R"(,"eventName":")");
  out.append(esm::to_string(r.event_name));
  out.append(R"(","eventSource":"aws:dynamodb","awsRegion":)");
  append_json_string(out, src.region);
  out.append(R"(,"eventSourceARN":)");
  append_json_string(out, src.arn);
  out.append(R"(,"dynamodb":)");
  esm::detail::write_dynamodb_object(out, r, schema, src.epoch);
  out.push_back('}');
}

// --- SQS (§4.3) -----------------------------------------------------------------------------------

} // namespace detail

/// `md5OfMessageAttributes` (SQS's published algorithm): the attributes sorted by name (byte
/// order); for each, the name, the data type and the value, each preceded by its length as a
/// 4-byte big-endian integer, with one transport byte between type and value (1 for `String`
/// and `Number`, 2 for `Binary`); the MD5 of the whole, as 32 lowercase hex digits. Empty when
/// there are no attributes.
[[nodiscard]] inline std::string md5_of_message_attributes(const std::vector<message_attribute>& attributes) {
  if (attributes.empty()) return {};
  std::vector<const message_attribute*> sorted;
  sorted.reserve(attributes.size());
  std::size_t bytes = 0;
  for (const auto& a : attributes) {
    sorted.push_back(&a);
    bytes += 13 + a.name.size() + a.data_type.size() + a.value.size();
  }
  std::sort(sorted.begin(), sorted.end(), [](const message_attribute* x, const message_attribute* y) {
    return x->name < y->name;
  });
  std::string buf;
  buf.reserve(bytes);
  const auto put = [&buf](std::string_view s) {
    const auto n = static_cast<std::uint32_t>(s.size());
    for (int shift = 24; shift >= 0; shift -= 8) buf.push_back(static_cast<char>((n >> shift) & 0xFF));
    buf.append(s);
  };
  for (const auto* a : sorted) {
    put(a->name);
    put(a->data_type);
    buf.push_back(static_cast<char>(detail::is_binary_type(a->data_type) ? 2 : 1));
    put(a->value);
  }
  std::string out;
  detail::append_md5_hex(out, esm::detail::md5(buf));
  return out;
}

namespace detail {

template <class Body>
void write_sqs_message(std::string& out, const sqs_message<Body>& m, bool fifo, const event_source& src,
                       const event_options& o, std::string& scratch) {
  out.append(R"({"messageId":)");
  append_json_string(out, m.message_id());
  out.append(R"(,"receiptHandle":)");
  append_json_string(out, m.receipt.text());
  const std::string_view body = bytes_of(m.body, scratch);
  out.append(R"(,"body":)");
  append_json_string(out, body);
  out.append(R"(,"attributes":)");
  esm::detail::write_sqs_attributes(out, m, fifo, src.epoch, o.sender_id);
  out.append(R"(,"messageAttributes":)");
  esm::detail::write_message_attributes(out, m.attributes);
  if (m.attributes.empty()) {
    out.append(R"(,"md5OfMessageAttributes":null)"); // as AWS recorded (fidelity A4)
  } else {
    out.append(R"(,"md5OfMessageAttributes":")");
    out.append(md5_of_message_attributes(m.attributes));
    out.push_back('"');
  }
  out.append(R"(,"md5OfBody":")");
  append_md5_hex(out, esm::detail::md5(body));
  out.append(R"(","eventSource":"aws:sqs","eventSourceARN":)");
  append_json_string(out, src.arn);
  out.append(R"(,"awsRegion":)");
  append_json_string(out, src.region);
  out.push_back('}');
}

// --- batches --------------------------------------------------------------------------------------

template <class P>
void write_records(std::string& out, const kinesis_stream<P>&, const stream_batch<kinesis_record<P>>& b,
                   const event_source& src, const event_options& o, std::string& scratch) {
  out.append(R"({"Records":[)");
  bool first = true;
  for (const auto& r : b) {
    if (!first) out.push_back(',');
    first = false;
    write_kinesis_record(out, r, b.shard_id(), src, o, scratch);
  }
  out.push_back(']');
}

template <class Item>
void write_records(std::string& out, const dynamodb_stream<Item>& s, const stream_batch<dynamodb_record<Item>>& b,
                   const event_source& src, const event_options& o, std::string&) {
  out.append(R"({"Records":[)");
  bool first = true;
  for (const auto& r : b) {
    if (!first) out.push_back(',');
    first = false;
    write_dynamodb_record(out, r, s.config().key_schema, src, o);
  }
  out.push_back(']');
}

template <class Body, bool Fifo>
void write_records(std::string& out, const basic_sqs_queue<Body, Fifo>&, const queue_batch<sqs_message<Body>>& b,
                   const event_source& src, const event_options& o, std::string& scratch) {
  out.append(R"({"Records":[)");
  bool first = true;
  for (const auto& m : b) {
    if (!first) out.push_back(',');
    first = false;
    write_sqs_message(out, m, Fifo, src, o, scratch);
  }
  out.push_back(']');
}

/// Appends the tumbling-window fields (§4.5) after the `Records` array and closes the object.
inline void write_window(std::string& out, const window_context& w, const event_source& src) {
  out.append(R"(,"window":{"start":")");
  out.append(iso8601_seconds(src.epoch, w.start));
  out.append(R"(","end":")");
  out.append(iso8601_seconds(src.epoch, w.end));
  out.append(R"("},"state":)");
  if (w.state.empty()) {
    out.append("{}");
  } else if (detail::is_json_text(w.state)) {
    out.append(w.state); // the JSON a previous invoke returned as its state
  } else {
    append_json_string(out, w.state); // a state that is not JSON (from a native handler): as a string
  }
  out.append(R"(,"shardId":)");
  append_json_string(out, w.shard_id);
  out.append(R"(,"eventSourceARN":)");
  append_json_string(out, src.arn);
  out.append(R"(,"isFinalInvokeForWindow":)");
  out.append(w.is_final_invoke_for_window ? "true" : "false");
  out.append(R"(,"isWindowTerminatedEarly":)");
  out.append(w.is_window_terminated_early ? "true" : "false");
  out.push_back('}');
}

/// Renders with precomputed source metadata (what `json_handler` keeps between invocations).
template <class Source, class Batch>
void write_event(std::string& out, const Source& source, const Batch& batch, const event_source& src,
                 const event_options& o, std::string& scratch) {
  write_records(out, source, batch, src, o, scratch);
  out.push_back('}');
}

template <class Source, class Batch>
void write_window_event(std::string& out, const Source& source, const Batch& batch, const window_context& w,
                        const event_source& src, const event_options& o, std::string& scratch) {
  write_records(out, source, batch, src, o, scratch);
  write_window(out, w, src);
}

} // namespace detail

/// Appends the event Lambda sends for a Kinesis batch (spec §4.1) to `out`:
/// `{"Records":[{"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":..,"sequenceNumber":..,
/// "data":<base64>,"approximateArrivalTimestamp":<epoch seconds, 3 decimals>},"eventSource":
/// "aws:kinesis","eventVersion":"1.0","eventID":"<shardId>:<sequenceNumber>","eventName":
/// "aws:kinesis:record","invokeIdentityArn":..,"awsRegion":..,"eventSourceARN":..}]}`.
/// The payload must be a contiguous range of bytes or have `esm::aws::payload_bytes<P>`.
template <class P>
void write_event_json(std::string& out, const kinesis_stream<P>& stream, const stream_batch<kinesis_record<P>>& batch,
                      const event_options& o = {}) {
  std::string scratch;
  detail::write_event(out, stream, batch, detail::event_source::of(stream, o), o, scratch);
}

/// Appends the event Lambda sends for a DynamoDB Streams batch (spec §4.2) to `out`: per record
/// `eventID` (32 hex digits), `eventVersion`, `eventName` (`INSERT` / `MODIFY` / `REMOVE`),
/// `eventSource` `aws:dynamodb`, `awsRegion`, `eventSourceARN`, and `dynamodb` with
/// `ApproximateCreationDateTime` (whole epoch seconds), `Keys` (AttributeValues typed by the
/// stream's `key_schema`: `{"pk":{"S":"v"}}`, `N` as text, `B` base64), `NewImage` / `OldImage`
/// when the record has them (through `esm::dynamodb_item_json<Item>`), `SequenceNumber`,
/// `SizeBytes` (number) and `StreamViewType`.
template <class Item>
void write_event_json(std::string& out, const dynamodb_stream<Item>& stream,
                      const stream_batch<dynamodb_record<Item>>& batch, const event_options& o = {}) {
  std::string scratch;
  detail::write_event(out, stream, batch, detail::event_source::of(stream, o), o, scratch);
}

/// Appends the event Lambda sends for an SQS batch (spec §4.3) to `out`: per message
/// `messageId`, `receiptHandle`, `body`, `attributes` (all strings: `ApproximateReceiveCount`,
/// `SentTimestamp` and `ApproximateFirstReceiveTimestamp` in epoch ms, `SenderId`, and on FIFO
/// queues `SequenceNumber`, `MessageGroupId`, `MessageDeduplicationId`), `messageAttributes`,
/// `md5OfMessageAttributes` (`null` without attributes, as AWS recorded), `md5OfBody`, `eventSource`
/// `aws:sqs`, `eventSourceARN`, `awsRegion`. The body must be text (a contiguous range of bytes)
/// or have `esm::aws::payload_bytes<Body>`.
template <class Body, bool Fifo>
void write_event_json(std::string& out, const basic_sqs_queue<Body, Fifo>& queue,
                      const queue_batch<sqs_message<Body>>& batch, const event_options& o = {}) {
  std::string scratch;
  detail::write_event(out, queue, batch, detail::event_source::of(queue, o), o, scratch);
}

/// Appends the event of a tumbling-window invoke (spec §4.5) to `out`: the stream's `Records`
/// plus `window` (`start`, `end`, ISO-8601 in whole seconds), `state` (the state the previous
/// invoke of the window returned, as JSON; `{}` at the window's first invoke), `shardId`,
/// `eventSourceARN`, `isFinalInvokeForWindow` and `isWindowTerminatedEarly`.
template <class Stream, class Record>
requires(is_stream(Stream::kind)) void write_event_json(std::string& out, const Stream& stream,
                                                        const stream_batch<Record>& batch, const window_context& w,
                                                        const event_options& o = {}) {
  std::string scratch;
  detail::write_window_event(out, stream, batch, w, detail::event_source::of(stream, o), o, scratch);
}

/// The event JSON of a batch (Kinesis, DynamoDB or SQS): `write_event_json` into a new string.
template <class Source, class Batch>
[[nodiscard]] std::string event_json(const Source& source, const Batch& batch, const event_options& o = {}) {
  std::string out;
  write_event_json(out, source, batch, o);
  return out;
}

/// The event JSON of a tumbling-window invoke: `write_event_json` into a new string.
template <class Stream, class Batch>
[[nodiscard]] std::string event_json(const Stream& stream, const Batch& batch, const window_context& w,
                                     const event_options& o = {}) {
  std::string out;
  write_event_json(out, stream, batch, w, o);
  return out;
}

} // namespace esm::aws
