#pragma once
/// \file esm/sources/stream_record.hpp
/// What stream sources store: records with a sequence number and an approximate arrival time,
/// how a payload's size is counted, and how sequence numbers are rendered.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include <esm/core/time.hpp>

namespace esm {

/// How many bytes a payload counts for (Kinesis 1 MB record limit, the 6 MB batch limit).
/// Default: `size() * sizeof(value_type)` for contiguous byte-like containers (`std::string`,
/// `std::vector<std::byte>`), else `sizeof(Payload)`. Specialize it for your payload type, or give
/// the type a member `std::size_t payload_bytes() const`.
template <class Payload>
struct payload_traits {
  /// The payload's size in bytes.
  [[nodiscard]] static std::size_t size(const Payload& p) noexcept {
    if constexpr (requires { { p.payload_bytes() } -> std::convertible_to<std::size_t>; }) {
      return static_cast<std::size_t>(p.payload_bytes());
    } else if constexpr (requires {
                           p.size();
                           typename Payload::value_type;
                           requires sizeof(typename Payload::value_type) == 1;
                         }) {
      return static_cast<std::size_t>(p.size());
    } else {
      return sizeof(Payload);
    }
  }
};

/// A Kinesis record as the stream stores it and a handler receives it.
/// Overhead per retained record beyond the payload: 48 bytes (sequence 8, arrival 8, key 32;
/// a partition key of up to 15 characters needs no other allocation).
template <class Payload>
struct kinesis_record {
  std::uint64_t sequence = 0; ///< unique in the stream, increasing per shard
  time_point arrival{};       ///< approximate arrival timestamp
  std::string partition_key;  ///< 1–256 characters
  Payload data{};             ///< the data blob

  /// The sequence number as Kinesis renders it: 56 decimal digits (`49…`).
  [[nodiscard]] std::string sequence_number() const;
  /// The key that orders records for parallelization: the partition key.
  [[nodiscard]] std::string_view ordering_key() const noexcept { return partition_key; }
  /// Bytes the record counts for in a batch (data and partition key).
  [[nodiscard]] std::size_t bytes() const noexcept { return payload_traits<Payload>::size(data) + partition_key.size(); }
};

namespace detail {
inline void append_zero_padded(std::string& out, std::uint64_t v, std::size_t width) {
  const std::string digits = std::to_string(v);
  out.append(width > digits.size() ? width - digits.size() : 0, '0');
  out += digits;
}
} // namespace detail

/// Renders a Kinesis sequence number: `49` then the value on 54 digits (56 in all, as AWS's are).
[[nodiscard]] inline std::string kinesis_sequence_number(std::uint64_t sequence) {
  std::string out = "49";
  out.reserve(56);
  detail::append_zero_padded(out, sequence, 54);
  return out;
}

/// Parses what `kinesis_sequence_number` renders; nullopt for anything else.
[[nodiscard]] inline std::optional<std::uint64_t> parse_kinesis_sequence_number(std::string_view text) noexcept {
  if (text.size() != 56 || text.substr(0, 2) != "49") return std::nullopt;
  const std::string_view digits = text.substr(2);
  // The value fits 20 digits; the first 34 of the 54 must be zeros.
  for (std::size_t i = 0; i < 34; ++i)
    if (digits[i] != '0') return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : digits.substr(34)) {
    if (c < '0' || c > '9') return std::nullopt;
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (~std::uint64_t{0} - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

template <class Payload>
std::string kinesis_record<Payload>::sequence_number() const {
  return kinesis_sequence_number(sequence);
}

} // namespace esm
