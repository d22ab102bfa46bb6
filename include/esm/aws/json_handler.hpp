#pragma once
/// \file esm/aws/json_handler.hpp
/// Handlers that see only JSON, as a real Lambda function does: `json_handler` renders each
/// batch as AWS's event JSON (spec §4.1–§4.3), calls the user's function with that text, and
/// reads its response with Lambda's rules (§2.5, §3.5, §4.4); `json_window_handler` does the
/// same for tumbling windows (§4.5, §2.7). Both plug into `esm::stream_poller` /
/// `esm::queue_poller` like any handler.
///
/// ```cpp
/// esm::queue_poller poller{orders, fn,
///                          esm::aws::json_handler{orders, [](std::string_view event) -> std::string {
///                            auto e = nlohmann::json::parse(event);
///                            ...
///                            return R"({"batchItemFailures":[{"itemIdentifier":"..."}]})";
///                          }},
///                          esm::queue_options{.report_batch_item_failures = true}};
/// ```
/// The function takes the event text (`std::string_view` or `const std::string&`), optionally
/// followed by `esm::invocation_context&`, and returns the response as text (`std::string`,
/// `std::string_view`, `const char*`), as an `nlohmann::json` value, or nothing (`void`: an
/// empty response, complete success). A thrown exception is a function error, as with any
/// handler. The handler keeps one buffer for the event text, reused from one invocation to the
/// next.

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include <esm/aws/events.hpp>
#include <esm/aws/responses.hpp>
#include <esm/core/source_kind.hpp>
#include <esm/lambda/handler.hpp>
#include <esm/policies/tumbling_window.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/stream_poller.hpp>

namespace esm::aws {

namespace detail {

/// The batch type a poller of `Source` hands its handler.
template <class Source>
struct batch_of {
  static_assert(dependent_false<Source>,
                "esm::aws::json_handler: the source must be an esm::kinesis_stream, esm::dynamodb_stream, "
                "esm::sqs_queue or esm::sqs_fifo_queue");
};
template <class P>
struct batch_of<kinesis_stream<P>> {
  using type = stream_batch<kinesis_record<P>>;
};
template <class Item>
struct batch_of<dynamodb_stream<Item>> {
  using type = stream_batch<dynamodb_record<Item>>;
};
template <class Body, bool Fifo>
struct batch_of<basic_sqs_queue<Body, Fifo>> {
  using type = queue_batch<sqs_message<Body>>;
};

template <class F>
inline constexpr bool takes_context = std::is_invocable_v<F&, const std::string&, invocation_context&>;

template <class R>
inline constexpr bool is_json_v = std::is_same_v<R, nlohmann::json> || std::is_same_v<R, nlohmann::ordered_json>;

/// Calls the user's function on the event text and returns its result.
template <class F>
decltype(auto) call(F& f, const std::string& event, invocation_context* ctx) {
  if constexpr (takes_context<F>) {
    return f(event, *ctx);
  } else {
    (void)ctx;
    return f(event);
  }
}

/// True when `F` can be called with the event text (and optionally a context).
template <class F>
inline constexpr bool event_function = takes_context<F> || std::is_invocable_v<F&, const std::string&>;

template <class F>
using result_of = std::conditional_t<takes_context<F>, std::invoke_result<F&, const std::string&, invocation_context&>,
                                     std::invoke_result<F&, const std::string&>>;

/// Runs `f` on the event and reads its response with `parse` (which takes text or a JSON value).
template <class F, class Parse>
auto respond(F& f, const std::string& event, invocation_context* ctx, Parse parse) {
  using R = std::remove_cvref_t<typename result_of<F>::type>;
  if constexpr (std::is_void_v<R>) {
    call(f, event, ctx);
    return parse(std::string_view{});
  } else if constexpr (is_json_v<R>) {
    const R value = call(f, event, ctx);
    return parse(value);
  } else if constexpr (std::is_convertible_v<R, std::string_view>) {
    const R value = call(f, event, ctx);
    return parse(std::string_view{value});
  } else {
    static_assert(dependent_false<R>,
                  "esm::aws::json_handler: the function must return the response as text (std::string, "
                  "std::string_view, const char*), as nlohmann::json, or void");
    return parse(std::string_view{});
  }
}

/// What both JSON handlers hold: the source, the user's function, the event options and
/// metadata, and the buffers reused from one invocation to the next; and how one invocation
/// runs (render with `write`, call the function, read the response with `parse`).
template <class Source, class F>
class json_handler_core {
public:
  static_assert(event_function<F>,
                "esm::aws: the function must be callable as f(std::string_view event) or "
                "f(std::string_view event, esm::invocation_context&)");

  /// The event text of the most recent invocation (empty before the first).
  [[nodiscard]] std::string_view last_event() const noexcept { return event_; }
  /// What was wrong with the most recent response (empty when it was valid).
  [[nodiscard]] std::string_view last_error() const noexcept { return error_; }
  /// The user's function.
  [[nodiscard]] F& function() noexcept { return f_; }

protected:
  json_handler_core(const Source& source, F f, event_options options)
      : source_(&source), f_(std::move(f)), options_(std::move(options)), meta_(event_source::of(source, options_)) {}

