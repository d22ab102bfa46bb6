// Tests of esm/core/error.hpp: config_error names the parameter, the range and the value.
#include <esm/core/error.hpp>

#include "support/catch.hpp"

using namespace std::chrono_literals;

TEST_CASE("config_error's message names the parameter, the allowed range and the value", "[core][error]") {
  const esm::config_error e{"batch_size", "[1, 10000]", "20000", "sqs_queue"};
  CHECK(std::string{e.what()} == "batch_size must be in [1, 10000] for sqs_queue, got 20000");
  CHECK(e.parameter() == "batch_size");
  CHECK(e.allowed() == "[1, 10000]");
  CHECK(e.given() == "20000");
  STATIC_REQUIRE(std::is_base_of_v<std::invalid_argument, esm::config_error>);
}

TEST_CASE("config_error without a range in brackets reads as a requirement", "[core][error]") {
  const esm::config_error e{"name", "1-64 characters of [a-zA-Z0-9-_]", "''"};
  CHECK(std::string{e.what()} == "name must be 1-64 characters of [a-zA-Z0-9-_], got ''");
}

TEST_CASE("check_range accepts both ends and rejects one step outside", "[core][error]") {
  CHECK_NOTHROW(esm::detail::check_range("x", 1, 1, 10));
  CHECK_NOTHROW(esm::detail::check_range("x", 10, 1, 10));
  CHECK_THROWS_AS(esm::detail::check_range("x", 0, 1, 10), esm::config_error);
  CHECK_THROWS_AS(esm::detail::check_range("x", 11, 1, 10), esm::config_error);
  try {
    esm::detail::check_range<esm::duration>("timeout", 901s, 1s, 900s, "function 'f'");
    FAIL("no throw");
  } catch (const esm::config_error& e) {
    CHECK(std::string{e.what()} == "timeout must be in [1s, 900s] for function 'f', got 901s");
  }
}

TEST_CASE("usage_error and runaway_error are standard exceptions", "[core][error]") {
  STATIC_REQUIRE(std::is_base_of_v<std::logic_error, esm::usage_error>);
  STATIC_REQUIRE(std::is_base_of_v<std::runtime_error, esm::runaway_error>);
}
