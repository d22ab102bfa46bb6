#pragma once
/// \file esm/testing/escape.hpp
/// Assertions that escape a handler. Anything a handler throws is a function error (AWS's
/// rule, spec §5): the invocation fails, the batch is retried. A test framework's failed
/// assertion thrown inside a handler (Catch2's `REQUIRE` throws `Catch::TestFailureException`)
/// would become a retry, and the simulation would go on. Wrapped in `escaping`, it ends the run
/// instead: the simulation's run call (`run_until_idle`, `run_until`, `step`, …) rethrows it as
/// soon as the event that invoked the handler has finished, so the test fails at the assertion
/// with the framework's own message.
///
/// ```cpp
/// esm::stream_poller p{stream, fn,
///                      esm::testing::escaping<Catch::TestFailureException>(sim, [&](const batch& b) {
///                        REQUIRE(b.size() <= 10);
///                      }), esm::starting_position::trim_horizon()};
/// sim.run_until_idle();   // throws the TestFailureException: Catch reports the REQUIRE
/// ```
///
/// Frameworks that record failures without throwing (Catch2's `CHECK`, GoogleTest's `EXPECT_*`
/// and `ASSERT_*`, which returns from the handler) already fail the test from inside a
/// handler; `stop_when(sim, pred, h)` also ends the run after an invocation once `pred()` is
/// true (e.g. `::testing::Test::HasFatalFailure`), by throwing `esm::testing::assertion_failed`
/// from the run call. No test framework is included here.

#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <esm/core/simulation.hpp>
#include <esm/lambda/handler.hpp>
#include <esm/testing/detail/items.hpp>

namespace esm::testing {

/// Thrown by the run call after a `stop_when` handler found its predicate true.
class assertion_failed : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

namespace detail {

// Runs f(); an exception of one of Es... is handed to the simulation to rethrow after the
// event, then rethrown here (the invocation ends as a function error meanwhile).
template <class F>
decltype(auto) catch_into(simulation&, F& f) {
  return f();
}
template <class E, class... Rest, class F>
decltype(auto) catch_into(simulation& sim, F& f) {
  try {
    return catch_into<Rest...>(sim, f);
  } catch (const E&) {
    sim.raise_after_event(std::current_exception());
    throw;
  }
}

template <class H, class... Es>
class escaping_handler {
public:
  escaping_handler(simulation& sim, H h) : sim_(&sim), h_(std::move(h)) {}
  template <class Event>
  requires esm::handler<H, Event> handler_result_t<H, Event>
  operator()(Event& event, invocation_context& ctx) {
    auto f = [&]() -> handler_result_t<H, Event> { return detail::call(h_, event, ctx); };
    return catch_into<Es...>(*sim_, f);
  }

private:
  simulation* sim_;
  H h_;
};

template <class Pred, class H>
class stop_when_handler {
public:
  stop_when_handler(simulation& sim, Pred p, H h) : sim_(&sim), p_(std::move(p)), h_(std::move(h)) {}
  template <class Event>
  requires esm::handler<H, Event> handler_result_t<H, Event>
  operator()(Event& event, invocation_context& ctx) {
    struct check {
      stop_when_handler& self;
      std::string_view request_id;
      ~check() {
        try {
          if (self.p_())
            self.sim_->raise_after_event(std::make_exception_ptr(
                assertion_failed("esm::testing::stop_when: a test assertion failed inside the handler (request " +
                                 std::string{request_id} + "); the run stops here")));
        } catch (...) {
          self.sim_->raise_after_event(std::current_exception());
        }
      }
    } guard{*this, ctx.request_id()};
    return detail::call(h_, event, ctx);
  }

private:
  simulation* sim_;
  Pred p_;
  H h_;
};

} // namespace detail

/// `h`, except that an exception of one of the types `Es...` (caught by reference, so derived
/// types too) also ends the simulation's run call, which rethrows it after the event. Use it for
/// a test framework's assertion exception: `escaping<Catch::TestFailureException>(sim, h)`.
/// With no type listed, `h` unchanged in behaviour.
template <class... Es, class H>
[[nodiscard]] auto escaping(simulation& sim, H h) {
  static_assert((!std::is_reference_v<Es> && ...), "esm::testing::escaping: list exception types, not references");
  return detail::escaping_handler<H, Es...>{sim, std::move(h)};
}

/// `h`, and after each of its invocations (returned or threw) `pred()` is asked; once it is
/// true the run call throws `assertion_failed` after the event. For frameworks whose assertions
/// record a failure without throwing: `stop_when(sim, [] { return ::testing::Test::HasFailure(); }, h)`.
template <class Pred, class H>
[[nodiscard]] auto stop_when(simulation& sim, Pred pred, H h) {
  static_assert(std::is_invocable_r_v<bool, Pred&>,
                "esm::testing::stop_when: the predicate takes no argument and returns bool");
  return detail::stop_when_handler<Pred, H>{sim, std::move(pred), std::move(h)};
}

} // namespace esm::testing
