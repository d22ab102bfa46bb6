#pragma once
/// \file esm/fmt.hpp
/// `fmt::formatter` specializations for esm's public value types, so `fmt::print("{}", x)`
/// works for them. Durations are `std::chrono::nanoseconds`, which fmt's own `<fmt/chrono.h>`
/// formats (as `1500000000ns`); wrap one in `esm::pretty(d)` to print it as `1500ms`.
///
/// | type | renders as |
/// |---|---|
/// | `esm::time_point` | `t=1500ms` (or `never`) |
/// | `esm::pretty_duration` | `1500ms`, `3s`, `5min` |
/// | `esm::outcome` | `success`, `partial`, `function_error`, `timeout`, `throttled` |
/// | `esm::trace_event` | `t=1s function/orders complete outcome=success ...` |
/// | `esm::invocation_result` | `timeout attempt=1 start=t=0s end=t=3s run_time=3s ...` |
/// | `esm::function_metrics` | `invocations=10 errors=0 throttles=3 ...` |
/// | `esm::config_error` | its message |
/// | `esm::esm_metrics` | `polled=25 filtered_out=0 invoked=25 failed_invoke=0 deleted=25 ...` |
/// | `esm::sqs_queue_metrics` | `sent=25 received=25 deleted=25 returned=0 redriven_out=0 ...` |
/// | `esm::receipt_handle` | its opaque text, `AQEB…` |
/// | `esm::delete_status` | `deleted`, `already_deleted`, `stale_handle` |
/// | `esm::filter_criteria` | AWS's JSON, `{"Filters":[{"Pattern":"…"}]}` (`{}` when empty) |

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <esm/core/error.hpp>
#include <esm/core/time.hpp>
#include <esm/core/trace.hpp>
#include <esm/filter/criteria.hpp>
#include <esm/lambda/function.hpp>
#include <esm/lambda/handler.hpp>
#include <esm/pollers/configuration.hpp>
#include <esm/pollers/metrics.hpp>
#include <esm/sources/sqs_message.hpp>

