#pragma once
/// \file esm/lambda/handler.hpp
/// What a user's handler is, what it sees while it runs (`invocation_context`), and what an
/// invocation can end as (`outcome`, `batch_response`).
///
/// A handler is any callable taking the event by reference, optionally followed by
/// `esm::invocation_context&`, and returning `void` or `esm::batch_response`:
/// ```cpp
/// [](const batch& b) { ... }                                   // success unless it throws
/// [](const batch& b, esm::invocation_context& ctx) { ctx.elapse(120ms); }
/// [](const batch& b) -> esm::batch_response { return {{{"42"}}}; } // partial batch response
/// ```
/// A thrown exception is a function error: the function model catches it, keeps its type and
/// text, and it never escapes a function or a poller.

#include <array>
#include <concepts>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#if __has_include(<cxxabi.h>)
#include <cstdlib>
#include <cxxabi.h>
#define ESM_HAS_CXXABI 1
#endif

#include <esm/core/error.hpp>
#include <esm/core/outcome.hpp>
#include <esm/core/time.hpp>

namespace esm {

/// What a handler sees while it runs: modelled processing time, remaining time, the attempt
/// number, the request id and the function's settings. One context per invocation; valid only
/// during the handler's call. Not thread-safe.
class invocation_context {
public:
  /// A context for a handler starting at `start` with the given limits.
  /// (Built by `esm::function`; tests of handlers may build one directly.)
  invocation_context(std::string_view function_name, std::string_view request_id, time_point start, duration timeout,
                     int memory_limit_mb, int attempt) noexcept
      : function_name_(function_name), request_id_(request_id), start_(start), timeout_(timeout),
        memory_limit_mb_(memory_limit_mb), attempt_(attempt) {}

