#pragma once
/// \file esm/pollers/record_filter.hpp
/// Filtering in the event source mappings (spec §5): the filter policies both pollers take, and
/// how a record of each source presents itself to `FilterCriteria` (its top-level keys).
///
/// ```cpp
/// esm::queue_poller poller{orders, fn, handler,
///                          esm::filter_criteria{R"({"body":{"type":["order"]}})"}};
/// esm::stream_poller readings{sensors, fn, handler, esm::starting_position::latest(),
///                             esm::filter_criteria{R"({"data":{"temp":[{"numeric":[">",30]}]}})"}};
/// ```
/// Records failing the filter are counted in `FilteredOutEventCount`; SQS messages are deleted,
/// stream records are skipped and the checkpoint moves past them.
///
/// Keys a pattern may name, by source (others are a `config_error`):
/// - SQS: `body` (JSON or text), `messageId`, `receiptHandle`, `md5OfBody`, `attributes`
///   (object of strings), `messageAttributes`, `eventSource`, `eventSourceARN`, `awsRegion`.
/// - Kinesis: `data` (a JSON object pattern only), `partitionKey`, `sequenceNumber`,
///   `approximateArrivalTimestamp`, `kinesisSchemaVersion`, `eventSource`, `eventVersion`,
///   `eventID`, `eventName`, `awsRegion`, `eventSourceARN`.
/// - DynamoDB: `dynamodb` (a JSON object pattern only), `eventID`, `eventName`, `eventVersion`,
///   `eventSource`, `awsRegion`, `eventSourceARN`.

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <esm/core/error.hpp>
#include <esm/detail/md5.hpp>
#include <esm/sources/detail/record_json.hpp>
#include <esm/filter/criteria.hpp>
#include <esm/sources/arn.hpp>
#include <esm/sources/dynamodb_stream.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/sqs_queue.hpp>

namespace esm {

/// A predicate filter for either mapping: records (or messages) for which `predicate(r)` is false
/// are filtered out as `FilterCriteria` filters them. For code that decides in C++ what a pattern
/// cannot express; `esm::filter_criteria` is AWS's pattern language.
/// ```cpp
/// esm::record_filter{[](const esm::kinesis_record<std::string>& r) { return r.partition_key != "test"; }}
/// ```
template <class F>
struct record_filter {
  F predicate;                    ///< `bool(const Record&)`: true keeps the record
  using record_filter_tag = void; ///< marks the type as a filter policy
};
template <class F>
record_filter(F) -> record_filter<F>;

/// The SQS name of `record_filter`, kept for code written before `FilterCriteria` existed.
/// ```cpp
/// esm::message_filter{[](const esm::sqs_message<std::string>& m) { return m.body != "ping"; }}
/// ```
template <class F>
struct message_filter {
  F predicate;                    ///< `bool(const sqs_message<Body>&)`: true keeps the message
  using record_filter_tag = void; ///< marks the type as a filter policy
};
template <class F>
message_filter(F) -> message_filter<F>;

namespace detail {

template <class P>
struct is_record_filter
    : std::bool_constant<requires { typename P::record_filter_tag; } || std::is_same_v<P, filter_criteria>> {};

/// The default filter: keeps everything, costs nothing.
struct keep_all {
  using record_filter_tag = void;
};

/// The region of an ARN (`arn:aws:sqs:us-east-1:...` → `us-east-1`); empty when malformed.
inline std::string_view region_of_arn(std::string_view arn) noexcept {
  const auto parts = parse_arn(arn);
  return parts ? parts->region : std::string_view{};
}

/// How the records of a source present themselves to filter patterns: the top-level keys and
/// how each renders. Specialized per source below.
template <class Source>
struct filter_document;

template <class Payload>
struct filter_document<kinesis_stream<Payload>> {
  static constexpr std::string_view source_name = "kinesis";
  static constexpr std::string_view content_key = "data"; // must be a JSON object pattern (§5)
  static constexpr bool content_readable = byte_text<Payload>;
  static constexpr std::array<std::string_view, 11> keys = {
      "data",    "partitionKey", "sequenceNumber", "approximateArrivalTimestamp", "kinesisSchemaVersion",
      "eventSource", "eventVersion", "eventID", "eventName", "awsRegion", "eventSourceARN"};

