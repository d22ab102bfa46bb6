#pragma once
/// \file esm/aws/responses.hpp
/// Reading a function's JSON response as Lambda does (spec §2.5, §3.5, §4.4, §4.5): the partial
/// batch response `{"batchItemFailures":[{"itemIdentifier":"..."}]}` and the tumbling-window
/// response `{"state":{...},"batchItemFailures":[...]}`.
///
/// Lambda reads the response only when the mapping has `ReportBatchItemFailures` (or a tumbling
/// window); the pollers ignore a `batch_response` otherwise, so these functions need not know.
///
/// | response                                                        | result                     |
/// |-----------------------------------------------------------------|----------------------------|
/// | empty text, `null`, `{}`, a bare empty array `[]`                | complete success           |
/// | `{"batchItemFailures":null}` or `{"batchItemFailures":[]}`       | complete success           |
/// | `{"batchItemFailures":[{"itemIdentifier":"id"},...]}`            | those items failed         |
/// | other top-level keys (`{"batchItemFailure":[...]}`, a typo)      | ignored: complete success  |
/// | not JSON; a string, number, boolean or non-empty array           | the whole batch failed     |
/// | `batchItemFailures` not an array; an entry not an object        | the whole batch failed     |
/// | an entry without `itemIdentifier` (a wrong key name), or with a  | the whole batch failed     |
/// | null, empty or non-string one                                    |                            |
///
/// An identifier that is not in the batch also fails the whole batch; the pollers check that,
/// since they know the batch. A whole-batch failure is represented as a `batch_response` holding
/// one item with a null identifier, which both pollers treat as a failure of the whole batch.
///
/// `[]` is success because AWS recorded it so: a stream function returning a bare empty array
/// (what a Python handler's `return []` sends) was invoked once and its record checkpointed
/// (fidelity A2). A non-empty array is not a response object and fails the whole batch.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include <esm/aws/detail/json_read.hpp>
#include <esm/lambda/handler.hpp>
#include <esm/policies/tumbling_window.hpp>

namespace esm::aws {

/// What reading a partial batch response found.
struct parsed_batch_response {
  /// The response for the poller: empty for complete success, the failed identifiers, or (when
  /// the response is invalid) one item with a null identifier, which fails the whole batch.
  esm::batch_response response;
  /// Empty when the response is valid; else why Lambda fails the whole batch.
  std::string error;

  /// True when the response follows the partial batch response rules.
  [[nodiscard]] bool valid() const noexcept { return error.empty(); }
};

/// What reading a tumbling-window response found.
struct parsed_window_response {
  /// The response for the poller: `state` is nullopt when the response has none (the invoke
  /// counts as failed, spec §2.7); `batch_item_failures` as for `parsed_batch_response`.
  esm::window_response response;
  /// Empty when the response is valid; else what was wrong.
  std::string error;

  /// True when the response has a state and valid `batchItemFailures`.
  [[nodiscard]] bool valid() const noexcept { return error.empty(); }
};

namespace detail {

inline parsed_batch_response whole_batch_failed(std::string why) {
  parsed_batch_response r;
  r.response.batch_item_failures.push_back(batch_item_failure{std::nullopt});
  r.error = std::move(why);
  return r;
}

/// Reads `batchItemFailures` of a response object (already known to be an object).
template <class Json>
parsed_batch_response read_failures(const Json& object) {
  const auto it = object.find("batchItemFailures");
  if (it == object.end() || it->is_null()) return {}; // a null list: complete success
  if (!it->is_array()) return whole_batch_failed("batchItemFailures is not an array");
  parsed_batch_response r;
  r.response.batch_item_failures.reserve(it->size());
  for (const auto& entry : *it) {
    if (!entry.is_object()) return whole_batch_failed("a batchItemFailures entry is not an object");
    const auto id = entry.find("itemIdentifier");
    if (id == entry.end()) return whole_batch_failed("a batchItemFailures entry has no itemIdentifier key");
    if (id->is_null()) return whole_batch_failed("an itemIdentifier is null");
    if (!id->is_string()) return whole_batch_failed("an itemIdentifier is not a string");
    const auto& text = id->template get_ref<const std::string&>();
    if (text.empty()) return whole_batch_failed("an itemIdentifier is empty");
    r.response.batch_item_failures.push_back(batch_item_failure{text});
  }
  return r;
}

inline bool blank(std::string_view text) noexcept {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

} // namespace detail

/// Reads a partial batch response given as a JSON value (a handler that returns
/// `nlohmann::json`). `null`, an empty array and objects without a usable failure list are
/// complete success; see the table at the top of this header.
template <class Json>
requires(std::is_same_v<Json, nlohmann::json> || std::is_same_v<Json, nlohmann::ordered_json>)
[[nodiscard]] parsed_batch_response parse_batch_response(const Json& value) {
  if (value.is_null()) return {};
  if (value.is_array() && value.empty()) return {}; // AWS recorded `[]` as success (fidelity A2)
  if (!value.is_object()) {
    return detail::whole_batch_failed(std::string{"the response is a JSON "} + value.type_name() + ", not an object");
  }
  return detail::read_failures(value);
}

/// Reads a partial batch response given as text (what the function returned). Empty text
/// (only whitespace) is an empty response, complete success; text that is not JSON fails the
/// whole batch. See the table at the top of this header.
[[nodiscard]] inline parsed_batch_response parse_batch_response(std::string_view text) {
  if (detail::blank(text)) return {};
  const nlohmann::json value = detail::parse_json_or_discarded(text);
  if (value.is_discarded()) return detail::whole_batch_failed("the response is not valid JSON");
  return parse_batch_response(value);
}

/// Reads a tumbling-window response (`TimeWindowEventResponse`) given as a JSON value:
/// `state` (any JSON value but null, kept as its compact text for the next invoke of the
/// window) and `batchItemFailures` (read as by `parse_batch_response`). A response without a
/// state (not an object, no `state` key, or `"state": null`) gives a nullopt state: the invoke
/// counts as failed (spec §2.7).
template <class Json>
requires(std::is_same_v<Json, nlohmann::json> || std::is_same_v<Json, nlohmann::ordered_json>)
[[nodiscard]] parsed_window_response parse_window_response(const Json& value) {
  parsed_window_response r;
  if (!value.is_object()) {
    r.error = std::string{"the response is a JSON "} + value.type_name() + ", not an object with a state";
    return r;
  }
  const auto state = value.find("state");
  if (state == value.end() || state->is_null()) {
    r.error = "the response has no state";
  } else {
    r.response.state = state->dump();
  }
  parsed_batch_response failures = detail::read_failures(value);
  r.response.batch_item_failures = std::move(failures.response.batch_item_failures);
  if (r.error.empty()) r.error = std::move(failures.error);
  return r;
}

/// Reads a tumbling-window response given as text. Text that is not JSON, or empty text, has no
/// state: the invoke counts as failed (spec §2.7).
[[nodiscard]] inline parsed_window_response parse_window_response(std::string_view text) {
  if (detail::blank(text)) {
    parsed_window_response r;
    r.error = "the response is empty: it has no state";
    return r;
  }
  const nlohmann::json value = detail::parse_json_or_discarded(text);
  if (value.is_discarded()) {
    parsed_window_response r;
    r.error = "the response is not valid JSON";
    return r;
  }
  return parse_window_response(value);
}

} // namespace esm::aws
