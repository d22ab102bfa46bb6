// A Catch2 REQUIRE inside a handler, as a user writes it (issue 15 point 3). ESM_CASE picks the
// variant: `escaping` (the REQUIRE fails the test once and ends the run), `plain` (no wrapper:
// each retry fails the REQUIRE again), `passing` (the same wrapper around a handler whose REQUIRE
// holds). tests/testing/frameworks/CMakeLists.txt checks each program's report.
#include <esm/esm.hpp>
#include <esm/pollers/stream_poller.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/testing/escape.hpp>

#include <cstdlib>
#include <string>

#include "support/catch.hpp"

using namespace std::chrono_literals;

namespace {
using kinesis = esm::kinesis_stream<std::string>;
using batch = esm::stream_batch<kinesis::record_type>;

std::string which() {
  const char* c = std::getenv("ESM_CASE");
  return c != nullptr ? c : "escaping";
}
} // namespace

TEST_CASE("a REQUIRE in a handler", "[testing][escape]") {
  esm::simulation sim;
  kinesis s{sim, {.name = "s"}};
  esm::function fn{sim, {.name = "f"}};
  s.put("k", "one record");
  const std::size_t expected = which() == "passing" ? 1 : 3;
  auto check = [&](const batch& b) { REQUIRE(b.size() == expected); };
  if (which() == "plain") {
    esm::stream_poller p{s, fn, check, esm::stream_retry{.max_attempts = 2}, esm::starting_position::trim_horizon()};
    sim.run_until_idle();
  } else {
    esm::stream_poller p{s, fn, esm::testing::escaping<Catch::TestFailureException>(sim, check),
                         esm::stream_retry{.max_attempts = 2}, esm::starting_position::trim_horizon()};
    sim.run_until_idle();
  }
}