  static void fill(std::size_t key, const kinesis_record<Payload>& r, std::string_view shard_id,
                   const wall_epoch& epoch, std::string_view arn, std::string& buf, filter::field& f) {
    using filter::field_kind;
    switch (key) {
    case 0:
      if constexpr (byte_text<Payload>) f = {keys[key], field_kind::text_or_json, as_text(r.data)};
      break;
    case 1: f = {keys[key], field_kind::string, r.partition_key}; break;
    case 2: {
      const auto seq = padded_digits<56>("49", r.sequence); // = kinesis_sequence_number, no allocation
      buf.assign(seq.data(), seq.size());
      f = {keys[key], field_kind::string, buf};
      break;
    }
    case 3:
      buf = epoch.unix_seconds_text(r.arrival);
      f = {keys[key], field_kind::number, buf};
      break;
    case 4: f = {keys[key], field_kind::string, "1.0"}; break;
    case 5: f = {keys[key], field_kind::string, "aws:kinesis"}; break;
    case 6: f = {keys[key], field_kind::string, "1.0"}; break;
    case 7: {
      const auto seq = padded_digits<56>("49", r.sequence);
      buf.assign(shard_id);
      buf.push_back(':');
      buf.append(seq.data(), seq.size());
      f = {keys[key], field_kind::string, buf};
      break;
    }
    case 8: f = {keys[key], field_kind::string, "aws:kinesis:record"}; break;
    case 9: f = {keys[key], field_kind::string, region_of_arn(arn)}; break;
    default: f = {keys[key], field_kind::string, arn}; break;
    }
  }
};

template <class Item>
struct filter_document<dynamodb_stream<Item>> {
  static constexpr std::string_view source_name = "dynamodb";
  static constexpr std::string_view content_key = "dynamodb"; // must be a JSON object pattern (§5)
  static constexpr bool content_readable = dynamodb_json_item<Item>;
  static constexpr std::array<std::string_view, 7> keys = {"dynamodb", "eventID",   "eventName",     "eventVersion",
                                                           "eventSource", "awsRegion", "eventSourceARN"};

  static void fill(std::size_t key, const dynamodb_record<Item>& r, const dynamodb_key_schema& schema,
                   const wall_epoch& epoch, std::string_view arn, std::string& buf, filter::field& f) {
    using filter::field_kind;
    switch (key) {
    case 0:
      buf.clear();
      if constexpr (dynamodb_json_item<Item>) write_dynamodb_object(buf, r, schema, epoch);
      f = {keys[key], field_kind::json, buf};
      break;
    case 1: {
      const auto seq = padded_digits<21>("1", r.sequence); // = dynamodb_sequence_number
      buf.clear();
      append_md5_hex(buf, md5(std::string_view{seq.data(), seq.size()})); // = r.event_id(), no allocation
      f = {keys[key], field_kind::string, buf};
      break;
    }
    case 2: f = {keys[key], field_kind::string, to_string(r.event_name)}; break;
    case 3: f = {keys[key], field_kind::string, "1.1"}; break;
    case 4: f = {keys[key], field_kind::string, "aws:dynamodb"}; break;
    case 5: f = {keys[key], field_kind::string, region_of_arn(arn)}; break;
    default: f = {keys[key], field_kind::string, arn}; break;
    }
  }
};

template <class Body, bool Fifo>
struct filter_document<basic_sqs_queue<Body, Fifo>> {
  static constexpr std::string_view source_name = Fifo ? "sqs fifo" : "sqs";
  static constexpr std::string_view content_key = {}; // body: JSON or text patterns (§5)
  static constexpr bool content_readable = byte_text<Body>;
  static constexpr std::array<std::string_view, 9> keys = {"body",          "messageId",         "receiptHandle",
                                                           "md5OfBody",     "attributes",        "messageAttributes",
                                                           "eventSource",   "eventSourceARN",    "awsRegion"};

  static void fill(std::size_t key, const sqs_message<Body>& m, const wall_epoch& epoch, std::string_view arn,
                   std::string& buf, filter::field& f) {
    using filter::field_kind;
    switch (key) {
    case 0:
      if constexpr (byte_text<Body>) f = {keys[key], field_kind::text_or_json, as_text(m.body)};
      break;
    case 1: f = {keys[key], field_kind::string, m.message_id()}; break;
    case 2:
      buf = m.receipt_handle_text();
      f = {keys[key], field_kind::string, buf};
      break;
    case 3:
      buf.clear();
      if constexpr (byte_text<Body>) append_md5_hex(buf, md5(as_text(m.body)));
      f = {keys[key], field_kind::string, buf};
      break;
    case 4:
      buf.clear();
      write_sqs_attributes(buf, m, Fifo, epoch, sqs_sender_id);
      f = {keys[key], field_kind::json, buf};
      break;
    case 5:
      buf.clear();
      write_message_attributes(buf, m.attributes);
      f = {keys[key], field_kind::json, buf};
      break;
    case 6: f = {keys[key], field_kind::string, "aws:sqs"}; break;
    case 7: f = {keys[key], field_kind::string, arn}; break;
    default: f = {keys[key], field_kind::string, region_of_arn(arn)}; break;
    }
  }
};

/// `FilterCriteria` applied to the records of `Source`: validates the patterns against the
/// source's keys once, then renders only the keys the patterns name for each record.
template <class Source>
class criteria_filter {
public:
  using document = filter_document<Source>;

