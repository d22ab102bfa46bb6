#pragma once
/// \file esm/testing/scripted.hpp
/// Scripted behaviour to compose with a handler: each function takes a handler (the user's, or
/// another scripted one) and returns a handler that does something first, then calls it.
///
/// ```cpp
/// using namespace esm::testing;
/// auto h = fail_first(2, take(200ms, my_handler));       // two function errors, then 200 ms each
/// auto p = poison([](const auto& m) { return m.body == "bad"; }, my_handler);  // whole batch fails
/// auto f = fail_items([](const auto& r) { return r.partition_key == "k7"; }, my_handler);
/// ```
///
/// | Wrapper | Behaviour |
/// |---|---|
/// | `fail_first(n, h[, error])` | the first `n` invocations throw (`scripted_failure`, or a copy of `error`); later
/// ones call `h` | | `fail_always(h[, error])` | every invocation throws | | `fail_if(pred, h[, error])` | throws when
/// `pred(event, ctx)` is true, else calls `h` | | `poison(pred, h[, error])` | throws when any item of the batch
/// matches `pred(item)` (a poison record) | | `fail_items(pred, h)` | calls `h`, then reports the items matching
/// `pred(item)` as failed in a partial batch response (added to `h`'s own) | | `take(d, h)` | states `d` of processing
/// time (`ctx.elapse(d)`) before calling `h` | | `take_per_item(d, h)` | states `d` × the batch's size | | `take(model,
/// seed, h)` | states a draw of an `esm::duration_model` (own random stream from `seed`: deterministic) | |
/// `time_out(h)` | calls `h`, then states the rest of the timeout and 1 ns more: the invocation times out |
///
/// Each wrapper is a small value (the handler and its parameters); it keeps its state (the
/// invocation count of `fail_first`) in itself, so each poller given a copy counts on its own.
/// None allocates per record: `poison` and `fail_if` test every item and build an exception
/// only when they fail; `fail_items` allocates only the identifiers it reports. A wrapper is a
/// handler of every event its inner handler accepts, with the same result type (`fail_items`
/// returns an `esm::batch_response`).

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <esm/core/error.hpp>
#include <esm/core/outcome.hpp>
#include <esm/core/random.hpp>
#include <esm/core/time.hpp>
#include <esm/lambda/function.hpp>
#include <esm/lambda/handler.hpp>
#include <esm/testing/detail/items.hpp>

namespace esm::testing {

/// What a scripted failure throws unless it was given an error to throw.
class scripted_failure : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

namespace detail {

/// The default error: a `scripted_failure` with a message.
struct default_error {
  [[noreturn]] void raise(const char* what) const { throw scripted_failure(what); }
};
/// A user's error object: thrown as a copy.
template <class E>
struct given_error {
  E error;
  [[noreturn]] void raise(const char*) const { throw error; }
};
template <class E>
auto make_error(E e) {
  static_assert(std::is_copy_constructible_v<E>, "esm::testing: the error to throw must be copyable");
  return given_error<E>{std::move(e)};
}

/// A handler that calls `Base::before` / `Base::after` around the inner handler. Base (CRTP)
/// provides `template <class Event> void before(Event&, invocation_context&)`.
template <class Derived, class H>
class wrapper {
public:
  explicit wrapper(H h) : h_(std::move(h)) {}