namespace esm {
/// A duration to print in readable units through fmt: `fmt::print("{}", esm::pretty(250ms))`.
struct pretty_duration {
  duration value; ///< the duration
};
/// Wraps `d` for readable printing (see `pretty_duration`).
[[nodiscard]] constexpr pretty_duration pretty(duration d) noexcept { return pretty_duration{d}; }

/// Renders a wrapped duration (`250ms`).
[[nodiscard]] inline std::string to_string(const pretty_duration& d) { return esm::to_string(d.value); }
/// The error's message.
[[nodiscard]] inline std::string to_string(const config_error& e) { return e.what(); }

/// Renders invocation results and metrics as one line of `key=value` pairs.
[[nodiscard]] inline std::string to_string(const invocation_result& r) {
  std::string out{to_string(r.kind)};
  out += fmt::format(" attempt={} start={} end={} run_time={}", r.attempt, esm::to_string(r.start),
                     esm::to_string(r.end), esm::to_string(r.run_time));
  if (r.cold_start) out += fmt::format(" cold_start init={}", esm::to_string(r.init_duration));
  if (!r.request_id().empty()) out += fmt::format(" request_id={}", r.request_id());
  if (r.response) out += fmt::format(" batch_item_failures={}", r.response->batch_item_failures.size());
  if (!r.error_type.empty()) out += fmt::format(" error_type={} error_message=\"{}\"", r.error_type, r.error_message);
  return out;
}
/// Renders function metrics as one line.
[[nodiscard]] inline std::string to_string(const function_metrics& m) {
  return fmt::format("invocations={} errors={} timeouts={} throttles={} cold_starts={} concurrent_executions={} "
                     "max_concurrent_executions={} duration_mean={} duration_max={}",
                     m.invocations, m.errors, m.timeouts, m.throttles, m.cold_starts, m.concurrent_executions,
                     m.max_concurrent_executions, esm::to_string(m.duration.mean()), esm::to_string(m.duration.max));
}
/// Renders a mapping's metrics as one line (AWS names in the field docs of `esm_metrics`).
[[nodiscard]] inline std::string to_string(const esm_metrics& m) {
  return fmt::format("polled={} filtered_out={} invoked={} failed_invoke={} deleted={} processed={} dropped={} "
                     "on_failure_delivered={} batches={} retries={} bisections={} throttles={} concurrency={} "
                     "max_concurrency={} iterator_age={}",
                     m.polled_event_count, m.filtered_out_event_count, m.invoked_event_count,
                     m.failed_invoke_event_count, m.deleted_event_count, m.processed_event_count,
                     m.dropped_event_count, m.on_failure_destination_delivered_event_count, m.batches, m.retries,
                     m.bisections, m.throttles, m.concurrency, m.max_concurrency, esm::to_string(m.iterator_age));
}
/// Renders a queue's counters as one line.
[[nodiscard]] inline std::string to_string(const sqs_queue_metrics& m) {
  return fmt::format("sent={} received={} deleted={} returned={} redriven_out={} redriven_in={} expired={} "
                     "deduplicated={} duplicate_deliveries={} receive_calls={} empty_receives={} "
                     "over_limit_receives={}",
                     m.sent, m.received, m.deleted, m.returned, m.redriven_out, m.redriven_in, m.expired,
                     m.deduplicated, m.duplicate_deliveries, m.receive_calls, m.empty_receives,
                     m.over_limit_receives);
}
namespace detail {
inline std::string opt_text(const std::optional<int>& v) { return v ? std::to_string(*v) : "(policy)"; }
inline std::string opt_text(const std::optional<bool>& v) { return v ? (*v ? "true" : "false") : "(policy)"; }
inline std::string opt_text(const std::optional<duration>& v) { return v ? esm::to_string(*v) : "(policy)"; }
inline std::string patterns_text(const std::optional<std::vector<std::string>>& p) {
  if (!p) return "none";
  std::string out = "[";
  for (std::size_t i = 0; i < p->size(); ++i) out += (i > 0 ? ", " : "") + (*p)[i];
  return out + "]";
}
inline const char* start_text(const starting_position& s) {
  switch (s.type) {
  case iterator_type::trim_horizon: return "TRIM_HORIZON";
  case iterator_type::latest: return "LATEST";
  case iterator_type::at_timestamp: return "AT_TIMESTAMP";
  case iterator_type::at_sequence_number: return "AT_SEQUENCE_NUMBER";
  case iterator_type::after_sequence_number: return "AFTER_SEQUENCE_NUMBER";
  }
  return "unknown";
}
} // namespace detail
/// `GetEventSourceMapping` as one line with AWS's parameter names; `(policy)` marks a parameter
/// that a user-written policy owns.
[[nodiscard]] inline std::string to_string(const stream_mapping_configuration& c) {
  return fmt::format("EventSourceArn={} FunctionName={} State={} StateTransitionReason=\"{}\" "
                     "LastProcessingResult=\"{}\" BatchSize={} "
                     "MaximumBatchingWindowInSeconds={} StartingPosition={} ParallelizationFactor={} "
                     "MaximumRetryAttempts={} MaximumRecordAgeInSeconds={} BisectBatchOnFunctionError={} "
                     "TumblingWindowInSeconds={} FunctionResponseTypes={} FilterCriteria={} OnFailure={}",
                     c.event_source_arn, c.function_name, to_string(c.state), c.state_transition_reason,
                     c.last_processing_result, c.batch_size, detail::opt_text(c.maximum_batching_window),
                     detail::start_text(c.start), c.parallelization_factor, detail::opt_text(c.maximum_retry_attempts),
                     c.maximum_record_age < duration::zero() ? std::string{"-1"} : esm::to_string(c.maximum_record_age),
                     detail::opt_text(c.bisect_batch_on_function_error), esm::to_string(c.tumbling_window),
                     c.report_batch_item_failures ? "[ReportBatchItemFailures]" : "[]",
                     detail::patterns_text(c.filter_patterns), c.on_failure_destination ? "set" : "none");
}
/// `GetEventSourceMapping` of an SQS mapping as one line.
[[nodiscard]] inline std::string to_string(const queue_mapping_configuration& c) {
  return fmt::format("EventSourceArn={} FunctionName={} State={} StateTransitionReason=\"{}\" "
                     "LastProcessingResult=\"{}\" BatchSize={} "
                     "MaximumBatchingWindowInSeconds={} ScalingConfig.MaximumConcurrency={} "
                     "FunctionResponseTypes={} FilterCriteria={}",
                     c.event_source_arn, c.function_name, to_string(c.state), c.state_transition_reason,
                     c.last_processing_result, c.batch_size, detail::opt_text(c.maximum_batching_window),
                     c.maximum_concurrency ? std::to_string(*c.maximum_concurrency) : std::string{"none"},
                     c.report_batch_item_failures ? "[ReportBatchItemFailures]" : "[]",
                     detail::patterns_text(c.filter_patterns));
}
/// AWS's `FilterCriteria` JSON (see `filter_criteria::to_json`).
[[nodiscard]] inline std::string to_string(const filter_criteria& c) { return c.to_json(); }
/// The handle's opaque text.
[[nodiscard]] inline std::string to_string(const receipt_handle& r) { return r.text(); }
/// `deleted`, `already_deleted` or `stale_handle`.
[[nodiscard]] constexpr std::string_view to_string(delete_status s) noexcept {
  switch (s) {
  case delete_status::deleted:
    return "deleted";
  case delete_status::already_deleted:
    return "already_deleted";
  case delete_status::stale_handle:
    return "stale_handle";
  }
  return "unknown";
}
} // namespace esm

