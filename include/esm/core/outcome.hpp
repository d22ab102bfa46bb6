#pragma once
/// \file esm/core/outcome.hpp
/// What an invocation can end as (`outcome`), the partial batch response a handler returns
/// (`batch_response`), and why a stream mapping discards records (`discard_condition`): the
/// vocabulary that handlers, policies and pollers share. std only.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace esm {

/// One entry of a partial batch response: `{"itemIdentifier": "..."}`. The identifier is the
/// record's sequence number (streams) or the message's messageId (SQS). An absent identifier
/// models JSON `null`, which AWS treats as a failure of the whole batch.
struct batch_item_failure {
  std::optional<std::string> item_identifier; ///< sequence number / messageId; nullopt = null

  friend bool operator==(const batch_item_failure&, const batch_item_failure&) = default;
};

/// A partial batch response, `{"batchItemFailures": [...]}`, returned by a handler when the
/// event source mapping has `ReportBatchItemFailures` enabled (otherwise AWS ignores it).
/// An empty list means complete success.
struct batch_response {
  std::vector<batch_item_failure> batch_item_failures; ///< the failed items; empty = success

  /// A response reporting complete success.
  [[nodiscard]] static batch_response success() { return {}; }
  /// A response reporting the given identifiers as failed.
  [[nodiscard]] static batch_response failed(std::initializer_list<std::string_view> ids) {
    batch_response r;
    r.batch_item_failures.reserve(ids.size());
    for (const auto id : ids) r.batch_item_failures.push_back({std::string{id}});
    return r;
  }
  /// Adds a failed item. Returns `*this` for chaining.
  batch_response& fail(std::string item_identifier) {
    batch_item_failures.push_back({std::move(item_identifier)});
    return *this;
  }
  /// True when no item is reported failed.
  [[nodiscard]] bool empty() const noexcept { return batch_item_failures.empty(); }

  friend bool operator==(const batch_response&, const batch_response&) = default;
};

/// How an invocation ended, as the event source mapping sees it.
enum class outcome : std::uint8_t {
  success,        ///< the handler returned (void, or a response with no failures) within the timeout
  partial,        ///< the handler returned a `batch_response` listing failed items
  function_error, ///< the handler threw; counted in `Errors`
  timeout,        ///< the modelled duration exceeded the function timeout; counted in `Errors`
  throttled,      ///< no concurrency was available; the handler never ran; counted in `Throttles`
};

/// The outcome's name: `success`, `partial`, `function_error`, `timeout`, `throttled`.
[[nodiscard]] constexpr std::string_view to_string(outcome o) noexcept {
  switch (o) {
  case outcome::success:
    return "success";
  case outcome::partial:
    return "partial";
  case outcome::function_error:
    return "function_error";
  case outcome::timeout:
    return "timeout";
  case outcome::throttled:
    return "throttled";
  }
  return "unknown";
}

/// True for the outcomes AWS counts in the function's `Errors` metric (function errors and
/// timeouts), which consume an event source mapping's retry attempts.
[[nodiscard]] constexpr bool is_error(outcome o) noexcept {
  return o == outcome::function_error || o == outcome::timeout;
}

/// Why a batch was discarded (`requestContext.condition`).
enum class discard_condition : std::uint8_t {
  retry_attempts_exhausted, ///< `RetryAttemptsExhausted`: MaximumRetryAttempts used up
  record_age_exceeded,      ///< `RecordAgeExceeded`: older than MaximumRecordAgeInSeconds
};

/// The AWS spelling of a condition.
[[nodiscard]] constexpr const char* to_string(discard_condition c) noexcept {
  return c == discard_condition::retry_attempts_exhausted ? "RetryAttemptsExhausted" : "RecordAgeExceeded";
}

} // namespace esm
