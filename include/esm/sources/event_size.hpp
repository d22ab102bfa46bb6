#pragma once
/// \file esm/sources/event_size.hpp
/// How many bytes a batch's event JSON takes (spec §1: the 6 MB limit of a synchronous invoke is
/// on its payload, the JSON event), counted without rendering it. Pollers cut batches on this
/// size. esm's sources specialize `esm::event_size` next to their record types, giving the byte
/// length of each record exactly as `esm::aws::event_json` renders it with default
/// `esm::aws::event_options`: Kinesis `data` in base64, every string escaped, timestamps and
/// counters as their digits, every field name and separator.
///
/// ```cpp
/// const esm::event_size<esm::kinesis_stream<std::string>> size{orders};
/// std::size_t bytes = esm::event_envelope_bytes;               // {"Records":[ ... ]}
/// for (const auto& r : batch) bytes += size.record(r, batch.shard_id()); // plus a ',' between records
/// ```
///
/// A source of your own is counted by its records' `bytes()` (the generic `event_size`), or
/// specialize `event_size<YourSource>` with the same members.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <ranges>
#include <string>
#include <string_view>

#include <esm/core/time.hpp>
#include <esm/detail/base64.hpp>
#include <esm/detail/json_text.hpp>
#include <esm/sources/arn.hpp>

namespace esm {

/// `invokeIdentityArn` of Kinesis events unless the renderer is told otherwise: the role of the
/// AWS documentation's sample.
inline constexpr std::string_view default_invoke_identity_arn = "arn:aws:iam::123456789012:role/lambda-role";
/// SQS `attributes.SenderId` of every message: esm does not model senders, so the id of the AWS
/// documentation's SQS sample.
inline constexpr std::string_view default_sqs_sender_id = "AIDAIENQZJOLO23YVJ4VO";
/// DynamoDB `eventVersion` of real events (the documentation's samples show `1.0`; spec §4.2).
inline constexpr std::string_view default_dynamodb_event_version = "1.1";

/// Bytes of an event around its records: `{"Records":[` and `]}`.
inline constexpr std::size_t event_envelope_bytes = 14;

/// The size of the event JSON of a source's batches. This generic form counts each record as its
/// `bytes()` and nothing around them (`envelope` and `separator` 0); esm's Kinesis, DynamoDB and
/// SQS sources specialize it with the exact sizes of AWS's JSON.
template <class Source>
struct event_size {
  static constexpr std::size_t envelope = 0;  ///< bytes around the records
  static constexpr std::size_t separator = 0; ///< bytes between two records
  /// Takes the source's constant fields (nothing here).
  explicit event_size(const Source&) noexcept {}
  /// Bytes of one record (`shard_id`: the shard it came from; unused here).
  template <class Record>
  [[nodiscard]] std::size_t record(const Record& r, std::string_view /*shard_id*/ = {}) const noexcept {
    return static_cast<std::size_t>(r.bytes());
  }
};

namespace detail {

/// A payload whose bytes filters and events read as they are: a contiguous range of 1-byte
/// values (`std::string`, `std::string_view`, `std::vector<std::byte>`, ...).
template <class T>
concept byte_text = std::ranges::contiguous_range<const T> && std::ranges::sized_range<const T> &&
                    sizeof(std::ranges::range_value_t<const T>) == 1;

/// The bytes of such a payload.
template <byte_text T>
std::string_view as_text(const T& t) noexcept {
  return {reinterpret_cast<const char*>(std::ranges::data(t)), static_cast<std::size_t>(std::ranges::size(t))};
}

/// True for a message attribute whose data type is `Binary` (optionally `Binary.<suffix>`).
inline bool is_binary_type(std::string_view data_type) noexcept {
  return data_type.starts_with("Binary") && (data_type.size() == 6 || data_type[6] == '.');
}

/// Decimal digits of `v` (from its bit width and one comparison: no division).
[[nodiscard]] constexpr std::size_t uint_digits(std::uint64_t v) noexcept {
  constexpr std::uint64_t pow10[20] = {1ULL,
                                       10ULL,
                                       100ULL,
                                       1'000ULL,
                                       10'000ULL,
                                       100'000ULL,
                                       1'000'000ULL,
                                       10'000'000ULL,
                                       100'000'000ULL,
                                       1'000'000'000ULL,
                                       10'000'000'000ULL,
                                       100'000'000'000ULL,
                                       1'000'000'000'000ULL,
                                       10'000'000'000'000ULL,
                                       100'000'000'000'000ULL,
                                       1'000'000'000'000'000ULL,
                                       10'000'000'000'000'000ULL,
                                       100'000'000'000'000'000ULL,
                                       1'000'000'000'000'000'000ULL,
                                       10'000'000'000'000'000'000ULL};
  const std::uint64_t x = v | 1; // the same digits as v (0 has one); bit_width(0) would be 0
  const auto t = static_cast<std::size_t>((std::bit_width(x) * 1233) >> 12); // ≈ log10(x)
  return t + 1 - (x < pow10[t] ? 1 : 0);
}

/// Characters of `v` in decimal, with its `-` when negative.
[[nodiscard]] constexpr std::size_t int_digits(std::int64_t v) noexcept {
  return v < 0 ? 1 + uint_digits(static_cast<std::uint64_t>(-(v + 1)) + 1) : uint_digits(static_cast<std::uint64_t>(v));
}

/// Length of a literal's text.
template <std::size_t N>
constexpr std::size_t lit(const char (&)[N]) noexcept {
  return N - 1;
}

/// What a source's records share in the event: `eventSourceARN` and `awsRegion`, as JSON strings.
struct event_source_size {
  std::size_t arn = 0;    ///< `"<arn>"`
  std::size_t region = 0; ///< `"<region>"`

  /// Of an ARN (`awsRegion` parsed from it, as the renderer does).
  [[nodiscard]] static event_source_size of(std::string_view arn) noexcept {
    const auto parts = parse_arn(arn);
    return {json_string_length(arn), json_string_length(parts ? parts->region : std::string_view{})};
  }
};

} // namespace detail
} // namespace esm