  /// One invocation: `write(out, source, meta, options, scratch)` renders the event into the
  /// reused buffer, the function runs, `parse` reads its response (`.response`, `.error`).
  template <class Write, class Parse>
  auto invoke(invocation_context* ctx, Write write, Parse parse) {
    event_.clear(); // keeps its capacity: the next event reuses the buffer
    write(event_, *source_, meta_, options_, scratch_);
    auto r = respond(f_, event_, ctx, parse);
    error_ = std::move(r.error);
    return std::move(r.response);
  }

private:
  const Source* source_;
  F f_;
  event_options options_;
  event_source meta_;
  std::string event_;
  std::string scratch_;
  std::string error_;
};

} // namespace detail

/// A handler for `esm::stream_poller` / `esm::queue_poller` that gives the user's function the
/// batch as AWS's event JSON and reads its JSON response as Lambda does: it mirrors a Lambda
/// function written against the real event source mapping. `Source` is the stream or queue the
/// poller reads (for the ARN, the key schema and the epoch); it must outlive the handler.
/// Satisfies `esm::handler` for exactly that source's batch type, returning
/// `esm::batch_response` (honoured only with `ReportBatchItemFailures`, as in AWS).
template <class Source, class F>
class json_handler : public detail::json_handler_core<Source, F> {
public:
  using source_type = Source;                                   ///< the stream or queue
  using batch_type = typename detail::batch_of<Source>::type;   ///< what the poller hands it
  using function_type = F;                                      ///< the user's function

  /// Wraps `f` for batches of `source`, rendering events with `options`.
  json_handler(const Source& source, F f, event_options options = {})
      : detail::json_handler_core<Source, F>(source, std::move(f), std::move(options)) {}
  /// Not from a temporary source: the handler keeps a pointer to it.
  json_handler(const Source&&, F, event_options = {}) = delete;

  /// Renders the batch, calls the function (with `ctx` when it takes one) and reads its
  /// response. An invalid response becomes a whole-batch failure (one null identifier).
  esm::batch_response operator()(const batch_type& batch, invocation_context& ctx) { return run(batch, &ctx); }

  /// The same, for a function that takes no `invocation_context` (e.g. called from a test).
  esm::batch_response operator()(const batch_type& batch) requires(!detail::takes_context<F>) {
    return run(batch, nullptr);
  }

private:
  esm::batch_response run(const batch_type& batch, invocation_context* ctx) {
    return this->invoke(
        ctx,
        [&](std::string& out, const Source& src, const detail::event_source& meta, const event_options& o,
            std::string& scratch) { detail::write_event(out, src, batch, meta, o, scratch); },
        [](const auto& response) { return parse_batch_response(response); });
  }
};

/// A tumbling-window handler (`TumblingWindowInSeconds`) for `esm::stream_poller` that gives
/// the user's function the event of spec §4.5 (the records plus `window`, `state`, `shardId`,
/// `eventSourceARN`, `isFinalInvokeForWindow`, `isWindowTerminatedEarly`) and reads its
/// `TimeWindowEventResponse`: `{"state":{...},"batchItemFailures":[...]}`. A response without a
/// `state` (or not JSON, or no response at all from a function returning `void`) fails the
/// invoke (spec §2.7). `Stream` is a Kinesis or DynamoDB stream that must outlive the handler.
template <class Stream, class F>
class json_window_handler : public detail::json_handler_core<Stream, F> {
public:
  static_assert(is_stream(Stream::kind), "esm::aws::json_window_handler: tumbling windows exist only on streams");
  using source_type = Stream;                                 ///< the stream
  using batch_type = typename detail::batch_of<Stream>::type; ///< what the poller hands it
  using function_type = F;                                    ///< the user's function

  /// Wraps `f` for batches of `stream`, rendering events with `options`.
  json_window_handler(const Stream& stream, F f, event_options options = {})
      : detail::json_handler_core<Stream, F>(stream, std::move(f), std::move(options)) {}
  /// Not from a temporary stream: the handler keeps a pointer to it.
  json_window_handler(const Stream&&, F, event_options = {}) = delete;

  /// Renders the batch and window, calls the function and reads its response.
  esm::window_response operator()(const batch_type& batch, const window_context& w, invocation_context& ctx) {
    return run(batch, w, &ctx);
  }
  /// The same, for a function that takes no `invocation_context`.
  esm::window_response operator()(const batch_type& batch, const window_context& w) requires(
      !detail::takes_context<F>) {
    return run(batch, w, nullptr);
  }

private:
  esm::window_response run(const batch_type& batch, const window_context& w, invocation_context* ctx) {
    return this->invoke(
        ctx,
        [&](std::string& out, const Stream& src, const detail::event_source& meta, const event_options& o,
            std::string& scratch) { detail::write_window_event(out, src, batch, w, meta, o, scratch); },
        [](const auto& response) { return parse_window_response(response); });
  }
};

} // namespace esm::aws
