// Tests of esm/lambda/handler.hpp: handler concepts, invocation_context, batch_response.
#include <esm/lambda/handler.hpp>

#include <string>
#include <vector>

#include "support/catch.hpp"

using namespace std::chrono_literals;

namespace handler_test {
struct event {
  std::vector<int> records;
};
struct not_an_event {};

// Named namespace and inline: only their types are used, which clang would otherwise flag.
inline constexpr auto plain = [](const event&) {};
inline constexpr auto contextual = [](event&, esm::invocation_context&) {};
inline constexpr auto partial = [](const event&) { return esm::batch_response{}; };
inline constexpr auto partial_ctx = [](const event&, esm::invocation_context&) -> esm::batch_response { return {}; };
inline constexpr auto returns_int = [](const event&) { return 42; };
inline constexpr auto wrong_event = [](const not_an_event&) {};
inline constexpr auto too_many = [](const event&, esm::invocation_context&, int) {};
} // namespace handler_test

namespace {
using namespace handler_test;

esm::invocation_context make_ctx(int attempt = 1) {
  return esm::invocation_context{"orders", "req-1", esm::time_point{} + 1s, 3s, 256, attempt};
}
} // namespace

TEST_CASE("handler concepts accept the four documented forms", "[lambda][handler]") {
  STATIC_REQUIRE(esm::handler<decltype(plain), event>);
  STATIC_REQUIRE(esm::handler<decltype(contextual), event>);
  STATIC_REQUIRE(esm::handler<decltype(partial), event>);
  STATIC_REQUIRE(esm::handler<decltype(partial_ctx), event>);
  STATIC_REQUIRE(esm::plain_handler<decltype(plain), event>);
  STATIC_REQUIRE(esm::contextual_handler<decltype(contextual), event>);
  STATIC_REQUIRE(esm::partial_batch_handler<decltype(partial), event>);
  STATIC_REQUIRE(esm::partial_batch_handler<decltype(partial_ctx), event>);
  STATIC_REQUIRE(!esm::partial_batch_handler<decltype(plain), event>);
}

TEST_CASE("handler concepts reject wrong results, events and arities", "[lambda][handler]") {
  STATIC_REQUIRE(!esm::handler<decltype(returns_int), event>);
  STATIC_REQUIRE(!esm::handler<decltype(wrong_event), event>);
  STATIC_REQUIRE(!esm::handler<decltype(too_many), event>);
  STATIC_REQUIRE(!esm::handler<int, event>);
  STATIC_REQUIRE(!esm::plain_handler<decltype(contextual), event>);
}

TEST_CASE("a generic handler prefers the form with a context", "[lambda][handler]") {
  int with_ctx = 0;
  auto generic = [&](auto&&... args) { with_ctx = static_cast<int>(sizeof...(args)); };
  STATIC_REQUIRE(esm::contextual_handler<decltype(generic), event>);
  event e;
  auto ctx = make_ctx();
  const auto out = esm::detail::run_handler(generic, e, ctx);
  CHECK(with_ctx == 2);
  CHECK_FALSE(out.threw);
}

TEST_CASE("run_handler turns exceptions into function errors with type and text", "[lambda][handler]") {
  event e;
  auto ctx = make_ctx();
  auto throws = [](const event&) { throw std::out_of_range("record 7 is poison"); };
  auto out = esm::detail::run_handler(throws, e, ctx);
  CHECK(out.threw);
  CHECK(out.error_type == "std::out_of_range");
  CHECK(out.error_message == "record 7 is poison");

  auto throws_int = [](const event&) -> esm::batch_response { throw 7; };
  out = esm::detail::run_handler(throws_int, e, ctx);
  CHECK(out.threw);
  CHECK(out.error_type == "unknown");
  CHECK_FALSE(out.response.has_value());

  out = esm::detail::run_handler(partial, e, ctx);
  CHECK_FALSE(out.threw);
  REQUIRE(out.response.has_value());
  CHECK(out.response->empty());
}

TEST_CASE("invocation_context models elapsed and remaining time", "[lambda][handler]") {
  auto ctx = make_ctx(3);
  CHECK(ctx.attempt() == 3);
  CHECK(ctx.function_name() == "orders");
  CHECK(ctx.request_id() == "req-1");
  CHECK(ctx.memory_limit_mb() == 256);
  CHECK_FALSE(ctx.duration_stated());
  CHECK(ctx.remaining_time() == 3s);
  ctx.elapse(1s);
  ctx.elapse(500ms);
  CHECK(ctx.duration_stated());
  CHECK(ctx.elapsed() == 1500ms);
  CHECK(ctx.remaining_time() == 1500ms);
  CHECK(ctx.now() == esm::time_point{} + 2500ms);
  CHECK(ctx.deadline() == esm::time_point{} + 4s);
  ctx.elapse(10s);
  CHECK(ctx.remaining_time() == esm::duration::zero());
  CHECK_THROWS_AS(ctx.elapse(-1ms), esm::usage_error);
}

TEST_CASE("batch_response builds AWS's batchItemFailures", "[lambda][handler]") {
  auto r = esm::batch_response::failed({"1", "2"});
  r.fail("3");
  REQUIRE(r.batch_item_failures.size() == 3);
  CHECK(r.batch_item_failures[2].item_identifier == "3");
  CHECK_FALSE(r.empty());
  CHECK(esm::batch_response::success().empty());
  const esm::batch_item_failure null_id{};
  CHECK_FALSE(null_id.item_identifier.has_value());
}

TEST_CASE("outcomes have names and error classes", "[lambda][handler]") {
  CHECK(esm::to_string(esm::outcome::function_error) == "function_error");
  CHECK(esm::to_string(esm::outcome::throttled) == "throttled");
  CHECK(esm::is_error(esm::outcome::timeout));
  CHECK(esm::is_error(esm::outcome::function_error));
  CHECK_FALSE(esm::is_error(esm::outcome::throttled));
  CHECK_FALSE(esm::is_error(esm::outcome::partial));
}
