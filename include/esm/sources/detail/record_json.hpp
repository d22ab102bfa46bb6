#pragma once
/// \file esm/sources/detail/record_json.hpp
/// The parts of AWS's event JSON (spec §4) that both filtering and `esm::aws` render: a
/// DynamoDB record's `dynamodb` object (§4.2), an SQS message's `attributes` and
/// `messageAttributes` (§4.3). Written as text, in AWS's field order, without a JSON library.

#include <array>
#include <cstddef>
#include <cstdint>
#include <ranges>
#include <string>
#include <string_view>

#include <esm/core/time.hpp>
#include <esm/detail/base64.hpp>
#include <esm/detail/json_text.hpp>
#include <esm/sources/dynamodb_stream.hpp>
#include <esm/sources/event_size.hpp>
#include <esm/sources/sqs_message.hpp>

namespace esm::detail {

/// SQS `attributes.SenderId` of every message (`esm::default_sqs_sender_id`).
inline constexpr std::string_view sqs_sender_id = default_sqs_sender_id;

/// `prefix` then `v` zero-padded to N characters in all (the sequence-number forms of
/// `kinesis_sequence_number` and `dynamodb_sequence_number`), without an allocation.
template <std::size_t N>
std::array<char, N> padded_digits(std::string_view prefix, std::uint64_t v) noexcept {
  std::array<char, N> out{};
  std::size_t i = N;
  while (i > prefix.size()) {
    out[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  for (std::size_t k = 0; k < prefix.size() && k < N; ++k) out[k] = prefix[k];
  return out;
}

/// A key value in AttributeValue form: `{"S":"v"}`, `{"N":"101"}`, `{"B":"<base64>"}`.
inline void write_key_value(std::string& out, key_attribute_type type, std::string_view value) {
  out.append(R"({")");
  out.append(esm::to_string(type));
  out.append(R"(":)");
  if (type == key_attribute_type::binary) {
    out.push_back('"');
    base64_append(out, value);
    out.push_back('"');
  } else {
    append_json_string(out, value);
  }
  out.push_back('}');
}

/// A DynamoDB record's `dynamodb` object (§4.2): `ApproximateCreationDateTime` (whole epoch
/// seconds), `Keys` (named by the table's key schema), `NewImage` / `OldImage` when the record
/// has them, `SequenceNumber`, `SizeBytes`, `StreamViewType`. Needs `dynamodb_json_item<Item>`.
template <dynamodb_json_item Item>
void write_dynamodb_object(std::string& out, const dynamodb_record<Item>& r, const dynamodb_key_schema& schema,
                           const wall_epoch& epoch) {
  out.append(R"({"ApproximateCreationDateTime":)");
  append_int(out, unix_seconds(epoch, r.arrival));
  out.append(R"(,"Keys":{)");
  append_json_key(out, schema.partition_key);
  write_key_value(out, schema.partition_key_type, r.keys.partition_key);
  if (r.keys.sort_key) {
    out.push_back(',');
    append_json_key(out, schema.sort_key);
    write_key_value(out, schema.sort_key_type, *r.keys.sort_key);
  }
  out.push_back('}');
  if (r.new_image) {
    out.append(R"(,"NewImage":)");
    dynamodb_item_json<Item>::write(*r.new_image, out);
  }
  if (r.old_image) {
    out.append(R"(,"OldImage":)");
    dynamodb_item_json<Item>::write(*r.old_image, out);
  }
  const auto seq = padded_digits<21>("1", r.sequence); // = dynamodb_sequence_number
  out.append(R"(,"SequenceNumber":")");
  out.append(seq.data(), seq.size());
  out.append(R"(","SizeBytes":)");
  append_uint(out, r.size_bytes);
  out.append(R"(,"StreamViewType":")");
  out.append(esm::to_string(r.view_type));
  out.append(R"("})");
}

/// An SQS message's `attributes` object (§4.3): every value a string (timestamps in epoch
/// milliseconds); FIFO adds `SequenceNumber`, `MessageGroupId`, `MessageDeduplicationId`. A
/// message not yet received uses `SentTimestamp` as its `ApproximateFirstReceiveTimestamp`.
template <class Body>
void write_sqs_attributes(std::string& out, const sqs_message<Body>& m, bool fifo, const wall_epoch& epoch,
                          std::string_view sender_id) {
  out.append(R"({"ApproximateReceiveCount":")");
  append_int(out, m.receive_count);
  out.append(R"(","SentTimestamp":")");
  append_int(out, epoch.unix_millis(m.sent));
  out.append(R"(","SenderId":)");
  append_json_string(out, sender_id);
  out.append(R"(,"ApproximateFirstReceiveTimestamp":")");
  append_int(out, epoch.unix_millis(m.first_received.value_or(m.sent)));
  out.push_back('"');
  if (fifo) {
    const auto seq = padded_digits<20>("", 10'000'000'000'000'000'000ULL + m.sequence); // = sequence_number()
    out.append(R"(,"SequenceNumber":")");
    out.append(seq.data(), seq.size());
    out.append(R"(","MessageGroupId":)");
    append_json_string(out, m.group_id);
    out.append(R"(,"MessageDeduplicationId":)");
    append_json_string(out, m.deduplication_id);
  }
  out.push_back('}');
}

/// An SQS message's `messageAttributes` object (§4.3): `{"name":{"stringValue"|"binaryValue":…,
/// "stringListValues":[],"binaryListValues":[],"dataType":…}}`, binary values in base64, in the
/// message's order.
inline void write_message_attributes(std::string& out, const std::vector<message_attribute>& attributes) {
  out.push_back('{');
  bool first = true;
  for (const auto& a : attributes) {
    if (!first) out.push_back(',');
    first = false;
    append_json_key(out, a.name);
    if (is_binary_type(a.data_type)) {
      out.append(R"({"binaryValue":")");
      base64_append(out, a.value);
      out.push_back('"');
    } else {
      out.append(R"({"stringValue":)");
      append_json_string(out, a.value);
    }
    out.append(R"(,"stringListValues":[],"binaryListValues":[],"dataType":)");
    append_json_string(out, a.data_type);
    out.push_back('}');
  }
  out.push_back('}');
}

} // namespace esm::detail