  template <class Event>
  requires esm::handler<H, Event> handler_result_t<H, Event>
  operator()(Event& event, invocation_context& ctx) {
    static_cast<Derived&>(*this).before(event, ctx);
    return detail::call(h_, event, ctx);
  }

protected:
  H h_;
};

template <class H, class Error>
class fail_first_handler : public wrapper<fail_first_handler<H, Error>, H> {
public:
  fail_first_handler(std::uint64_t n, H h, Error e)
      : wrapper<fail_first_handler, H>(std::move(h)), n_(n), e_(std::move(e)) {}
  template <class Event>
  void before(Event&, invocation_context&) {
    if (seen_ < n_) {
      ++seen_;
      e_.raise("esm::testing::fail_first: scripted function error");
    }
  }

private:
  std::uint64_t n_;
  std::uint64_t seen_ = 0;
  Error e_;
};

template <class Pred, class H, class Error>
class fail_if_handler : public wrapper<fail_if_handler<Pred, H, Error>, H> {
public:
  fail_if_handler(Pred p, H h, Error e)
      : wrapper<fail_if_handler, H>(std::move(h)), p_(std::move(p)), e_(std::move(e)) {}
  template <class Event>
  void before(Event& event, invocation_context& ctx) {
    bool fail = false;
    if constexpr (std::is_invocable_r_v<bool, Pred&, Event&, invocation_context&>) {
      fail = p_(event, ctx);
    } else {
      static_assert(std::is_invocable_r_v<bool, Pred&, Event&>,
                    "esm::testing::fail_if: the predicate must take (event) or (event, ctx) and return bool");
      fail = p_(event);
    }
    if (fail) e_.raise("esm::testing::fail_if: scripted function error");
  }

private:
  Pred p_;
  Error e_;
};

template <class Pred, class H, class Error>
class poison_handler : public wrapper<poison_handler<Pred, H, Error>, H> {
public:
  poison_handler(Pred p, H h, Error e) : wrapper<poison_handler, H>(std::move(h)), p_(std::move(p)), e_(std::move(e)) {}
  template <class Event>
  void before(Event& event, invocation_context&) {
    for (const auto& item : event) {
      if (p_(item)) {
        if constexpr (std::is_same_v<Error, default_error>) {
          throw scripted_failure("esm::testing::poison: poison item " + detail::item_identifier(item));
        } else {
          e_.raise("");
        }
      }
    }
  }

private:
  Pred p_;
  Error e_;
};

template <class H>
class take_handler : public wrapper<take_handler<H>, H> {
public:
  take_handler(duration d, bool per_item, H h) : wrapper<take_handler, H>(std::move(h)), d_(d), per_item_(per_item) {}
  template <class Event>
  void before(Event& event, invocation_context& ctx) {
    ctx.elapse(per_item_ ? d_ * static_cast<duration::rep>(event.size()) : d_);
  }

private:
  duration d_;
  bool per_item_;
};

template <class H>
class take_model_handler : public wrapper<take_model_handler<H>, H> {
public:
  take_model_handler(duration_model m, std::uint64_t seed, H h)
      : wrapper<take_model_handler, H>(std::move(h)), m_(std::move(m)),
        rng_(seed, make_stream_id("esm::testing::take")) {}
  template <class Event>
  void before(Event& event, invocation_context& ctx) {
    ctx.elapse(m_.sample(rng_, event.size()));
  }

private:
  duration_model m_;
  random_stream rng_;
};

template <class H>
class time_out_handler {
public:
  explicit time_out_handler(H h) : h_(std::move(h)) {}
  template <class Event>
  requires esm::handler<H, Event> handler_result_t<H, Event>
  operator()(Event& event, invocation_context& ctx) {
    struct overrun {
      invocation_context& c;
      ~overrun() { c.elapse(c.remaining_time() + duration{1}); }
    } guard{ctx};
    return detail::call(h_, event, ctx);
  }

private:
  H h_;
};

template <class Pred, class H>
class fail_items_handler {
public:
  fail_items_handler(Pred p, H h) : p_(std::move(p)), h_(std::move(h)) {}
  template <class Event>
  requires esm::handler<H, Event> batch_response operator()(Event& event, invocation_context& ctx) {
    batch_response r;
    if constexpr (std::is_void_v<handler_result_t<H, Event>>) {
      detail::call(h_, event, ctx);
    } else {
      r = batch_response(detail::call(h_, event, ctx));
    }
    for (const auto& item : event) {
      if (!p_(item)) continue;
      std::string id = detail::item_identifier(item);
      bool listed = false;
      for (const auto& f : r.batch_item_failures) listed = listed || (f.item_identifier && *f.item_identifier == id);
      if (!listed) r.batch_item_failures.push_back(batch_item_failure{std::move(id)});
    }
    return r;
  }

private:
  Pred p_;
  H h_;
};

} // namespace detail

/// The first `n` invocations throw `scripted_failure` (a function error); later ones call `h`.
template <class H>
[[nodiscard]] auto fail_first(std::uint64_t n, H h) {
  return detail::fail_first_handler<H, detail::default_error>{n, std::move(h), {}};
}
/// The first `n` invocations throw a copy of `error`; later ones call `h`.
template <class H, class E>
[[nodiscard]] auto fail_first(std::uint64_t n, H h, E error) {
  return detail::fail_first_handler<H, decltype(detail::make_error(std::move(error)))>{
      n, std::move(h), detail::make_error(std::move(error))};
}
/// Every invocation throws `scripted_failure` (`h` is never called).
template <class H>
[[nodiscard]] auto fail_always(H h) {
  return fail_first(UINT64_MAX, std::move(h));
}
/// Every invocation throws a copy of `error`.
template <class H, class E>
[[nodiscard]] auto fail_always(H h, E error) {
  return fail_first(UINT64_MAX, std::move(h), std::move(error));
}
/// Throws `scripted_failure` when `pred(event)` or `pred(event, ctx)` is true, else calls `h`.
template <class Pred, class H>
[[nodiscard]] auto fail_if(Pred pred, H h) {
  return detail::fail_if_handler<Pred, H, detail::default_error>{std::move(pred), std::move(h), {}};
}
/// Throws a copy of `error` when the predicate is true, else calls `h`.
template <class Pred, class H, class E>
[[nodiscard]] auto fail_if(Pred pred, H h, E error) {
  return detail::fail_if_handler<Pred, H, decltype(detail::make_error(std::move(error)))>{
      std::move(pred), std::move(h), detail::make_error(std::move(error))};
}
/// Throws `scripted_failure` naming the first item matching `pred(item)` (a poison record or
/// message fails its whole batch), else calls `h`.
template <class Pred, class H>
[[nodiscard]] auto poison(Pred pred, H h) {
  return detail::poison_handler<Pred, H, detail::default_error>{std::move(pred), std::move(h), {}};
}
/// Throws a copy of `error` when an item matches `pred(item)`, else calls `h`.
template <class Pred, class H, class E>
[[nodiscard]] auto poison(Pred pred, H h, E error) {
  return detail::poison_handler<Pred, H, decltype(detail::make_error(std::move(error)))>{
      std::move(pred), std::move(h), detail::make_error(std::move(error))};
}
/// Calls `h`, then reports every item matching `pred(item)` as failed (its sequence number or
/// messageId) in the partial batch response, after the failures `h` reported itself. Honoured
/// only with `ReportBatchItemFailures` on (`report_batch_item_failures = true`).
template <class Pred, class H>
[[nodiscard]] auto fail_items(Pred pred, H h) {
  return detail::fail_items_handler<Pred, H>{std::move(pred), std::move(h)};
}
/// States `d` (≥ 0) of processing time before calling `h` (it may add more with `ctx.elapse`).
/// Throws `usage_error` for a negative `d`.
template <class H>
[[nodiscard]] auto take(duration d, H h) {
  if (d < duration::zero()) throw usage_error("esm::testing::take: negative duration " + esm::to_string(d));
  return detail::take_handler<H>{d, false, std::move(h)};
}
/// States `d` (≥ 0) per item of the batch before calling `h`. Throws `usage_error` for a negative `d`.
template <class H>
[[nodiscard]] auto take_per_item(duration d, H h) {
  if (d < duration::zero()) throw usage_error("esm::testing::take_per_item: negative duration " + esm::to_string(d));
  return detail::take_handler<H>{d, true, std::move(h)};
}
/// States a draw of `model` (with the batch's size as its item count) before calling `h`; the
/// draws come from a random stream of `seed`, the same for a seed on every run.
template <class H>
[[nodiscard]] auto take(duration_model model, std::uint64_t seed, H h) {
  return detail::take_model_handler<H>{std::move(model), seed, std::move(h)};
}
/// Calls `h`, then states the rest of the function's timeout and 1 ns more, so the invocation
/// times out (`Sandbox.Timedout`) whatever `h` did, even when it threw.
template <class H>
[[nodiscard]] auto time_out(H h) {
  return detail::time_out_handler<H>{std::move(h)};
}

} // namespace esm::testing