  criteria_filter(const Source& source, const filter_criteria& criteria, std::string_view where)
      : criteria_(&criteria), arn_(source.arn()), epoch_(source.sim().epoch()) {
    if constexpr (requires { source.config().key_schema; }) schema_ = source.config().key_schema;
    std::string names;
    for (const auto k : document::keys) {
      if (!names.empty()) names += ", ";
      names += k;
    }
    for (const auto& key : criteria.top_level_keys()) {
      std::size_t i = 0;
      while (i < document::keys.size() && document::keys[i] != key) ++i;
      if (i == document::keys.size()) {
        throw config_error("filter_criteria", "patterns on the keys of a " + std::string{document::source_name} +
                                                  " record (" + names + ")",
                           "a pattern on '" + key + "'", where);
      }
      used_[count_++] = i;
    }
    if (criteria.use_of(document::keys[0]) == filter::key_use::none) return;
    if (!document::content_readable) {
      throw config_error("filter_criteria",
                         std::string{"patterns on "} + std::string{document::keys[0]} +
                             " only for a text payload (bytes: std::string, std::vector<std::byte>, ...)" +
                             (document::source_name == "dynamodb"
                                  ? " - for DynamoDB, items that render as AttributeValue JSON (esm::attribute_map_json, "
                                    "nlohmann::json with <esm/aws/json.hpp>, or a dynamodb_item_json specialization)"
                                  : ""),
                         "a pattern on '" + std::string{document::keys[0]} + "'", where);
    }
    if (!document::content_key.empty() &&
        (static_cast<unsigned>(criteria.use_of(document::content_key)) &
         static_cast<unsigned>(filter::key_use::leaf)) != 0) {
      // Streams reject a non-JSON pattern on the data key at create or update (§5).
      throw config_error("filter_criteria",
                         "a JSON object pattern on '" + std::string{document::content_key} + "' (" +
                             std::string{document::source_name} + " filters need JSON records)",
                         "a pattern of plain values on '" + std::string{document::content_key} + "'", where);
    }
  }

  /// True when the record passes (any pattern matches). `shard_id` names a stream record's shard.
  template <class Record>
  bool keeps(const Record& r, std::string_view shard_id = {}) {
    std::array<filter::field, document::keys.size()> fields{};
    for (std::size_t j = 0; j < count_; ++j) {
      const std::size_t k = used_[j];
      fill(k, r, shard_id, buffers_[j], fields[j]);
    }
    return criteria_->matches(std::span<const filter::field>{fields.data(), count_});
  }

private:
  template <class Record>
  void fill(std::size_t k, const Record& r, std::string_view shard_id, std::string& buf, filter::field& f) {
    if constexpr (Source::kind == source_kind::kinesis) {
      document::fill(k, r, shard_id, epoch_, arn_, buf, f);
    } else if constexpr (Source::kind == source_kind::dynamodb) {
      document::fill(k, r, schema_, epoch_, arn_, buf, f);
    } else {
      document::fill(k, r, epoch_, arn_, buf, f);
    }
  }

  const filter_criteria* criteria_;
  std::string arn_;
  wall_epoch epoch_;
  dynamodb_key_schema schema_{};
  std::array<std::size_t, document::keys.size()> used_{};
  std::size_t count_ = 0;
  std::array<std::string, document::keys.size()> buffers_{};
};

/// The filter a poller applies: `keep_all` (no cost), a predicate, or `FilterCriteria`.
template <class Source, class Policy>
class poller_filter {
public:
  static constexpr bool active = !std::is_same_v<Policy, keep_all>;

  poller_filter(const Source& source, Policy& policy, std::string_view where) : policy_(&policy) {
    if constexpr (std::is_same_v<Policy, filter_criteria>) {
      if (!policy.empty()) criteria_.emplace(source, policy, where);
    }
  }

  /// True when the record passes the filter.
  template <class Record>
  bool keeps(const Record& r, std::string_view shard_id = {}) {
    if constexpr (std::is_same_v<Policy, keep_all>) {
      return true;
    } else if constexpr (std::is_same_v<Policy, filter_criteria>) {
      return !criteria_ || criteria_->keeps(r, shard_id);
    } else {
      return static_cast<bool>(policy_->predicate(r));
    }
  }

private:
  Policy* policy_;
  // Only a FilterCriteria needs the source's document (a custom source may have none).
  std::conditional_t<std::is_same_v<Policy, filter_criteria>, std::optional<criteria_filter<Source>>, std::monostate>
      criteria_;
};

} // namespace detail
} // namespace esm