namespace esm::detail {
/// Base for formatters that render through a `to_string` and accept string format specs.
template <class T>
struct to_string_formatter : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const T& v, FormatContext& ctx) const -> decltype(ctx.out()) {
    using esm::to_string;
    const std::string text{to_string(v)};
    return fmt::formatter<std::string_view>::format(std::string_view{text}, ctx);
  }
};
} // namespace esm::detail

template <>
struct fmt::formatter<esm::time_point> : esm::detail::to_string_formatter<esm::time_point> {};
template <>
struct fmt::formatter<esm::pretty_duration> : esm::detail::to_string_formatter<esm::pretty_duration> {};
template <>
struct fmt::formatter<esm::outcome> : esm::detail::to_string_formatter<esm::outcome> {};
template <>
struct fmt::formatter<esm::trace_event> : esm::detail::to_string_formatter<esm::trace_event> {};
template <>
struct fmt::formatter<esm::invocation_result> : esm::detail::to_string_formatter<esm::invocation_result> {};
template <>
struct fmt::formatter<esm::function_metrics> : esm::detail::to_string_formatter<esm::function_metrics> {};
template <>
struct fmt::formatter<esm::config_error> : esm::detail::to_string_formatter<esm::config_error> {};
template <>
struct fmt::formatter<esm::esm_metrics> : esm::detail::to_string_formatter<esm::esm_metrics> {};
template <>
struct fmt::formatter<esm::sqs_queue_metrics> : esm::detail::to_string_formatter<esm::sqs_queue_metrics> {};
template <>
struct fmt::formatter<esm::filter_criteria> : esm::detail::to_string_formatter<esm::filter_criteria> {};
template <>
struct fmt::formatter<esm::receipt_handle> : esm::detail::to_string_formatter<esm::receipt_handle> {};
template <>
struct fmt::formatter<esm::delete_status> : esm::detail::to_string_formatter<esm::delete_status> {};
template <>
struct fmt::formatter<esm::stream_mapping_configuration>
    : esm::detail::to_string_formatter<esm::stream_mapping_configuration> {};
template <>
struct fmt::formatter<esm::queue_mapping_configuration>
    : esm::detail::to_string_formatter<esm::queue_mapping_configuration> {};