  /// Models `d` of processing time (the handler's own statement of how long it took). Calls
  /// add up. When a handler never calls it, the function's duration model decides. A total
  /// above the timeout makes the invocation a timeout, even if the handler returns.
  /// Throws `usage_error` for a negative `d`.
  void elapse(duration d) {
    if (d < duration::zero()) throw usage_error("invocation_context::elapse: negative duration " + esm::to_string(d));
    elapsed_ += d;
    stated_ = true;
  }
  /// Processing time modelled so far with `elapse`.
  [[nodiscard]] duration elapsed() const noexcept { return elapsed_; }
  /// True when the handler stated its duration with `elapse`.
  [[nodiscard]] bool duration_stated() const noexcept { return stated_; }
  /// Time left before the timeout (AWS `getRemainingTimeInMillis`); never negative.
  [[nodiscard]] duration remaining_time() const noexcept {
    return elapsed_ >= timeout_ ? duration::zero() : timeout_ - elapsed_;
  }
  /// The virtual time at which the handler started (after any cold start).
  [[nodiscard]] time_point start_time() const noexcept { return start_; }
  /// The virtual time "now" inside the handler: start plus what it elapsed.
  [[nodiscard]] time_point now() const noexcept { return start_ + elapsed_; }
  /// The instant the invocation times out.
  [[nodiscard]] time_point deadline() const noexcept { return start_ + timeout_; }
  /// The function timeout.
  [[nodiscard]] duration timeout() const noexcept { return timeout_; }
  /// Which attempt this is for the same records: 1 for the first invocation, 2 for the first retry, ...
  [[nodiscard]] int attempt() const noexcept { return attempt_; }
  /// The invocation's request id: a UUID-shaped string, deterministic for a seed.
  [[nodiscard]] std::string_view request_id() const noexcept { return request_id_; }
  /// The function's name.
  [[nodiscard]] std::string_view function_name() const noexcept { return function_name_; }
  /// The function's memory setting, in MB.
  [[nodiscard]] int memory_limit_mb() const noexcept { return memory_limit_mb_; }

private:
  std::string_view function_name_;
  std::string_view request_id_;
  time_point start_;
  duration timeout_;
  int memory_limit_mb_;
  int attempt_;
  duration elapsed_{};
  bool stated_ = false;
};

/// A handler invocable as `h(event)`.
///
/// ```cpp
/// static_assert(esm::plain_handler<decltype([](const int&) {}), int>);
/// static_assert(!esm::plain_handler<decltype([](const int&, esm::invocation_context&) {}), int>);
/// ```
template <class H, class Event>
concept plain_handler = std::invocable<H&, Event&>;

/// A handler invocable as `h(event, ctx)` with an `esm::invocation_context&`.
template <class H, class Event>
concept contextual_handler = std::invocable<H&, Event&, invocation_context&>;

namespace detail {
template <class H, class Event>
struct handler_result {
  using type = void;
};
template <class H, class Event>
requires contextual_handler<H, Event>
struct handler_result<H, Event> {
  using type = std::invoke_result_t<H&, Event&, invocation_context&>;
};
template <class H, class Event>
requires(plain_handler<H, Event> && !contextual_handler<H, Event>) struct handler_result<H, Event> {
  using type = std::invoke_result_t<H&, Event&>;
};
} // namespace detail

/// What a handler returns for `Event`: `void` or `esm::batch_response`. The contextual form
/// wins when a callable accepts both.
template <class H, class Event>
using handler_result_t = typename detail::handler_result<H, Event>::type;

/// A handler of `Event`: callable as `h(event)` or `h(event, ctx)`, returning `void`
/// (success unless it throws) or something convertible to `esm::batch_response`.
///
/// ```cpp
/// static_assert(esm::handler<decltype([](const int&) {}), int>);
/// static_assert(esm::handler<decltype([](int&, esm::invocation_context&) { return esm::batch_response{}; }), int>);
/// static_assert(!esm::handler<decltype([](const int&) { return 42; }), int>);   // wrong result
/// static_assert(!esm::handler<decltype([](const std::string&) {}), int>);       // wrong event
/// ```
template <class H, class Event>
concept handler = (plain_handler<H, Event> ||
                   contextual_handler<H, Event>)&&(std::is_void_v<handler_result_t<H, Event>> ||
                                                   std::convertible_to<handler_result_t<H, Event>, batch_response>);

/// A handler that returns a partial batch response.
template <class H, class Event>
concept partial_batch_handler = handler<H, Event> && !std::is_void_v<handler_result_t<H, Event>>;

/// What running a handler produced, before the function model applies its timeout.
struct handler_return {
  bool threw = false;                     ///< the handler threw
  std::string error_type;                 ///< the exception's type (demangled), when it threw
  std::string error_message;              ///< the exception's `what()`, when it threw
  std::optional<batch_response> response; ///< what a partial-batch handler returned
};

namespace detail {

/// The readable name of a type_info (demangled where the ABI allows).
inline std::string type_name(const std::type_info& ti) {
#if defined(ESM_HAS_CXXABI)
  int status = 0;
  char* demangled = abi::__cxa_demangle(ti.name(), nullptr, nullptr, &status);
  if (status == 0 && demangled != nullptr) {
    std::string out{demangled};
    std::free(demangled);
    return out;
  }
  std::free(demangled);
#endif
  return ti.name();
}

/// Calls `h` on `event` (with `ctx` when it takes one) and turns every exception into a
/// function error. Never throws.
template <class Event, handler<Event> H>
handler_return run_handler(H& h, Event& event, invocation_context& ctx) noexcept {
  handler_return out;
  // The response is stored only after the handler returned, so on every exception path it
  // is still empty.
  try {
    try {
      if constexpr (contextual_handler<H, Event>) {
        if constexpr (std::is_void_v<handler_result_t<H, Event>>) {
          h(event, ctx);
        } else {
          batch_response r = h(event, ctx);
          out.response.emplace(std::move(r));
        }
      } else {
        if constexpr (std::is_void_v<handler_result_t<H, Event>>) {
          h(event);
        } else {
          batch_response r = h(event);
          out.response.emplace(std::move(r));
        }
      }
    } catch (const std::exception& e) {
      out.threw = true;
      out.error_type = type_name(typeid(e));
      out.error_message = e.what();
    } catch (...) {
      out.threw = true;
      out.error_type = "unknown";
      out.error_message = "the handler threw an exception that is not a std::exception";
    }
  } catch (...) {
    // Building the error text failed (out of memory): still a function error.
    out.threw = true;
  }
  return out;
}

/// Calls `h` on `event` (with `ctx` when it takes one), as `run_handler` does, and returns its
/// response (an empty one for a `void` handler). Exceptions propagate: a caller inside
/// `run_handler` turns them into function errors.
template <class Event, handler<Event> H>
batch_response call_batch_handler(H& h, Event& event, invocation_context& ctx) {
  if constexpr (contextual_handler<H, Event>) {
    if constexpr (std::is_void_v<handler_result_t<H, Event>>) {
      h(event, ctx);
      return {};
    } else {
      return batch_response(h(event, ctx));
    }
  } else {
    if constexpr (std::is_void_v<handler_result_t<H, Event>>) {
      h(event);
      return {};
    } else {
      return batch_response(h(event));
    }
  }
}

} // namespace detail
} // namespace esm
