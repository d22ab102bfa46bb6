#pragma once
/// \file esm/core/source_kind.hpp
/// The kinds of event source a mapping can read; policies check their ranges against it.

#include <cstdint>

namespace esm {

/// Which kind of source a type is.
enum class source_kind : std::uint8_t {
  kinesis,      ///< Kinesis Data Streams
  dynamodb,     ///< DynamoDB Streams
  sqs_standard, ///< SQS standard queue
  sqs_fifo,     ///< SQS FIFO queue
};

/// The name of a source kind, for messages (`kinesis`, `dynamodb`, `sqs_queue`, `sqs_fifo_queue`).
[[nodiscard]] constexpr const char* to_string(source_kind k) noexcept {
  switch (k) {
  case source_kind::kinesis: return "kinesis";
  case source_kind::dynamodb: return "dynamodb";
  case source_kind::sqs_standard: return "sqs_queue";
  case source_kind::sqs_fifo: return "sqs_fifo_queue";
  }
  return "unknown";
}

/// True for stream sources (Kinesis, DynamoDB).
[[nodiscard]] constexpr bool is_stream(source_kind k) noexcept {
  return k == source_kind::kinesis || k == source_kind::dynamodb;
}

} // namespace esm
